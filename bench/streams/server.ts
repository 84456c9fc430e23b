/**
 * One server of the stream benchmark, in a process of its own, on
 * 127.0.0.1 and any free port:
 *
 * - `--peer listenrain`: a Connection per accepted channel of the runtime's
 *   adapter, with the routes "flood" (a server stream) and "echo"
 *   (_routes.ts);
 * - `--peer raw`: the runtime's own sockets writing frames (_raw.ts);
 * - `--peer grpc`: `@grpc/grpc-js` server streaming (Node only).
 *
 * Prints `{"port": …}` when ready; answers `rss` on stdin with its peak
 * RSS and the CPU time it used since it was ready; exits on `exit`, when stdin ends, or after `--max-seconds`. Run by
 * scripts/bench_streams.mjs.
 *
 * @module
 */

import process from "node:process";
import { Connection } from "../../src/connection/connection.ts";
import { detectRuntime, loadAdapter } from "../../adapters/runtime.ts";
import { args, cpuMs, flag } from "../_process.ts";
import { commands, deadline, die, emit, RssPeak } from "../compare/_control.ts";
import { router } from "./_routes.ts";
import { loadRaw } from "./_raw.ts";

const argv = args();
const peer = flag(argv, "peer", "listenrain");
const runtime = detectRuntime();
deadline(Number(flag(argv, "max-seconds", "600")));

async function serveListenrain(): Promise<number> {
  const adapter = await loadAdapter(runtime);
  const listener = await adapter.listen("tcp://127.0.0.1:0");
  (async () => {
    for await (const channel of listener) new Connection(channel, { router });
  })();
  return listener.addr.port!;
}

async function start(): Promise<number> {
  switch (peer) {
    case "listenrain":
      return await serveListenrain();
    case "raw":
      return await (await loadRaw(runtime)).serveFlood();
    case "grpc":
      if (runtime !== "node") throw new Error("The gRPC peer runs on Node");
      return await (await import("./grpc.ts")).serve();
  }
  throw new Error(`Unknown peer "${peer}" (listenrain, raw or grpc)`);
}

try {
  const port = await start();
  const rss = new RssPeak();
  const cpuAtReady = cpuMs();
  commands({
    rss: () => emit({ rssMiB: rss.peak, cpuMs: cpuMs() - cpuAtReady }),
    exit: () => process.exit(0),
  });
  emit({ ready: true, peer, runtime, port });
} catch (error) {
  die(error);
}
