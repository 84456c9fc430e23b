/**
 * Type test: a connection given `typeof router` checks routes, requests and
 * replies as a client does. Never run, only compiled; each line under
 * `@ts-expect-error` must be a compile error.
 *
 * @module
 */

import {
  type Channel,
  Client,
  Connection,
  jsonBody,
  type StateMachine,
} from "listenrain";
import { router } from "./_api.ts";

export async function typedConnection(channel: Channel): Promise<void> {
  const connection = new Connection<typeof router>(channel, { body: jsonBody });

  // Must compile: the right route, request and reply, every reply's fields.
  const hi: string = (await connection.request("sayhi", { name: "rain" })).hi;
  const sum: number = await connection.request("add", [1, 2]);
  const user = await connection.request("user.get", { id: 1 });
  const name: string = user.name;
  const age: number = user.age;
  const length: number =
    (await connection.request(7, new Uint8Array())).byteLength;
  await connection.notify("log", "a line");
  const machine: StateMachine<number> = { onMessage: (n) => n.toFixed() };
  const id = connection.call("add", [1, 2], machine);
  console.log(hi, sum, name, age, length, id);

  // Must not compile: a wrong route, request, reply, notify or call.
  // @ts-expect-error: "sayhello" is not a route of the router
  await connection.request("sayhello", { name: "rain" });
  // @ts-expect-error: sayhi takes { name: string }
  await connection.request("sayhi", { name: 1 });
  // @ts-expect-error: sayhi replies { hi: string }, not a number
  const n: number = await connection.request("sayhi", { name: "x" });
  // @ts-expect-error: user.get replies { name, age }, no "email"
  console.log((await connection.request("user.get", { id: 1 })).email);
  // @ts-expect-error: log takes a string
  await connection.notify("log", { line: "x" });
  // @ts-expect-error: "nolog" is not a route of the router
  await connection.notify("nolog", "x");
  // @ts-expect-error: the machine of sayhi gets { hi: string }, not a number
  connection.call("sayhi", { name: "rain" }, machine);
  // @ts-expect-error: add takes a pair of numbers
  connection.call("add", [1], machine);
  console.log(n);
  await connection.close();
}

// A typed connection or client is still a Connection / Client: code written
// for any connection (closing it, counting its requests) takes it.
export function closeAny(connection: Connection): Promise<void> {
  return connection.close();
}
export function endpointOf(client: Client): string {
  return String(client.endpoint);
}
export function takesTyped(
  connection: Connection<typeof router>,
  client: Client<typeof router>,
): Promise<void> {
  endpointOf(client);
  return closeAny(connection);
}
