/**
 * The {@linkcode Router}: maps a route name or numeric command to a handler
 * (the default protocol's server side).
 *
 * @module
 */

import type { BodyCodec } from "../codec/body_codec.ts";
import type { Envelope } from "../codec/envelope.ts";
import type { RequestContext } from "./request_context.ts";

/**
 * Handles one route: takes the decoded request body, returns the reply body
 * (or a promise of it). A thrown error becomes an error reply; throw a
 * `RemoteError` to choose the code the caller sees.
 */
// deno-lint-ignore no-explicit-any
export type RouteHandler<Req = any, Res = any> = (
  body: Req,
  context: RequestContext<Envelope>,
) => Res | Promise<Res>;

/** Options of one route. */
export interface RouteOptions {
  /** The body codec of this route's requests and replies. @default {the peer's `body` codec} */
  // deno-lint-ignore no-explicit-any
  body?: BodyCodec<any>;
}

/** A registered route. */
export interface Route {
  /** The handler. */
  readonly handler: RouteHandler;
  /** The route's own body codec, if any. */
  // deno-lint-ignore no-explicit-any
  readonly body: BodyCodec<any> | undefined;
}

/**
 * Routes requests and notifications by name (`"user.get"`) or numeric
 * command (`42`).
 *
 * @example Routes by name and by command
 * ```ts
 * import { Router } from "./router.ts";
 *
 * const router = new Router()
 *   .handle("sayhi", (body: { name: string }) => ({ hi: body.name }))
 *   .handle(7, (body: Uint8Array) => body);
 * console.log(router.lookup("sayhi") !== undefined, router.routes); // true [ "sayhi", 7 ]
 * ```
 */
export class Router {
  #routes = new Map<string | number, Route>();

  /**
   * Registers a handler.
   *
   * @param route A name (at most 255 UTF-8 bytes) or a u32 command.
   * @param handler The handler.
   * @param options The route's body codec.
   * @returns This router, for chaining.
   * @throws {TypeError} If the route is already registered or invalid.
   */
  handle<Req, Res>(
    route: string | number,
    handler: RouteHandler<Req, Res>,
    options: RouteOptions = {},
  ): this {
    if (typeof route === "number") {
      if (!Number.isInteger(route) || route < 0 || route > 0xffff_ffff) {
        throw new TypeError(`A numeric route must be a u32, got ${route}`);
      }
    } else if (typeof route !== "string" || route === "") {
      throw new TypeError("A route must be a non-empty string or a u32");
    }
    if (typeof handler !== "function") {
      throw new TypeError(`The handler of route "${route}" is not a function`);
    }
    if (this.#routes.has(route)) {
      throw new TypeError(`Route "${route}" is already registered`);
    }
    this.#routes.set(route, { handler, body: options.body });
    return this;
  }

  /**
   * Finds the route registered for a name or command.
   *
   * @param route A route name or command.
   * @returns Its registration, or `undefined`.
   */
  lookup(route: string | number): Route | undefined {
    return this.#routes.get(route);
  }

  /** The registered routes, in registration order. */
  get routes(): (string | number)[] {
    return [...this.#routes.keys()];
  }
}
