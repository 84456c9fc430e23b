/**
 * Echo (the seed's benchmark, in one file): a server that answers every
 * `echo` request with its body, as raw bytes, and a client that sends several
 * requests at once on one connection. The replies come back matched to their
 * requests by id, whatever order the server finishes them in.
 *
 * Run (any runtime; the adapter is picked for it):
 *
 * ```sh
 * node --import tsx examples/echo.ts     # or: deno run -A examples/echo.ts, bun examples/echo.ts
 * ```
 *
 * @module
 */

import { loadAdapter } from "../adapters/runtime.ts";
import { Client, Router, Server } from "../mod.ts";
import { isMain } from "./_main.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Starts an echo server on a free loopback port and sends it four requests
 * at once.
 *
 * @param log Where the lines go.
 * @returns The replies as text, in the order of the requests, and how many
 * connections carried them.
 */
export async function main(
  log: (line: string) => void = console.log,
): Promise<{ replies: string[]; connections: number }> {
  const adapter = await loadAdapter(); // listenrain/adapters/{deno,bun,node}
  const router = new Router().handle("echo", async (body: Uint8Array) => {
    // Finish in a random order: the replies still find their requests.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
    return body;
  });
  const server = new Server({ router }); // raw bytes: the default body codec
  server.serve(await adapter.listen("tcp://127.0.0.1:0"));
  const endpoint = `tcp://127.0.0.1:${server.addrs[0].port}`;
  log(`echo server on ${endpoint}`);

  const client = new Client({
    endpoint,
    dial: (key) => adapter.dial(key.toString()),
  });
  const words = ["full-duplex", "multiplexed", "any order", "one connection"];
  const replies = await Promise.all(words.map(async (word) => {
    const reply = await client.request("echo", encoder.encode(word));
    const text = decoder.decode(reply);
    log(`echo: ${text}`);
    return text;
  }));
  const connections = server.stats.accepted;
  log(`${replies.length} replies over ${connections} connection`);
  await client.close();
  await server.close();
  return { replies, connections };
}

if (isMain(import.meta)) await main();
