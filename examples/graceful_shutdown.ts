/**
 * Graceful shutdown (tcpserver's): `server.close()` stops accepting, tells
 * clients to go elsewhere (goaway), lets the requests in flight finish, then
 * closes. Requests that come after are refused; none is lost halfway.
 *
 * Run (any runtime; the adapter is picked for it):
 *
 * ```sh
 * node --import tsx examples/graceful_shutdown.ts     # or: deno run -A …, bun …
 * ```
 *
 * @module
 */

import { loadAdapter } from "../adapters/runtime.ts";
import { Client, jsonBody, Router, Server } from "../mod.ts";
import { isMain } from "./_main.ts";

/**
 * Sends five slow requests, closes the server while they run, then tries
 * one more.
 *
 * @param log Where the lines go.
 * @returns The five replies and the late request's error.
 */
export async function main(
  log: (line: string) => void = console.log,
): Promise<{ replies: number[]; late: string }> {
  const adapter = await loadAdapter(); // listenrain/adapters/{deno,bun,node}
  const router = new Router().handle("work", async (n: number, ctx) => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (ctx.signal.aborted) throw ctx.signal.reason;
    return n * n;
  });
  const server = new Server({ router, body: jsonBody });
  server.serve(await adapter.listen("tcp://127.0.0.1:0"));
  const client = new Client({
    endpoint: `tcp://127.0.0.1:${server.addrs[0].port}`,
    dial: (key) => adapter.dial(key.toString()),
    body: jsonBody,
    reconnect: false,
  });
  await client.request("work", 0); // connected
  const work = [1, 2, 3, 4, 5].map((n) => client.request("work", n));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = performance.now();
  log("server: closing, 5 requests in flight");
  const closing = server.close({ deadline: 5000 });
  const replies = await Promise.all(work);
  log(`client: replies ${replies.join(", ")}`);
  await closing;
  log(`server: closed after ${Math.round(performance.now() - started)} ms`);
  const late = await client.request("work", 6).then(String, (e) => e.message);
  log(`client: a late request: ${late}`);
  await client.close();
  return { replies, late };
}

if (isMain(import.meta)) await main();
