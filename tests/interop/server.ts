/**
 * The interop server: listens on 127.0.0.1 (port 0) with the runtime's own
 * adapter over TCP, and on a second port with the runtime's own HTTP server
 * (Deno.serve, Bun.serve, node:http + ws) whose `/rpc?token=secret` is
 * upgraded to a listenrain channel by the adapter's webSocketListener
 * (tests/websocket/_ws_http.ts; the page on `/`). Prints
 * `{"port":N,"wsPort":M,"runtime":"…"}` as one line on stdout, and serves
 * the same three routes of the default protocol on both: "echo" (the body back), "checksum"
 * (FNV-1a and length of the body) and "metadata" (the body back, and the
 * request's metadata back as the reply's, entry for entry), and the stream
 * routes of _stream_routes.ts (a server, a client and a bidirectional stream,
 * and two endless ones whose cancel the handler reports). It stops by itself when stdin closes or
 * after `--time-limit` seconds (default 60), whichever comes first.
 *
 * Run by `scripts/interop.mjs` on Deno, Bun and Node:
 *   deno run -A tests/interop/server.ts
 *   bun tests/interop/server.ts
 *   node --import tsx tests/interop/server.ts
 *
 * @module
 */

import process from "node:process";
import { detectRuntime, loadAdapter } from "../../bench/_runtime.ts";
import { Connection } from "../../src/connection/connection.ts";
import { Router } from "../../src/transport/router.ts";
import { checksumOf, option } from "./_protocol.ts";
import { addStreamRoutes } from "./_stream_routes.ts";
import { startWsHttp } from "../websocket/_ws_http.ts";
import type { Listener } from "../../src/channel/channel.ts";

const runtime = detectRuntime();
const timeLimit = Number(option(process.argv.slice(2), "time-limit", "60"));
const adapter = await loadAdapter(runtime);
const listener = await adapter.listen("tcp://127.0.0.1:0");
const http = await startWsHttp();
const peers = new Set<Connection>();
const router = new Router()
  .handle("echo", (body: Uint8Array) => body)
  .handle("checksum", (body: Uint8Array) => checksumOf(body))
  .handle("metadata", (body: Uint8Array, ctx) => {
    for (const [key, value] of ctx.metadata) {
      ctx.replyMetadata.append(key, value);
    }
    return body;
  });
addStreamRoutes(router);

let stopping = false;
async function stop(code: number, why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (code !== 0) console.error(`interop server (${runtime}): ${why}`);
  listener.close();
  http.listener.close();
  await Promise.race([
    Promise.all([...peers].map((peer) => peer.close())),
    new Promise((resolve) => setTimeout(resolve, 2000)),
  ]);
  process.exit(code);
}

const limit = setTimeout(
  () => void stop(2, `time limit of ${timeLimit} s reached`),
  timeLimit * 1000,
);
process.stdin.on("end", () => {
  clearTimeout(limit);
  void stop(0, "stdin closed");
});
process.stdin.on("error", () => void stop(0, "stdin failed"));
process.stdin.resume();

const wsPort = Number(new URL(http.origin).port);
console.log(JSON.stringify({ port: listener.addr.port, wsPort, runtime }));

async function serve(from: Listener): Promise<void> {
  for await (const channel of from) {
    const peer = new Connection(channel, { router });
    peers.add(peer);
    peer.closed.then(() => peers.delete(peer));
  }
}
await Promise.all([serve(listener), serve(http.listener)]);
