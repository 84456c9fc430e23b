/**
 * A listenrain server in a child process, for the kill-and-restart test:
 * `<runtime> tests/reliability/_child_server.ts <port> [lifetimeMs]` listens
 * on 127.0.0.1:<port> (0 for any) with this runtime's adapter, prints
 * `{"port":N,"pid":P}` on one line once it listens (or `{"error":"…"}` and
 * exits 1), and serves two JSON routes: `echo` (replies `{ id, pid }` for a
 * body `{ id }`) and `stats` (how many echo requests it handled). It exits by
 * itself after `lifetimeMs` (default 60 s), or when stdin ends, so it never
 * outlives the test that started it.
 *
 * @module
 */

import process from "node:process";
import { loadAdapter } from "../../bench/_runtime.ts";
import { exitWithParent, listenAndAnnounce } from "../_helpers/child.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { Server } from "../../src/server/server.ts";
import { Router } from "../../src/transport/router.ts";

const port = Number(process.argv[2] ?? 0);
const lifetimeMs = Number(process.argv[3] ?? 60_000);
const adapter = await loadAdapter();

let handled = 0;
const router = new Router()
  .handle("echo", (body: { id: number }) => {
    handled++;
    return { id: body.id, pid: process.pid };
  })
  .handle("stats", () => ({ handled, pid: process.pid }));
const server = new Server({ router, body: jsonBody });

const listener = await listenAndAnnounce(() =>
  adapter.listen(`tcp://127.0.0.1:${port}`)
);
void server.serve(listener);
exitWithParent(lifetimeMs);
