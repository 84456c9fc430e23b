/**
 * A listenrain server of stream routes in a child process, for the stream
 * reliability tests that kill the server or measure its memory:
 * `<runtime> tests/reliability/_child_stream_server.ts [lifetimeMs]`
 * listens on 127.0.0.1 (any port) with this runtime's adapter and default
 * options, prints `{"port":N,"pid":P}` on one line once it listens (or
 * `{"error":"…"}` and exits 1), and serves (raw bodies):
 *
 * - `tail` (server stream): a 4-byte counter every millisecond, until
 *   cancelled;
 * - `chat` (bidi): echoes each request;
 * - `sink` (client stream): reads every request, replies with their count
 *   (4 bytes);
 * - `flood` (server stream): a fresh 64 KiB message as fast as it may send,
 *   forever; counts how many it was pulled for, by the stream's `tag`
 *   metadata (`id<request id>` without one);
 * - `stats` (request): JSON bytes `{ pulled, rss, heapUsed, handling,
 *   connections, pid }`, the resident set size taken right after a full
 *   garbage collection, so that garbage not yet collected does not count.
 *
 * It exits after `lifetimeMs` (default 60 s), or when stdin ends, so it
 * never outlives the test that started it.
 *
 * @module
 */

import process from "node:process";
import { loadAdapter } from "../../bench/_runtime.ts";
import { exitWithParent, listenAndAnnounce } from "../_helpers/child.ts";
import { Server } from "../../src/server/server.ts";
import { Router } from "../../src/transport/router.ts";
import { collectGarbage, KiB, rss, sleep } from "./_helpers.ts";

const lifetimeMs = Number(process.argv[2] ?? 60_000);
const adapter = await loadAdapter();

/** How many messages each `flood` stream was pulled for, by tag. */
const pulled: Record<string, number> = {};
const json = (value: unknown) =>
  new TextEncoder().encode(JSON.stringify(value));

// deno-lint-ignore prefer-const
let server: Server;
const router = new Router()
  .serverStream("tail", async function* (_body: Uint8Array, ctx) {
    for (let i = 0; !ctx.signal.aborted; i++) {
      await sleep(1);
      const bytes = new Uint8Array(4);
      new DataView(bytes.buffer).setUint32(0, i);
      yield bytes;
    }
  })
  .bidiStream(
    "chat",
    async function* (requests: AsyncIterable<Uint8Array>) {
      for await (const request of requests) yield request;
    },
  )
  .clientStream("sink", async (requests: AsyncIterable<Uint8Array>) => {
    let count = 0;
    for await (const _ of requests) count++;
    const reply = new Uint8Array(4);
    new DataView(reply.buffer).setUint32(0, count);
    return reply;
  })
  .serverStream("flood", async function* (_body: Uint8Array, ctx) {
    const tag = String(ctx.metadata.get("tag") ?? `id${ctx.id}`);
    pulled[tag] = 0;
    for (;;) {
      // A fresh message each time: one that waited anywhere would show in
      // the resident set.
      const message = new Uint8Array(64 * KiB).fill(pulled[tag] & 0xff);
      pulled[tag]++;
      yield message;
    }
  })
  .handle("stats", (): Uint8Array => {
    collectGarbage();
    return json({
      pulled,
      rss: rss(),
      heapUsed: process.memoryUsage().heapUsed,
      handling: server.connectionStats.handling,
      queuedBytes: server.connectionStats.queuedBytes,
      connections: server.connections.length,
      pid: process.pid,
    });
  });
server = new Server({ router });

const listener = await listenAndAnnounce(() =>
  adapter.listen("tcp://127.0.0.1:0")
);
void server.serve(listener);
exitWithParent(lifetimeMs);
