/**
 * Large frames end to end: a listenrain client and server in ONE process
 * over a loopback TCP connection of the runtime's adapter, echoing bodies of
 * 256 KiB and 4 MiB with 1 and 16 in flight. It reports requests per second
 * and, more robust on a shared machine, the CPU time the process spent per
 * MiB echoed (both sides' copies, zeroing and syscalls, user + system), and
 * the bytes copied and allocated per frame do not depend on the machine's
 * load. Every reply is checked (its first, middle and last byte).
 *
 * Run: node --import tsx bench/large_frames_bench.ts [--seconds 2] [--repeat 3]
 *      deno run -A bench/large_frames_bench.ts
 *      bun bench/large_frames_bench.ts
 *      [--payload 256k,4m] [--parallel 1,16] [--peers listenrain,raw]
 *
 * `raw` is bench:compare's raw baseline (the same framing by hand).
 *
 * With `BENCH_QUICK=1` (the `bench` step of `npm test`) it runs one tiny
 * cell.
 *
 * @module
 */

import process from "node:process";
import { Connection } from "../src/connection/connection.ts";
import { Router } from "../src/transport/router.ts";
import { args, cpuMs, flag, formatSize, sizes } from "./_process.ts";
import { detectRuntime, loadAdapter } from "./_runtime.ts";
import { loadRaw } from "./compare/_raw.ts";

const argv = args();
const quick = process.env.BENCH_QUICK === "1";
const seconds = Number(flag(argv, "seconds", quick ? "0.1" : "2"));
const repeat = Number(flag(argv, "repeat", quick ? "1" : "3"));
const payloads = sizes(flag(argv, "payload", quick ? "256k" : "256k,4m"));
const parallels = flag(argv, "parallel", quick ? "1" : "1,16").split(",")
  .map(Number);

const peers = flag(argv, "peers", "listenrain,raw").split(",");

const runtime = detectRuntime();

/** Sends one request and resolves with its reply. */
type Echo = (body: Uint8Array) => Promise<Uint8Array>;

/** A listenrain server and client connection: the echo, and a close. */
async function listenrain(): Promise<[Echo, () => Promise<void>]> {
  const adapter = await loadAdapter(runtime);
  const listener = await adapter.listen("tcp://127.0.0.1:0");
  const router = new Router().handle("echo", (body: Uint8Array) => body);
  void (async () => {
    for await (const channel of listener) new Connection(channel, { router });
  })();
  const client = new Connection(
    await adapter.dial(`tcp://127.0.0.1:${listener.addr.port}`),
  );
  return [
    (body) => client.request("echo", body),
    async () => {
      await client.close();
      listener.close();
    },
  ];
}

/**
 * The raw baseline of bench:compare (bench/compare/raw_*.ts): the same
 * framing written by hand, replies matched in order. Its reply is a view
 * valid during the callback, so it is copied (as a caller that keeps it
 * would).
 */
async function raw(): Promise<[Echo, () => Promise<void>]> {
  const module = await loadRaw(runtime);
  const server = await module.serveEcho();
  const waiting: ((reply: Uint8Array) => void)[] = [];
  let head = 0;
  const conn = await module.connect(server.port, (payload) => {
    const resolve = waiting[head];
    waiting[head++] = undefined!;
    if (head === waiting.length) waiting.length = head = 0;
    resolve(payload.slice());
  });
  return [
    (body) =>
      new Promise((resolve) => {
        waiting.push(resolve);
        conn.send(body);
      }),
    () => Promise.resolve(conn.close()),
  ];
}

/** One body per slot, each byte set, so a wrong or shifted reply shows. */
function body(size: number, slot: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 4096) bytes[i] = (i >> 12) + slot;
  bytes[size - 1] = 0xa5 ^ slot;
  return bytes;
}

function check(sent: Uint8Array, reply: Uint8Array): void {
  const last = sent.length - 1;
  const middle = (last >> 13) << 12;
  if (
    reply.length !== sent.length || reply[0] !== sent[0] ||
    reply[middle] !== sent[middle] || reply[last] !== sent[last]
  ) {
    throw new Error("wrong reply");
  }
}

/** Closed loops for `seconds`: requests per second and CPU ms per MiB. */
async function cell(
  echo: Echo,
  size: number,
  parallel: number,
): Promise<{ rate: number; cpuPerMiB: number }> {
  const bodies = Array.from({ length: parallel }, (_, i) => body(size, i));
  let count = 0;
  let running = true;
  const loop = async (slot: number) => {
    while (running) {
      check(bodies[slot], await echo(bodies[slot]));
      count++;
    }
  };
  const started = performance.now();
  const cpu = cpuMs();
  const stop = setTimeout(() => running = false, seconds * 1000);
  await Promise.all(bodies.map((_, slot) => loop(slot)));
  clearTimeout(stop);
  const wall = (performance.now() - started) / 1000;
  const mib = (count * size * 2) / (1 << 20);
  return { rate: count / wall, cpuPerMiB: (cpuMs() - cpu) / mib };
}

console.log(
  `large frames, ${runtime}, client and server in one process, ` +
    `${seconds} s per cell, best of ${repeat}; MiB counts both directions`,
);
console.log("| peer | payload | parallel | req/s | CPU ms per MiB |");
console.log("| ---- | ------- | -------- | ----- | -------------- |");
for (const peer of peers) {
  const [echo, close] = peer === "raw" ? await raw() : await listenrain();
  for (const size of payloads) {
    for (const parallel of parallels) {
      await cell(echo, size, parallel); // warm-up
      let rate = 0;
      let cpu = Infinity;
      for (let i = 0; i < repeat; i++) {
        const result = await cell(echo, size, parallel);
        rate = Math.max(rate, result.rate);
        cpu = Math.min(cpu, result.cpuPerMiB);
      }
      console.log(
        `| ${peer} | ${formatSize(size)} | ${parallel} | ${
          Math.round(rate)
        } | ${cpu.toFixed(3)} |`,
      );
    }
  }
  await close();
}
process.exit(0);
