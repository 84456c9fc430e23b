/**
 * Type test: a client given `typeof router` checks routes, requests and
 * replies. Never run, only compiled (`tsc -p tests/types`); each line under
 * `@ts-expect-error` must be a compile error.
 *
 * @module
 */

import { Client, jsonBody, type StateMachine } from "listenrain";
import { MemoryNetwork } from "listenrain/testing";
import { router } from "./_api.ts";

export async function typedClient(network: MemoryNetwork): Promise<void> {
  const client = new Client<typeof router>({
    endpoint: "mem://api",
    dial: (key, options) => network.dial(key, options),
    body: jsonBody,
  });

  // Must compile: the right route, request and reply, every reply's fields.
  const greeting = await client.request("sayhi", { name: "rain" });
  const hi: string = greeting.hi;
  const sum: number = await client.request("add", [1, 2]);
  const user = await client.request("user.get", { id: 1 });
  const name: string = user.name;
  const age: number = user.age;
  const bytes = await client.request(7, new Uint8Array([1]));
  const length: number = bytes.byteLength;
  await client.notify("log", "a line");
  const machine: StateMachine<{ hi: string }> = {
    onMessage: (reply) => console.log(reply.hi.toUpperCase()),
  };
  client.call("sayhi", { name: "rain" }, machine);
  client.call("add", [2, 3], { onMessage: (n) => console.log(n.toFixed(1)) });
  console.log(hi, sum, name, age, length);

  // Must not compile: a route the server does not have.
  // @ts-expect-error: "sayhello" is not a route of the router
  await client.request("sayhello", { name: "rain" });
  // @ts-expect-error: 8 is not a route of the router
  await client.request(8, new Uint8Array());
  // Must not compile: a request of the wrong type.
  // @ts-expect-error: sayhi takes { name: string }
  await client.request("sayhi", { name: 1 });
  // @ts-expect-error: sayhi takes { name: string }, not a string
  await client.request("sayhi", "rain");
  // @ts-expect-error: add takes a pair of numbers
  await client.request("add", [1, "2"]);
  // Must not compile: the reply used as the wrong type.
  // @ts-expect-error: sayhi replies { hi: string }, not a number
  const n: number = await client.request("sayhi", { name: "x" });
  // @ts-expect-error: the reply has no field "hello"
  console.log((await client.request("sayhi", { name: "x" })).hello);
  // @ts-expect-error: add replies a number, not a string
  const s: string = await client.request("add", [1, 2]);
  // @ts-expect-error: user.age is a number
  const a: string = (await client.request("user.get", { id: 1 })).age;
  // Must not compile: notify and call with the wrong types.
  // @ts-expect-error: "nolog" is not a route of the router
  await client.notify("nolog", "a line");
  // @ts-expect-error: log takes a string
  await client.notify("log", 42);
  // @ts-expect-error: sayhi takes { name: string }
  client.call("sayhi", { id: 1 }, machine);
  // @ts-expect-error: the machine of add gets a number, not { hi: string }
  client.call("add", [1, 2], machine);
  // @ts-expect-error: "sayhello" is not a route of the router
  client.call("sayhello", { name: "rain" }, machine);
  console.log(n, s, a);
  await client.close();
}
