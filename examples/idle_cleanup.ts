/**
 * Idle-connection cleanup (gev's example/idleconnection): the server closes a
 * connection that made no request for `idleTimeout` ms; the client notices,
 * and its next request opens a new connection by itself.
 *
 * Run (any runtime; the adapter is picked for it):
 *
 * ```sh
 * node --import tsx examples/idle_cleanup.ts     # or: deno run -A …, bun …
 * ```
 *
 * @module
 */

import { loadAdapter } from "../adapters/runtime.ts";
import { Client, jsonBody, Router, Server } from "../mod.ts";
import { isMain } from "./_main.ts";

/**
 * Serves with `idleTimeout: 200`, idles a client past it, then uses it again.
 *
 * @param log Where the lines go.
 * @returns The server's accepted and idle-closed counts.
 */
export async function main(
  log: (line: string) => void = console.log,
): Promise<{ accepted: number; idleClosed: number }> {
  const adapter = await loadAdapter(); // listenrain/adapters/{deno,bun,node}
  const server = new Server({
    router: new Router().handle("time", () => Date.now()),
    body: jsonBody,
    idleTimeout: 200,
    onConnect: () => log("server: client connected"),
    onDisconnect: (_peer, reason) => log(`server: closed (${reason?.message})`),
  });
  server.serve(await adapter.listen("tcp://127.0.0.1:0"));
  const client = new Client({
    endpoint: `tcp://127.0.0.1:${server.addrs[0].port}`,
    dial: (key) => adapter.dial(key.toString()),
    body: jsonBody,
    reconnect: false, // reconnect on demand only: an idle client stays idle
  });
  const disconnected = new Promise<void>((resolve) =>
    client.pool.addEventListener("disconnect", () => resolve(), { once: true })
  );
  log(`client: time ${await client.request("time", 0)}`);
  log("client: idle...");
  await disconnected;
  log("client: the server closed the idle connection");
  log(`client: time ${await client.request("time", 0)} (on a new connection)`);
  await client.close();
  await server.close();
  const { accepted, idleClosed } = server.stats;
  log(`server stats: accepted ${accepted}, idleClosed ${idleClosed}`);
  return { accepted, idleClosed };
}

if (isMain(import.meta)) await main();
