/**
 * The {@linkcode Router}: maps a route name or numeric command to a handler
 * (the default protocol's server side).
 *
 * @module
 */

import type { BodyCodec } from "../codec/body_codec.ts";
import type { RouteName } from "../protocol/protocol.ts";
import type { RouteTypes } from "../protocol/route_types.ts";
import type { HandleInterceptor } from "../connection/interceptor.ts";
import type { RequestContext } from "./request_context.ts";
import type { StreamShape } from "../codec/message_codec.ts";
import type {
  BidiStreamHandler,
  ClientStreamHandler,
  ServerStreamHandler,
} from "./stream_handlers.ts";

/**
 * Handles one route: takes the decoded request body, returns the reply body
 * (or a promise of it). A thrown error becomes an error reply; throw a
 * `RemoteError` to choose the code the caller sees.
 *
 * @example A typed handler with its own error code
 * ```ts
 * import {
 *   Connection,
 *   jsonBody,
 *   RemoteError,
 *   type RouteHandler,
 *   Router,
 * } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const getUser: RouteHandler<{ id: number }, { name: string }> = (body) => {
 *   if (body.id !== 1) throw new RemoteError("NOT_FOUND", `No user ${body.id}`);
 *   return { name: "rain" };
 * };
 * const [a, b] = createMemoryPipe();
 * const server = new Connection(a, { router: new Router().handle("user.get", getUser), body: jsonBody });
 * const client = new Connection(b, { body: jsonBody });
 * console.log(await client.request("user.get", { id: 1 })); // { name: "rain" }
 * console.log(await client.request("user.get", { id: 2 }).catch((e) => e.remoteCode)); // "NOT_FOUND"
 * await client.close();
 * await server.close();
 * ```
 */
// deno-lint-ignore no-explicit-any
export type RouteHandler<Req = any, Res = any> = (
  body: Req,
  // deno-lint-ignore no-explicit-any
  context: RequestContext<any>,
) => Res | Promise<Res>;

/**
 * Options of one route.
 *
 * @example One route that speaks text on a peer of raw bytes
 * ```ts
 * import { Connection, Router, textBody } from "listenrain";
 * import type { RouteOptions } from "listenrain/advanced";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const text: RouteOptions = { body: textBody };
 * const router = new Router()
 *   .handle("greet", (name: string) => `hi ${name}`, text) // this route speaks text
 *   .handle("echo", (bytes: Uint8Array) => bytes); // no options: the peer's codec, raw bytes
 * const [a, b] = createMemoryPipe();
 * const server = new Connection(a, { router });
 * const client = new Connection(b, { body: textBody });
 * console.log(await client.request("greet", "rain")); // "hi rain"
 * await client.close();
 * await server.close();
 * ```
 */
export interface RouteOptions {
  /** The body codec of this route's requests and replies. @default {the peer's `body` codec} */
  // deno-lint-ignore no-explicit-any
  body?: BodyCodec<any>;
}

/**
 * A registered route, as {@linkcode Router.lookup} finds it.
 *
 * @example Looking a route up
 * ```ts
 * import { Router, textBody } from "listenrain";
 * import type { Route } from "listenrain/advanced";
 *
 * const router = new Router().handle("upper", (s: string) => s.toUpperCase(), { body: textBody });
 * const route: Route | undefined = router.lookup("upper");
 * console.log(route?.body === textBody, router.lookup("lower")); // true undefined
 * ```
 */
export interface Route {
  /** The handler. */
  readonly handler: RouteHandler;
  /** The route's own body codec, if any. */
  // deno-lint-ignore no-explicit-any
  readonly body: BodyCodec<any> | undefined;
  /** Who sends a stream, for a stream route; `undefined` for request/reply. */
  readonly shape?: StreamShape;
}

/** The longest route name the envelope carries, in UTF-8 bytes. */
const MAX_ROUTE_BYTES = 255;

/**
 * Routes requests and notifications by name (`"user.get"`) or numeric
 * command (`42`).
 *
 * @example Routes by name and by command
 * ```ts
 * import { Router } from "listenrain";
 *
 * const router = new Router()
 *   .handle("sayhi", (body: { name: string }) => ({ hi: body.name }))
 *   .handle(7, (body: Uint8Array) => body);
 * console.log(router.lookup("sayhi") !== undefined, router.routes); // true [ "sayhi", 7 ]
 * ```
 */
// deno-lint-ignore ban-types
export class Router<R extends RouteTypes = {}> {
  /** The route table's type, for `Client<typeof router>`; no value at run time. */
  declare readonly types: R;
  #routes = new Map<string | number, Route>();
  #interceptors: HandleInterceptor[] = [];

  /**
   * Registers a handler.
   *
   * @param route A name (at most 255 UTF-8 bytes) or a u32 command.
   * @param handler The handler.
   * @param options The route's body codec.
   * @returns This router, for chaining.
   * @throws {TypeError} If the route is already registered or invalid.
   * @throws {RangeError} If the name is longer than 255 UTF-8 bytes: no
   *   request could name it.
   */
  handle<N extends RouteName, Req, Res>(
    route: N,
    handler: RouteHandler<Req, Res>,
    options: RouteOptions = {},
  ): Router<R & { [K in N]: { request: Req; reply: Awaited<Res> } }> {
    return this.#add(route, handler, options, undefined);
  }

  /**
   * Registers a server-streaming route: one request in, a stream of replies
   * out (see {@linkcode ServerStreamHandler}). Callers read it with
   * `serverStream(route, body)`.
   *
   * @param route A name or a u32 command.
   * @param handler Usually an `async function*`.
   * @param options The route's body codec.
   * @returns This router, for chaining.
   * @throws {TypeError} As {@linkcode Router.handle}.
   *
   * @example A log tail
   * ```ts
   * import { Connection, jsonBody, Router } from "listenrain";
   * import { createMemoryPipe } from "listenrain/testing";
   *
   * const router = new Router().serverStream("tail", async function* (lines: number) {
   *   for (let i = 1; i <= lines; i++) yield `line ${i}`;
   * });
   * const [a, b] = createMemoryPipe();
   * const server = new Connection(a, { router, body: jsonBody });
   * const client = new Connection<typeof router>(b, { body: jsonBody });
   * for await (const line of client.serverStream("tail", 2)) console.log(line); // "line 1", "line 2"
   * await client.close();
   * await server.close();
   * ```
   */
  serverStream<N extends RouteName, Req, Res>(
    route: N,
    handler: ServerStreamHandler<Req, Res>,
    options: RouteOptions = {},
  ): Router<
    R & { [K in N]: { request: Req; reply: Res; stream: "server" } }
  > {
    return this.#add(route, handler, options, "server");
  }

  /**
   * Registers a client-streaming route: a stream of requests in, one reply
   * out (see {@linkcode ClientStreamHandler}). Callers send with
   * `clientStream(route, requests)`.
   *
   * @param route A name or a u32 command.
   * @param handler Reads its requests with `for await`.
   * @param options The route's body codec.
   * @returns This router, for chaining.
   * @throws {TypeError} As {@linkcode Router.handle}.
   *
   * @example A sum
   * ```ts
   * import { Connection, jsonBody, Router } from "listenrain";
   * import { createMemoryPipe } from "listenrain/testing";
   *
   * const router = new Router().clientStream("sum", async (numbers: AsyncIterable<number>) => {
   *   let total = 0;
   *   for await (const n of numbers) total += n;
   *   return total;
   * });
   * const [a, b] = createMemoryPipe();
   * const server = new Connection(a, { router, body: jsonBody });
   * const client = new Connection<typeof router>(b, { body: jsonBody });
   * console.log(await client.clientStream("sum", [1, 2, 3])); // 6
   * await client.close();
   * await server.close();
   * ```
   */
  clientStream<N extends RouteName, Req, Res>(
    route: N,
    handler: ClientStreamHandler<Req, Res>,
    options: RouteOptions = {},
  ): Router<
    R & { [K in N]: { request: Req; reply: Awaited<Res>; stream: "client" } }
  > {
    return this.#add(route, handler, options, "client");
  }

  /**
   * Registers a bidirectional route: a stream of requests in, a stream of
   * replies out (see {@linkcode BidiStreamHandler}). Callers use
   * `bidiStream(route, requests)`.
   *
   * @param route A name or a u32 command.
   * @param handler Usually an `async function*` reading its requests.
   * @param options The route's body codec.
   * @returns This router, for chaining.
   * @throws {TypeError} As {@linkcode Router.handle}.
   *
   * @example A chat echo
   * ```ts
   * import { Connection, jsonBody, Router } from "listenrain";
   * import { createMemoryPipe } from "listenrain/testing";
   *
   * const router = new Router().bidiStream("chat", async function* (lines: AsyncIterable<string>) {
   *   for await (const line of lines) yield `echo: ${line}`;
   * });
   * const [a, b] = createMemoryPipe();
   * const server = new Connection(a, { router, body: jsonBody });
   * const client = new Connection<typeof router>(b, { body: jsonBody });
   * for await (const line of client.bidiStream("chat", ["hi", "bye"])) console.log(line); // "echo: hi", "echo: bye"
   * await client.close();
   * await server.close();
   * ```
   */
  bidiStream<N extends RouteName, Req, Res>(
    route: N,
    handler: BidiStreamHandler<Req, Res>,
    options: RouteOptions = {},
  ): Router<
    R & { [K in N]: { request: Req; reply: Res; stream: "bidi" } }
  > {
    return this.#add(route, handler, options, "bidi");
  }

  #add<N extends RouteName>(
    route: N,
    // deno-lint-ignore ban-types
    handler: Function,
    options: RouteOptions,
    shape: StreamShape | undefined,
    // deno-lint-ignore no-explicit-any
  ): any {
    if (typeof route === "number") {
      if (!Number.isInteger(route) || route < 0 || route > 0xffff_ffff) {
        throw new TypeError(`A numeric route must be a u32, got ${route}`);
      }
    } else if (typeof route !== "string" || route === "") {
      throw new TypeError("A route must be a non-empty string or a u32");
    } else if (new TextEncoder().encode(route).byteLength > MAX_ROUTE_BYTES) {
      throw new RangeError(
        `A route name is at most ${MAX_ROUTE_BYTES} UTF-8 bytes (the envelope's limit), got ${
          new TextEncoder().encode(route).byteLength
        }`,
      );
    }
    if (typeof handler !== "function") {
      throw new TypeError(`The handler of route "${route}" is not a function`);
    }
    if (this.#routes.has(route)) {
      throw new TypeError(`Route "${route}" is already registered`);
    }
    this.#routes.set(route, {
      handler: handler as RouteHandler,
      body: options.body,
      shape,
    });
    // The same router; its type knows one more route.
    return this;
  }

  /**
   * Adds an interceptor around every handler of this router (after the
   * server's or connection's own `interceptors`, in the order added):
   * authentication, logging, timing.
   *
   * @example Timing every handler
   * ```ts
   * import { Connection, Router, textBody } from "listenrain";
   * import { createMemoryPipe } from "listenrain/testing";
   *
   * const took: string[] = [];
   * const router = new Router()
   *   .use(async (ctx, next) => {
   *     const started = performance.now();
   *     try {
   *       return await next();
   *     } finally {
   *       took.push(`${String(ctx.route)} ${Math.round(performance.now() - started)} ms`);
   *     }
   *   })
   *   .handle("echo", (s: string) => s);
   * const [a, b] = createMemoryPipe();
   * const server = new Connection(a, { router, body: textBody });
   * const client = new Connection<typeof router>(b, { body: textBody });
   * console.log(await client.request("echo", "hi"), took.length); // "hi" 1
   * await client.close();
   * await server.close();
   * ```
   *
   * @param interceptor Runs around each handler; see `HandleInterceptor`.
   * @returns This router, for chaining.
   * @throws {TypeError} If `interceptor` is not a function.
   */
  use(interceptor: HandleInterceptor): this {
    if (typeof interceptor !== "function") {
      throw new TypeError("An interceptor must be a function");
    }
    this.#interceptors.push(interceptor);
    return this;
  }

  /** The interceptors added with {@linkcode Router.use}, in order. */
  get interceptors(): readonly HandleInterceptor[] {
    return this.#interceptors;
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
