/**
 * One server of the WebSocket benchmark, in a process of its own, on
 * 127.0.0.1 and any free port: `--peer tcp` (a listenrain Connection with an
 * "echo" route over the adapter's TCP), `--peer ws` (the same over the
 * adapter's `listen("ws://…")`: Deno.serve, Bun.serve, node:http + ws), or
 * `--peer raw-ws` (the raw WebSocket echo, _raw_ws.ts). Prints
 * `{"port": …}` when ready; answers `rss` and `cpu` (its CPU time so far,
 * `{"cpuMs": …}`) on stdin; exits on `exit`, when
 * stdin ends, or after `--max-seconds`.
 *
 * @module
 */

import process from "node:process";
import { Connection } from "../../src/connection/connection.ts";
import { args, cpuMs, flag } from "../_process.ts";
import { detectRuntime, loadAdapter } from "../../adapters/runtime.ts";
import { commands, deadline, die, emit, RssPeak } from "../compare/_control.ts";
import { Router } from "../../src/transport/router.ts";
import { serveEcho } from "./_raw_ws.ts";

const argv = args();
const peer = flag(argv, "peer", "ws");
const runtime = detectRuntime();
deadline(Number(flag(argv, "max-seconds", "600")));

async function start(): Promise<number> {
  if (peer === "raw-ws") return await serveEcho(runtime);
  if (peer !== "tcp" && peer !== "ws") {
    throw new Error(`Unknown peer "${peer}" (tcp, ws or raw-ws)`);
  }
  const adapter = await loadAdapter(runtime);
  const listener = await adapter.listen(
    peer === "tcp" ? "tcp://127.0.0.1:0" : "ws://127.0.0.1:0/",
  );
  const router = new Router().handle("echo", (body: Uint8Array) => body);
  (async () => {
    for await (const channel of listener) new Connection(channel, { router });
  })();
  return listener.addr.port!;
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
