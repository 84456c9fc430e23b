/**
 * A listenrain server in a child process, for the trickled-frame test:
 * `<runtime> tests/reliability/_trickle_server.ts [lifetimeMs]` listens on
 * 127.0.0.1 (any port) with this runtime's adapter, prints
 * `{"port":N,"pid":P}` on one line once it listens (or `{"error":"…"}` and
 * exits 1), and serves three JSON routes: `echo` (replies with the body),
 * `reads` (how many chunks its connections have read so far) and `memory`
 * (collects garbage, then replies `{ rss, heap, reads }`: its resident set
 * size, its heap in use with the memory outside it that the engine counts,
 * such as array buffers, and the read count). The connection timeouts
 * are off, so a frame may take as long as it likes to arrive. It exits by
 * itself after `lifetimeMs` (default 60 s), or when stdin ends, so it never
 * outlives the test that started it.
 *
 * @module
 */

import process from "node:process";
import { loadAdapter } from "../../bench/_runtime.ts";
import { exitWithParent, listenAndAnnounce } from "../_helpers/child.ts";
import type { Channel, Listener } from "../../src/channel/channel.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { Server } from "../../src/server/server.ts";
import { Router } from "../../src/transport/router.ts";
import { rss, settledLiveBytes } from "./_helpers.ts";

const lifetimeMs = Number(process.argv[2] ?? 60_000);
const adapter = await loadAdapter();

/** Chunks read by every connection, counted at the channel's `io.read`. */
let reads = 0;

function counted(channel: Channel): Channel {
  const io = channel.io;
  if (io !== undefined) {
    const read = io.read.bind(io);
    io.read = () => {
      reads++;
      return read();
    };
  }
  return channel;
}

function counting(listener: Listener): Listener {
  return {
    addr: listener.addr,
    close: () => listener.close(),
    async *[Symbol.asyncIterator]() {
      for await (const channel of listener) yield counted(channel);
    },
  };
}

const router = new Router()
  .handle("echo", (body: unknown) => body)
  .handle("memory", async () => {
    const heap = await settledLiveBytes();
    return { rss: rss(), heap, reads };
  })
  .handle("reads", () => reads);
const server = new Server({
  router,
  body: jsonBody,
  idleTimeout: 0,
  firstFrameTimeout: 0,
});

const listener = await listenAndAnnounce(() =>
  adapter.listen("tcp://127.0.0.1:0")
);
void server.serve(counting(listener));
exitWithParent(lifetimeMs);
