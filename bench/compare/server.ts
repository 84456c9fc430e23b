/**
 * One server of the side-by-side benchmark, in a process of its own: the
 * listenrain echo route, the raw echo or the gRPC echo, on 127.0.0.1 and any
 * free port. Prints `{"port": …}` when ready; answers `rss` on stdin with its
 * peak RSS and `cpu` with its CPU time so far (`{"cpuMs": …}`); exits on `exit`, when stdin ends, or after `--max-seconds`.
 *
 * Run by scripts/bench_compare.mjs: `<runtime> bench/compare/server.ts
 * --peer listenrain|listenrain-metadata|listenrain-otel|raw|grpc`.
 *
 * @module
 */

import process from "node:process";
import { Connection } from "../../src/connection/connection.ts";
import { args, cpuMs, flag } from "../_process.ts";
import { detectRuntime, loadAdapter } from "../../adapters/runtime.ts";
import { commands, deadline, die, emit, RssPeak } from "./_control.ts";
import { loadRaw } from "./_raw.ts";
import { LISTENRAIN_PEERS, serverSetup } from "./_listenrain.ts";

const argv = args();
const peer = flag(argv, "peer", "listenrain");
const runtime = detectRuntime();
deadline(Number(flag(argv, "max-seconds", "600")));

/**
 * The listenrain server: a Connection with an "echo" route per connection
 * (with metadata checks and interceptors for the other listenrain peers:
 * _listenrain.ts).
 */
async function serveListenrain(): Promise<number> {
  const adapter = await loadAdapter(runtime);
  const listener = await adapter.listen("tcp://127.0.0.1:0");
  const options = await serverSetup(peer);
  (async () => {
    for await (const channel of listener) new Connection(channel, options);
  })();
  return listener.addr.port!;
}

async function start(): Promise<number> {
  if (LISTENRAIN_PEERS.includes(peer)) return await serveListenrain();
  switch (peer) {
    case "raw":
      return (await (await loadRaw(runtime)).serveEcho()).port;
    case "grpc":
      if (runtime !== "node") throw new Error("The gRPC peer runs on Node");
      return await (await import("./grpc.ts")).serve();
    default:
      throw new Error(
        `Unknown peer "${peer}" (${LISTENRAIN_PEERS.join(", ")}, raw or grpc)`,
      );
  }
}

try {
  const port = await start();
  const rss = new RssPeak();
  commands({
    rss: () => emit({ rssMiB: rss.peak }),
    cpu: () => emit({ cpuMs: cpuMs() }),
    exit: () => process.exit(0),
  });
  emit({ ready: true, peer, runtime, port });
} catch (error) {
  die(error);
}
