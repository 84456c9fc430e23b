/**
 * A listenrain server with default settings in a child process, so that the
 * memory a hostile client costs it is measured in a process of its own:
 * `<runtime> tests/reliability/_hostile_server.ts [lifetimeMs]` listens on
 * 127.0.0.1 (any port) and prints `{"port":N,"pid":P}` once it does. Routes:
 * `async` answers after 0–5 ms; `wait` answers when its signal aborts.
 *
 * Each line on stdin is a command, answered by one JSON line on stdout:
 * `measure` collects garbage and answers `{ rss, live, handling, handlingBytes,
 * queuedBytes, errorRepliesSent, requestsReceived }` (the counters summed
 * over the open connections; `live` is the heap in use plus external memory
 * such as buffers). It exits after `lifetimeMs` (default 60 s) or
 * when stdin ends.
 *
 * @module
 */

import process from "node:process";
import { createInterface } from "node:readline";
import { loadAdapter } from "../../bench/_runtime.ts";
import { Server } from "../../src/server/server.ts";
import { Router } from "../../src/transport/router.ts";
import { exitWithParent, listenAndAnnounce } from "../_helpers/child.ts";
import { rss, settledLiveBytes } from "./_helpers.ts";

const lifetimeMs = Number(process.argv[2] ?? 60_000);
const adapter = await loadAdapter();
const router = new Router()
  .handle("async", async (body: Uint8Array) => {
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
    return body;
  })
  .handle(
    "wait",
    (_body: Uint8Array, ctx) =>
      new Promise((_, reject) =>
        ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))
      ),
  );
const server = new Server({ router });
const listener = await listenAndAnnounce(() =>
  adapter.listen("tcp://127.0.0.1:0")
);
void server.serve(listener);

const lines = createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  if (line.trim() !== "measure") return;
  const live = await settledLiveBytes();
  const sum = { handling: 0, handlingBytes: 0, queuedBytes: 0 } as Record<
    string,
    number
  >;
  for (const name of ["errorRepliesSent", "requestsReceived"]) sum[name] = 0;
  for (const connection of server.connections) {
    const stats = connection.stats as unknown as Record<string, number>;
    for (const name of Object.keys(sum)) sum[name] += stats[name];
  }
  process.stdout.write(`${JSON.stringify({ rss: rss(), live, ...sum })}\n`);
});
exitWithParent(lifetimeMs);
