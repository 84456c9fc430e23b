/**
 * A listenrain server with default options in a child process, for the
 * flood tests: `<runtime> tests/reliability/_flood_server.ts [tcp|tls]
 * [lifetimeMs]` listens on 127.0.0.1 (any port) with this runtime's adapter,
 * prints `{"port":N,"pid":P}` on one line once it listens (or
 * `{"error":"…"}` and exits 1), and serves one route: `echo` (replies with
 * the body). It exits after `lifetimeMs` (default 60 s) or when stdin ends,
 * so it never outlives the test that started it. Run it under a low
 * descriptor limit (`ulimit -n 256`) to flood it past that limit.
 *
 * @module
 */

import process from "node:process";
import { readFileSync } from "node:fs";
import { loadAdapter } from "../../bench/_runtime.ts";
import { exitWithParent, listenAndAnnounce } from "../_helpers/child.ts";
import { Server } from "../../src/server/server.ts";
import { Router } from "../../src/transport/router.ts";

const transport = process.argv[2] === "tls" ? "tls" : "tcp";
const lifetimeMs = Number(process.argv[3] ?? 60_000);
/** `default`, or a number (`Infinity` to let a flood reach the descriptor limit). */
const maxConnections = process.argv[4] === undefined ||
    process.argv[4] === "default"
  ? undefined
  : Number(process.argv[4]);
const adapter = await loadAdapter() as unknown as {
  listen(
    key: string,
    options?: { tls?: { cert: string; key: string }; maxConnections?: number },
  ): Promise<import("../../src/channel/channel.ts").Listener>;
};
const fixture = (name: string) =>
  readFileSync(new URL(`../_fixtures/${name}`, import.meta.url), "utf8");

const router = new Router().handle("echo", (body: Uint8Array) => body);
const server = new Server({ router });

const listener = await listenAndAnnounce(() =>
  adapter.listen(
    `${transport}://127.0.0.1:0`,
    {
      ...(transport === "tls"
        ? {
          tls: { cert: fixture("server.pem"), key: fixture("server-key.pem") },
        }
        : {}),
      ...(maxConnections === undefined ? {} : { maxConnections }),
    },
  )
);
void server.serve(listener).catch((error) => {
  process.stderr.write(`serve ended: ${error}\n`);
  process.exit(2);
});

exitWithParent(lifetimeMs);
