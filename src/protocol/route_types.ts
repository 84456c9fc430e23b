/**
 * Types that carry a server's route table to its clients: the request and
 * reply type of every route, checked at compile time, with no code
 * generation (as Hono's `hc<typeof app>` does).
 *
 * @module
 */

import type { Router } from "../transport/router.ts";

/** A route table's type: route → its request and reply types. */
export type RouteTypes = {
  [route: string | number]: { request: unknown; reply: unknown };
};

/**
 * The route table of a client that was given no type: any route, any body.
 * Give `Client`/`Connection` the server's `typeof router` (or a route table
 * type) instead, and a wrong route, request or reply is a compile error.
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
 * import { Router, type RoutesOf } from "listenrain";
 *
 * const router = new Router().handle("add", ([x, y]: [number, number]) => x + y);
 * type Api = RoutesOf<typeof router>;
 * const reply: Api["add"]["reply"] = 5; // number
 * console.log(reply);
 * ```
 */
// deno-lint-ignore no-explicit-any
export type RoutesOf<T> = T extends Router<infer R> ? R
  : T extends Router<any> ? AnyRoutes
  : T;

/** The route names of `T` (a `Router` type or a route table type). */
export type RouteOf<T> = keyof RoutesOf<T> & (string | number);

/** The request body type of route `N` of `T`. */
export type RequestOf<T, N extends RouteOf<T>> = RoutesOf<T>[N] extends
  { request: infer Q } ? Q : never;

/** The reply body type of route `N` of `T`. */
export type ReplyOf<T, N extends RouteOf<T>> = RoutesOf<T>[N] extends
  { reply: infer P } ? P : never;
