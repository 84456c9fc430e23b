/**
 * Type test: stream routes carry their request and reply types to
 * `serverStream`, `clientStream` and `bidiStream`, and a route of one shape
 * cannot be called as another. Never run, only compiled; each line under
 * `@ts-expect-error` must be a compile error.
 *
 * @module
 */

import { Client, Connection, type ReplyStream, Router } from "listenrain";

export const streams = new Router()
  .handle("echo", (s: string) => s)
  .serverStream("tail", async function* (lines: number) {
    for (let i = 0; i < lines; i++) yield `line ${i}`;
  })
  .clientStream("sum", async (numbers: AsyncIterable<number>) => {
    let total = 0;
    for await (const n of numbers) total += n;
    return total;
  })
  .bidiStream("chat", async function* (lines: AsyncIterable<string>) {
    for await (const line of lines) yield { said: line };
  });

export async function typedStreams(
  client: Client<typeof streams>,
  connection: Connection<typeof streams>,
): Promise<void> {
  // Must compile, with the route's types.
  const tail: ReplyStream<string> = client.serverStream("tail", 3);
  for await (const line of tail) console.log(line.toUpperCase());
  const total: number = await client.clientStream("sum", [1, 2, 3]);
  for await (const reply of connection.bidiStream("chat", ["hi"])) {
    const said: string = reply.said;
    console.log(said, total);
  }
  const echoed: string = await client.request("echo", "x");
  console.log(echoed);

  // Must not compile.
  // @ts-expect-error: "tail" takes a number
  client.serverStream("tail", "3");
  // @ts-expect-error: "sum" is a client stream, not a server stream
  client.serverStream("sum", 1);
  // @ts-expect-error: "tail" is a server stream, not a request
  await client.request("tail", 3);
  // @ts-expect-error: "echo" is a request, not a stream
  connection.bidiStream("echo", ["x"]);
  // @ts-expect-error: "sum" takes numbers
  await client.clientStream("sum", ["1"]);
  // @ts-expect-error: "chat" is bidirectional, not a client stream
  await connection.clientStream("chat", ["hi"]);
  // @ts-expect-error: its replies are { said: string }
  for await (const reply of client.bidiStream("chat", ["hi"])) reply.toFixed();
  // @ts-expect-error: the sum is a number
  const wrong: string = await client.clientStream("sum", [1]);
  console.log(wrong);
}

export async function untypedStreams(connection: Connection): Promise<void> {
  // Without a route table, any route and body compile.
  for await (const v of connection.serverStream("anything", { any: 1 })) {
    console.log(v);
  }
  await connection.clientStream(7, [new Uint8Array()]);
  connection.bidiStream("x", (async function* () {})());
}
