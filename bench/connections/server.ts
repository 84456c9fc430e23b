/**
 * The server of the connections benchmark, in a process of its own, on
 * 127.0.0.1 and any free port:
 *
 * - `--mode listenrain`: a Connection with an "echo" route per accepted channel
 *   (the runtime's adapter, default options);
 * - `--mode raw`: the runtime's raw echo (bench/compare/raw_*.ts);
 * - `--mode hold`: a bare accept-and-hold server on the runtime's own
 *   sockets, reading nothing: what an idle socket costs the runtime itself.
 *
 * Prints `{"port", "rssMiB"}` when ready (RSS after a garbage collection
 * when the runtime exposes one); answers `count` on stdin with
 * `{"accepted"}`, and `stats` with `{"accepted", "rssMiB", "heapUsedMiB",
 * "externalMiB", "arrayBuffersMiB"}` (after a garbage collection); exits on `exit`, when stdin ends, or after
 * `--max-seconds`.
 *
 * @module
 */

import process from "node:process";
import type { Listener } from "../../src/channel/channel.ts";
import { Connection } from "../../src/connection/connection.ts";
import { Router } from "../../src/transport/router.ts";
import { args, flag, rssMiB } from "../_process.ts";
import { detectRuntime, loadAdapter } from "../../adapters/runtime.ts";
import { commands, deadline, die, emit } from "../compare/_control.ts";
import { loadRaw } from "../compare/_raw.ts";

const argv = args();
const mode = flag(argv, "mode", "listenrain");
const backlog = Number(flag(argv, "backlog", "511"));
const runtime = detectRuntime();
deadline(Number(flag(argv, "max-seconds", "600")));

/**
 * A full garbage collection, where the runtime offers one. On V8 (Node,
 * Deno) the "last resort" kind, which also gives back the young generation
 * a burst of connections grew: without it 4-5 KiB of the figure per idle
 * connection on Deno was young-generation room that no connection holds
 * (44 MiB after the burst, 0.25 MiB after this collection; Deno does no
 * idle collection to shrink it). Both servers of a case get the same.
 */
function collect(): void {
  const g = globalThis as {
    gc?: (options?: { type: string; flavor: string }) => void;
    Bun?: { gc(force: boolean): void };
  };
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.({ type: "major", flavor: "last-resort" });
}

/** The listenrain server; returns its port and accepted-count. */
async function serveListenrain(): Promise<[number, () => number]> {
  const adapter = await loadAdapter(runtime);
  // Every adapter's listen takes ListenOptions; the bench type omits them.
  const listen = adapter.listen as (
    key: string,
    options: { backlog: number },
  ) => Promise<Listener>;
  const listener = await listen("tcp://127.0.0.1:0", { backlog });
  const router = new Router().handle("echo", (body: Uint8Array) => body);
  const peers = new Set<Connection>();
  (async () => {
    for await (const channel of listener) {
      const peer = new Connection(channel, { router });
      peers.add(peer);
      peer.closed.then(() => peers.delete(peer));
    }
  })();
  return [listener.addr.port!, () => peers.size];
}

async function start(): Promise<[number, () => number]> {
  if (mode === "listenrain") return await serveListenrain();
  const raw = await loadRaw(runtime);
  if (mode !== "raw" && mode !== "hold") {
    throw new Error(`Unknown mode "${mode}" (listenrain, raw or hold)`);
  }
  const server = mode === "raw"
    ? await raw.serveEcho(backlog)
    : await raw.serveHold(backlog);
  return [server.port, server.accepted];
}

function rssAfterGc(): number {
  collect();
  return rssMiB();
}

/** The JS heap and buffer memory, MiB, for a closer look. */
function heap(): Record<string, number> {
  const usage = process.memoryUsage();
  const mib = (n: number) => Math.round((n / (1 << 20)) * 10) / 10;
  return {
    heapUsedMiB: mib(usage.heapUsed),
    externalMiB: mib(usage.external),
    arrayBuffersMiB: mib(usage.arrayBuffers ?? 0),
  };
}

try {
  const [port, accepted] = await start();
  commands({
    count: () => emit({ accepted: accepted() }),
    stats: () =>
      emit({ accepted: accepted(), rssMiB: rssAfterGc(), ...heap() }),
    exit: () => process.exit(0),
  });
  emit({ ready: true, mode, runtime, port, rssMiB: rssAfterGc(), ...heap() });
} catch (error) {
  die(error);
}
