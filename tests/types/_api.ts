/**
 * The server of the type test: a router whose routes each have their own
 * request and reply types. Its type is what the clients are given.
 *
 * @module
 */

import { Router } from "listenrain";

/** The routes every type test calls. */
export const router = new Router()
  .handle("sayhi", (body: { name: string }) => ({ hi: body.name }))
  .handle("add", ([x, y]: [number, number]) => x + y)
  .handle(
    "user.get", // an async handler: its reply is what the promise resolves to
    (body: { id: number }) =>
      Promise.resolve({ name: `user ${body.id}`, age: 42 }),
  )
  .handle(7, (body: Uint8Array) => body)
  .handle("log", (_line: string) => {});

/** The same table, written by hand (a client that cannot import the server). */
export type Api = {
  sayhi: { request: { name: string }; reply: { hi: string } };
  add: { request: [number, number]; reply: number };
  "user.get": { request: { id: number }; reply: { name: string; age: number } };
  7: { request: Uint8Array; reply: Uint8Array };
  log: { request: string; reply: void };
};
