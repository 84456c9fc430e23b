/**
 * Type test: a client or connection given no route table accepts any
 * route and any body, and its replies are `any` (as before typed clients).
 * Never run, only compiled.
 *
 * @module
 */

import { type Channel, Client, Connection, jsonBody } from "listenrain";
import type { MemoryNetwork } from "listenrain/testing";

export async function untyped(
  network: MemoryNetwork,
  channel: Channel,
): Promise<void> {
  const client = new Client({
    endpoint: "mem://api",
    dial: (key, options) => network.dial(key, options),
    body: jsonBody,
  });
  const connection = new Connection(channel, { body: jsonBody });
  const n: number = await client.request("any.route", { any: "body" });
  const s: string = await client.request(12345, [1, 2, 3]);
  const t: { deep: { field: boolean } } = await connection.request("x", null);
  await client.notify("whatever", 1);
  await connection.notify("whatever", "text");
  client.call("r", {}, { onMessage: (reply: { hi: string }) => reply.hi });
  connection.call("r", 1, { onMessage: (reply: number) => reply + 1 });
  console.log(n, s, t.deep.field);
  await client.close();
  await connection.close();
}
