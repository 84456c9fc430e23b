/**
 * Maximum connections (gev's example/maxconnection): the server takes at most
 * two connections; a third client is refused at once, and its error says why.
 *
 * Run (any runtime; the adapter is picked for it):
 *
 * ```sh
 * node --import tsx examples/max_connections.ts     # or: deno run -A …, bun …
 * ```
 *
 * @module
 */

import { loadAdapter } from "../adapters/runtime.ts";
import { Client, jsonBody, Router, Server } from "../mod.ts";
import { isMain } from "./_main.ts";

/**
 * Starts a server with `maxConnections: 2` on a free port and connects three
 * clients.
 *
 * @param log Where the lines go.
 * @returns The replies of the first two clients and the third one's error.
 */
export async function main(
  log: (line: string) => void = console.log,
): Promise<{ replies: string[]; refused: string }> {
  const adapter = await loadAdapter(); // listenrain/adapters/{deno,bun,node}
  const server = new Server({
    router: new Router().handle("hello", (name: string) => `hello, ${name}`),
    body: jsonBody,
    maxConnections: 2,
  });
  server.serve(await adapter.listen("tcp://127.0.0.1:0"));
  const endpoint = `tcp://127.0.0.1:${server.addrs[0].port}`;
  log(`server on ${endpoint}, maxConnections 2`);

  const clients = ["ann", "bob", "cid"].map((name) => ({
    name,
    client: new Client({
      endpoint,
      dial: (key) => adapter.dial(key.toString()),
      body: jsonBody,
      reconnect: false,
    }),
  }));
  const replies: string[] = [];
  let refused = "";
  for (const { name, client } of clients) {
    try {
      const reply = await client.request("hello", name);
      replies.push(reply);
      log(`${name}: ${reply}`);
    } catch (error) {
      refused = (error as Error).message;
      log(`${name}: refused: ${refused}`);
    }
  }
  log(`server stats: ${JSON.stringify(server.stats)}`);
  await Promise.all(clients.map(({ client }) => client.close()));
  await server.close();
  return { replies, refused };
}

if (isMain(import.meta)) await main();
