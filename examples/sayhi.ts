/**
 * Say hi (request and reply): the three ways to talk to a route, with JSON
 * bodies. `request` awaits the reply (sync mode), `call` hands over a state
 * machine that is called back once (async mode, the seed's StatMachine), and
 * `notify` sends one way. A handler that throws becomes an error reply.
 *
 * Run (any runtime; the adapter is picked for it):
 *
 * ```sh
 * node --import tsx examples/sayhi.ts     # or: deno run -A examples/sayhi.ts, bun examples/sayhi.ts
 * ```
 *
 * @module
 */

import { loadAdapter } from "../adapters/runtime.ts";
import { Client, jsonBody, RemoteError, Router, Server } from "../mod.ts";
import { isMain } from "./_main.ts";

/** The `sayhi` request body. */
export interface Hello {
  /** Who says hi. */
  name: string;
}

/** The `sayhi` reply body. */
export interface HelloReply {
  /** The greeting. */
  message: string;
  /** How many greetings the server has given so far. */
  count: number;
}

/**
 * Serves `sayhi` and `visit` over loopback TCP and calls them every way.
 *
 * @param log Where the lines go.
 * @returns The sync reply, the async reply, the notifications the server
 * saw, and the error code of a bad request.
 */
export async function main(
  log: (line: string) => void = console.log,
): Promise<{
  sync: HelloReply;
  async: HelloReply;
  visits: string[];
  errorCode: string;
}> {
  const adapter = await loadAdapter(); // listenrain/adapters/{deno,bun,node}
  let count = 0;
  const visits: string[] = [];
  const router = new Router()
    .handle("sayhi", ({ name }: Hello): HelloReply => {
      if (!name) throw new RemoteError("BAD_NAME", "Say who you are");
      return { message: `hi, ${name}`, count: ++count };
    })
    .handle("visit", (name: string) => void visits.push(name)); // a notification
  const server = new Server({ router, body: jsonBody });
  server.serve(await adapter.listen("tcp://127.0.0.1:0"));

  const client = new Client({
    endpoint: `tcp://127.0.0.1:${server.addrs[0].port}`,
    dial: (key) => adapter.dial(key.toString()),
    body: jsonBody,
    timeout: 5_000,
  });

  // Sync mode: await the reply.
  const sync: HelloReply = await client.request("sayhi", { name: "rain" });
  log(`request: ${sync.message} (#${sync.count})`);

  // Async mode: a state machine, called back exactly once.
  const async = await new Promise<HelloReply>((resolve, reject) => {
    client.call("sayhi", { name: "cloud" }, {
      onMessage: (reply: HelloReply) => resolve(reply),
      onTimeout: reject,
      onError: reject,
    });
  });
  log(`call: ${async.message} (#${async.count})`);

  // One way: no reply. The request after it arrives after it (one connection, in order).
  await client.notify("visit", "rain");
  await client.notify("visit", "cloud");

  // An error reply.
  const error = await client.request("sayhi", { name: "" }).catch((e) => e);
  const errorCode = (error as RemoteError).remoteCode;
  log(`error reply: ${errorCode}: ${(error as Error).message}`);
  log(`server saw visits from ${visits.join(", ")}`);

  await client.close();
  await server.close();
  return { sync, async, visits, errorCode };
}

if (isMain(import.meta)) await main();
