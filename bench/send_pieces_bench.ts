/**
 * How many writes a request costs, and how much CPU, on both sides of one
 * connection: what the send queue's pieces trade (a turn's frames written
 * in several writes so the peer starts early: src/queue/send_queue.ts).
 * A listenrain echo server runs in a child
 * process of the same runtime; this process runs `--parallel` closed loops
 * of `request("echo", body)` of `--payload` bytes over one TCP connection on
 * 127.0.0.1, then the raw echo (bench/compare/raw_*.ts) the same way, and
 * repeats both `--rounds` times, alternating, so each round's ratio
 * compares runs made under the same load. Every write to a channel is
 * counted on both sides (the channel's `write` and `writev`, wrapped).
 *
 * Prints one line per round and peer: requests/s; for listenrain, client and
 * server writes per 100 requests and CPU µs per request; and listenrain ÷
 * raw. CPU and writes count the warm-up too (per request checked, warm-up
 * included).
 *
 * Run: deno run -A bench/send_pieces_bench.ts --parallel 256 --payload 64
 *      node --import tsx bench/send_pieces_bench.ts --parallel 256
 *      bun bench/send_pieces_bench.ts --parallel 16 --payload 4k
 *   [--seconds 2] [--warmup 0.5] [--rounds 3]
 *
 * With `BENCH_QUICK=1` (npm test's bench step): one round of 0.2 s, 16 in
 * flight, so the file cannot rot.
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";
import { Connection } from "../src/connection/connection.ts";
import type { Channel } from "../src/channel/channel.ts";
import { Router } from "../src/transport/router.ts";
import { args, cpuMs, flag, sizes } from "./_process.ts";
import { detectRuntime, loadAdapter, scriptCommand } from "./_runtime.ts";
import { commands, deadline, die, emit } from "./compare/_control.ts";
import { loadRaw } from "./compare/_raw.ts";
import {
  closedLoops,
  type FifoConnection,
  fifoPipeline,
  type Workload,
} from "./compare/_workload.ts";

const argv = args();
const runtime = detectRuntime();
const quick = process.env.BENCH_QUICK === "1";
deadline(600);

/** Counts the writes made through `channel` (own properties shadow its methods). */
function countWrites(channel: Channel, count: () => void): Channel {
  const io = channel.io as
    | (Record<string, unknown> & NonNullable<Channel["io"]>)
    | undefined;
  if (io === undefined) throw new Error("The adapter's channel has no io");
  const write = io.write.bind(io);
  io.write = (chunk) => {
    count();
    return write(chunk);
  };
  if (io.writev !== undefined) {
    const writev = io.writev.bind(io);
    io.writev = (chunks) => {
      count();
      return writev(chunks);
    };
  }
  return channel;
}

/** The child: serves the listenrain echo and the raw echo, counts writes. */
async function serve(): Promise<void> {
  const adapter = await loadAdapter(runtime);
  const listener = await adapter.listen("tcp://127.0.0.1:0");
  const router = new Router().handle("echo", (body: Uint8Array) => body);
  let writes = 0;
  (async () => {
    for await (const channel of listener) {
      new Connection(countWrites(channel, () => writes++), { router });
    }
  })();
  const raw = await (await loadRaw(runtime)).serveEcho();
  commands({ stats: () => emit({ writes, cpuMs: cpuMs() }) });
  emit({ port: listener.addr.port!, rawPort: raw.port });
}

/** The server's counters so far. */
interface ServerStats {
  writes: number;
  cpuMs: number;
}

/** A child process answering one JSON line per command. */
class Child {
  #lines: string[] = [];
  #waiting: ((line: string) => void) | undefined;
  #child;

  constructor() {
    const [command, commandArgs] = scriptCommand(
      new URL(import.meta.url).pathname,
      ["--serve"],
    );
    this.#child = spawn(command, commandArgs, {
      stdio: ["pipe", "pipe", "inherit"],
    });
    let buffered = "";
    this.#child.stdout!.setEncoding("utf8");
    this.#child.stdout!.on("data", (chunk: string) => {
      buffered += chunk;
      for (let at; (at = buffered.indexOf("\n")) >= 0;) {
        this.#lines.push(buffered.slice(0, at));
        buffered = buffered.slice(at + 1);
      }
      if (this.#waiting && this.#lines.length > 0) {
        const waiting = this.#waiting;
        this.#waiting = undefined;
        waiting(this.#lines.shift()!);
      }
    });
  }

  async next<T>(command?: string): Promise<T> {
    if (command) this.#child.stdin!.write(command + "\n");
    const line = this.#lines.shift() ??
      await new Promise<string>((resolve) => this.#waiting = resolve);
    const message = JSON.parse(line);
    if (message.error) throw new Error(message.error);
    return message as T;
  }

  end(): void {
    this.#child.stdin!.end();
  }
}

async function main(): Promise<void> {
  const workload: Workload = {
    parallel: Number(flag(argv, "parallel", quick ? "16" : "256")),
    payload: sizes(flag(argv, "payload", "64"))[0],
    seconds: Number(flag(argv, "seconds", quick ? "0.2" : "2")),
    warmup: Number(flag(argv, "warmup", quick ? "0.1" : "0.5")),
  };
  const rounds = Number(flag(argv, "rounds", quick ? "1" : "3"));
  const server = new Child();
  const { port, rawPort } = await server.next<
    { port: number; rawPort: number }
  >();
  const adapter = await loadAdapter(runtime);
  const raw = await loadRaw(runtime);
  console.log(
    `${runtime}: ${workload.payload} B x ${workload.parallel} in flight, ` +
      `${workload.seconds} s per run`,
  );
  for (let round = 1; round <= rounds; round++) {
    let writes = 0;
    const channel = countWrites(
      await adapter.dial(`tcp://127.0.0.1:${port}`),
      () => writes++,
    );
    const client = new Connection(channel);
    const before = await server.next<ServerStats>("stats");
    const cpuBefore = cpuMs();
    const result = await closedLoops(
      workload,
      (body) => client.request("echo", body),
    );
    const cpu = cpuMs() - cpuBefore;
    const after = await server.next<ServerStats>("stats");
    await client.close();
    const n = result.verified;
    const rate = result.requests / result.seconds;

    const fifo: FifoConnection = { onReply: () => {}, send: () => {} };
    const conn = await raw.connect(rawPort, (payload) => fifo.onReply(payload));
    fifo.send = conn.send;
    const rawResult = await fifoPipeline(workload, fifo);
    conn.close();
    const rawRate = rawResult.requests / rawResult.seconds;

    console.log(
      `round ${round}: listenrain ${Math.round(rate)} req/s, ` +
        `writes/100 req client ${(100 * writes / n).toFixed(2)} ` +
        `server ${(100 * (after.writes - before.writes) / n).toFixed(2)}, ` +
        `CPU us/req client ${(1000 * cpu / n).toFixed(2)} ` +
        `server ${(1000 * (after.cpuMs - before.cpuMs) / n).toFixed(2)}; ` +
        `raw ${Math.round(rawRate)} req/s; ratio ${
          (rate / rawRate).toFixed(2)
        }`,
    );
  }
  server.end();
}

try {
  if (argv.includes("--serve")) await serve();
  else {
    await main();
    process.exit(0);
  }
} catch (error) {
  die(error);
}
