/**
 * Server push on a timer (gev's example/pushmessage with `RunEvery`): every
 * 100 ms the server notifies every connected client; the clients handle the
 * push on their own router. The task stops when the server closes.
 *
 * Run (any runtime; the adapter is picked for it):
 *
 * ```sh
 * node --import tsx examples/push_on_timer.ts     # or: deno run -A …, bun …
 * ```
 *
 * @module
 */

import { loadAdapter } from "../adapters/runtime.ts";
import { Client, jsonBody, Router, Server } from "../mod.ts";
import { isMain } from "./_main.ts";

/**
 * Pushes ticks to two clients for about half a second.
 *
 * @param log Where the lines go.
 * @returns How many ticks each client received.
 */
export async function main(
  log: (line: string) => void = console.log,
): Promise<number[]> {
  const adapter = await loadAdapter(); // listenrain/adapters/{deno,bun,node}
  const server = new Server({
    router: new Router().handle("join", () => "welcome"),
    body: jsonBody,
  });
  server.serve(await adapter.listen("tcp://127.0.0.1:0"));
  let tick = 0;
  server.runEvery(100, () => {
    const sent = server.broadcast("tick", ++tick);
    log(`server: tick ${tick} to ${sent} clients`);
  });

  const received = [0, 0];
  const clients = received.map((_, i) =>
    new Client({
      endpoint: `tcp://127.0.0.1:${server.addrs[0].port}`,
      dial: (key) => adapter.dial(key.toString()),
      body: jsonBody,
      router: new Router().handle("tick", (n: number) => {
        received[i]++;
        log(`client ${i}: tick ${n}`);
      }),
    })
  );
  for (const client of clients) await client.request("join", null);
  await new Promise((resolve) => setTimeout(resolve, 550));
  await server.close(); // cancels the runEvery task
  await Promise.all(clients.map((client) => client.close()));
  log(`received: ${received.join(", ")}`);
  return received;
}

if (isMain(import.meta)) await main();
