/**
 * Type test: a route table type written by hand types a client as
 * `typeof router` does, and the two agree. Never run, only compiled; each
 * line under `@ts-expect-error` must be a compile error.
 *
 * @module
 */

import { type Channel, Client, Connection, jsonBody } from "listenrain";
import type { RoutesOf } from "listenrain/advanced";
import type { MemoryNetwork } from "listenrain/testing";
import { type Api, router } from "./_api.ts";

// The router's table and the hand-written one are the same types.
type FromRouter = RoutesOf<typeof router>;
export const same: [FromRouter] extends [Api]
  ? [Api] extends [FromRouter] ? true : false
  : false = true;
type Reply = FromRouter["user.get"]["reply"];
export const reply: Reply = { name: "rain", age: 1 };
// @ts-expect-error: the router's user.get reply has an age
export const noAge: Reply = { name: "rain" };

export async function handWritten(
  network: MemoryNetwork,
  channel: Channel,
): Promise<void> {
  const client = new Client<Api>({
    endpoint: "mem://api",
    dial: (key, options) => network.dial(key, options),
    body: jsonBody,
  });
  const connection = new Connection<Api>(channel, { body: jsonBody });

  // Must compile: the right route, request and reply, every reply's fields.
  const hi: string = (await client.request("sayhi", { name: "rain" })).hi;
  const sum: number = await client.request("add", [1, 2]);
  const user = await connection.request("user.get", { id: 1 });
  const fields: [string, number] = [user.name, user.age];
  const length: number = (await client.request(7, new Uint8Array())).byteLength;
  await client.notify("log", "a line");
  await connection.notify("log", "a line");
  console.log(hi, sum, fields, length);

  // Must not compile.
  // @ts-expect-error: "sayhello" is not a route of Api
  await client.request("sayhello", { name: "rain" });
  // @ts-expect-error: add takes a pair of numbers
  await connection.request("add", 1);
  // @ts-expect-error: add replies a number, not a string
  const s: string = await client.request("add", [1, 2]);
  // @ts-expect-error: user.get replies { name, age }, no "email"
  console.log((await connection.request("user.get", { id: 1 })).email);
  console.log(s);
  await client.close();
  await connection.close();
}
