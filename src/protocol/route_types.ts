/**
 * Types that carry a server's route table to its clients: the request and
 * reply type of every route, checked at compile time, with no code
 * generation (as Hono's `hc<typeof app>` does).
 *
 * @module
 */

import type { Router } from "../transport/router.ts";
import type { StreamShape } from "../codec/message_codec.ts";

/**
 * A route table's type: route → its request and reply types.
 *
 * @example A route table written by hand, for a server in another process
 * ```ts
 * import { Client } from "listenrain";
 * import type { RouteTypes } from "listenrain/advanced";
 *
 * interface Api extends RouteTypes {
 *   "user.get": { request: { id: number }; reply: { name: string } };
 * }
 * const client = new Client<Api>({ endpoint: "mem://api", dial: () => Promise.reject(new Error("offline")) });
 * // client.request("user.get", { id: 1 }) is a Promise<{ name: string }>;
 * // client.request("user.get", "1") does not compile.
 * await client.close();
 * ```
 */
export type RouteTypes = {
  [route: string | number]: { request: unknown; reply: unknown };
};

/**
 * The route table of a client that was given no type: any route, any body.
 * Give `Client`/`Connection` the server's `typeof router` (or a route table
 * type) instead, and a wrong route, request or reply is a compile error.
 *
 * @example An untyped connection takes any route and body
 * ```ts
 * import { Connection, jsonBody, Router } from "listenrain";
 * import type { AnyRoutes } from "listenrain/advanced";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * const server = new Connection(a, { router: new Router().handle("n", () => 1), body: jsonBody });
 * const client: Connection<AnyRoutes> = new Connection(b, { body: jsonBody }); // the default type
 * console.log(await client.request("n", null)); // 1
 * await client.close();
 * await server.close();
 * ```
 */
export type AnyRoutes = {
  // deno-lint-ignore no-explicit-any
  [route: string | number]: { request: any; reply: any };
};

/**
 * The route table of `T`: a `Router`'s type, or a route table type as is.
 *
 * @example The route table of a router
 * ```ts
 * import { Router } from "listenrain";
 * import type { RoutesOf } from "listenrain/advanced";
 *
 * const router = new Router().handle("add", ([x, y]: [number, number]) => x + y);
 * type Api = RoutesOf<typeof router>;
 * const reply: Api["add"]["reply"] = 5; // number
 * console.log(reply);
 * ```
 */
export type RoutesOf<T> = 0 extends 1 & T ? AnyRoutes // T is any: untyped
  : T extends Router<infer R> ? R
  // deno-lint-ignore no-explicit-any
  : T extends Router<any> ? AnyRoutes
  : T;

/**
 * The route names of `T` (a `Router` type or a route table type).
 *
 * @example The routes of a router, as a union of names
 * ```ts
 * import { Router } from "listenrain";
 * import type { RouteOf } from "listenrain/advanced";
 *
 * const router = new Router()
 *   .handle("add", ([x, y]: [number, number]) => x + y)
 *   .handle("echo", (s: string) => s);
 * const route: RouteOf<typeof router> = "echo"; // "add" | "echo"
 * console.log(route); // "echo"
 * ```
 */
export type RouteOf<T> =
  & {
    [K in keyof RoutesOf<T>]: RoutesOf<T>[K] extends { stream: StreamShape }
      ? never
      : K;
  }[keyof RoutesOf<T>]
  & (string | number);

/**
 * The names of the stream routes of shape `S` of a router (or route table):
 * what `serverStream`, `clientStream` and `bidiStream` take.
 *
 * @example The server-streaming routes of a router
 * ```ts
 * import { Router } from "listenrain";
 * import type { StreamRouteOf } from "listenrain/advanced";
 *
 * const router = new Router()
 *   .handle("echo", (s: string) => s)
 *   .serverStream("tail", async function* (n: number) { yield n; });
 * const route: StreamRouteOf<typeof router, "server"> = "tail"; // only "tail"
 * console.log(route);
 * ```
 */
export type StreamRouteOf<T, S extends StreamShape> = string extends
  keyof RoutesOf<T> ? string | number
  :
    & {
      [K in keyof RoutesOf<T>]: RoutesOf<T>[K] extends { stream: S } ? K
        : never;
    }[keyof RoutesOf<T>]
    & (string | number);

/**
 * The request body type of route `N` of `T`.
 *
 * @example The request type of one route
 * ```ts
 * import { Router } from "listenrain";
 * import type { RequestOf } from "listenrain/advanced";
 *
 * const router = new Router().handle("add", ([x, y]: [number, number]) => x + y);
 * const request: RequestOf<typeof router, "add"> = [2, 3]; // [number, number]
 * console.log(request); // [ 2, 3 ]
 * ```
 */
export type RequestOf<T, N> = N extends keyof RoutesOf<T>
  ? RoutesOf<T>[N] extends { request: infer Q } ? Q : never
  : never;

/**
 * The reply body type of route `N` of `T`.
 *
 * @example The reply type of one route
 * ```ts
 * import { Router } from "listenrain";
 * import type { ReplyOf } from "listenrain/advanced";
 *
 * const router = new Router().handle("greet", (name: string) => ({ hi: name }));
 * const reply: ReplyOf<typeof router, "greet"> = { hi: "rain" }; // { hi: string }
 * console.log(reply.hi); // "rain"
 * ```
 */
export type ReplyOf<T, N> = N extends keyof RoutesOf<T>
  ? RoutesOf<T>[N] extends { reply: infer P } ? P : never
  : never;
