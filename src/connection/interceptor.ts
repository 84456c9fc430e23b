/**
 * Interceptors: behaviour added once around every outgoing request
 * (`request`) and every handler (`handle`) of a connection, client, server
 * or router — authentication, tracing, logging, timing, retries.
 *
 * @module
 */

import type { StreamShape } from "../codec/message_codec.ts";
import type { ChannelAddr } from "../channel/channel.ts";
import type { TransportKey } from "../channel/transport_key.ts";
import type { Metadata } from "../codec/metadata.ts";
import type { RouteName } from "../protocol/protocol.ts";
import type { RequestContext } from "../transport/request_context.ts";

/**
 * An outgoing request as a client interceptor sees it: it may change the
 * body, the metadata (`request.metadata.set(...)`) and the deadline before
 * passing it on.
 *
 * @example A tenant on every request, and a tighter deadline
 * ```ts
 * import type { OutgoingRequest, ReplyWithMetadata } from "listenrain/advanced";
 *
 * function tenant(
 *   request: OutgoingRequest,
 *   next: (request: OutgoingRequest) => Promise<ReplyWithMetadata>,
 * ): Promise<ReplyWithMetadata> {
 *   request.metadata.set("x-tenant", "acme");
 *   request.timeout = Math.min(request.timeout, 2_000);
 *   return next(request);
 * }
 * console.log(typeof tenant); // "function"
 * ```
 */
export interface OutgoingRequest {
  /** The route. */
  readonly route: RouteName;
  /** The request body, before the body codec. */
  body: unknown;
  /** The metadata to send; interceptors may add to it. */
  readonly metadata: Metadata;
  /** The time left, in ms (`Infinity` for none), counted from the call. */
  timeout: number;
  /** The caller's signal, if any. */
  readonly signal: AbortSignal | undefined;
  /**
   * The shape of the stream the call opens, for a stream call (its reply
   * then resolves once the stream has ended); `undefined` for a request.
   */
  readonly stream?: StreamShape;
  /**
   * Where it goes: the endpoint's key for a client, the peer's address for
   * a connection (for tracing: `server.address`, `server.port`).
   */
  readonly endpoint: TransportKey | ChannelAddr;
}

/**
 * A reply with its metadata: what client interceptors see, and what
 * `request(route, body, { withMetadata: true })` resolves with.
 *
 * @example Reading a reply's metadata
 * ```ts
 * import { Connection, Router, textBody } from "listenrain";
 * import type { ReplyWithMetadata } from "listenrain/advanced";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("get", (key: string, ctx) => {
 *   ctx.replyMetadata.set("x-cache", "hit");
 *   return key.toUpperCase();
 * });
 * const server = new Connection(a, { router, body: textBody });
 * const client = new Connection<typeof router>(b, { body: textBody });
 * const reply: ReplyWithMetadata<string> = await client.request("get", "k", { withMetadata: true });
 * console.log(reply.body, reply.metadata.get("x-cache")); // "K" "hit"
 * await client.close();
 * await server.close();
 * ```
 */
export interface ReplyWithMetadata<B = unknown> {
  /** The reply body, after the body codec. */
  body: B;
  /** The metadata the handler sent back (empty if none). */
  metadata: Metadata;
}

/**
 * Runs around every outgoing request: call `next(request)` to send it (any
 * number of times, to retry), or throw / return without calling it to
 * short-circuit. The deadline of the whole call holds: a call that has not
 * settled when it passes rejects with `TimeoutError`.
 *
 * @example Timing every request of a client
 * ```ts
 * import { Client, Router, Server, textBody } from "listenrain";
 * import type { RequestInterceptor } from "listenrain/advanced";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const took: string[] = [];
 * const timing: RequestInterceptor = async (request, next) => {
 *   const started = performance.now();
 *   try {
 *     return await next(request);
 *   } finally {
 *     took.push(`${String(request.route)}: ${Math.round(performance.now() - started)} ms`);
 *   }
 * };
 * const network = new MemoryNetwork();
 * const router = new Router().handle("echo", (s: string) => s);
 * await using server = new Server({ router, body: textBody });
 * server.serve(await network.listen("mem://timed"));
 * await using client = new Client<typeof router>({
 *   endpoint: "mem://timed",
 *   dial: (key, o) => network.dial(key, o),
 *   body: textBody,
 *   interceptors: [{ request: timing }],
 * });
 * await client.request("echo", "hi");
 * console.log(took.length); // 1
 * ```
 */
export type RequestInterceptor = (
  request: OutgoingRequest,
  next: (request: OutgoingRequest) => Promise<ReplyWithMetadata>,
) => Promise<ReplyWithMetadata>;

/**
 * Runs around every handler (requests and notifications): call `next()` to
 * run the rest and get the handler's result, or throw (a `RemoteError` with
 * the code the caller should see, such as `UNAUTHENTICATED`) to stop before
 * the handler runs. What it returns is the reply body.
 *
 * @example Logging every request a router handles
 * ```ts
 * import { Connection, Router, textBody } from "listenrain";
 * import type { HandleInterceptor } from "listenrain/advanced";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const log: string[] = [];
 * const logging: HandleInterceptor = async (ctx, next) => {
 *   try {
 *     return await next();
 *   } finally {
 *     log.push(`${String(ctx.route)} from ${ctx.metadata.get("x-tenant") ?? "?"}`);
 *   }
 * };
 * const [a, b] = createMemoryPipe();
 * const router = new Router().use(logging).handle("echo", (s: string) => s);
 * const server = new Connection(a, { router, body: textBody });
 * const client = new Connection<typeof router>(b, { body: textBody });
 * await client.request("echo", "hi", { metadata: { "x-tenant": "acme" } });
 * console.log(log); // [ "echo from acme" ]
 * await client.close();
 * await server.close();
 * ```
 */
export type HandleInterceptor = (
  context: RequestContext,
  next: () => Promise<unknown>,
) => Promise<unknown>;

/**
 * An interceptor: either side or both, so that one value (a tracing
 * interceptor, say) serves clients and servers alike. Interceptors run in
 * the order they are given, the first outermost.
 *
 * @example A bearer token: added by the client, checked by the server
 * ```ts
 * import { Client, type Interceptor, RemoteError, Router, Server, textBody } from "listenrain";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const auth: Interceptor = {
 *   handle: (ctx, next) => {
 *     if (ctx.metadata.get("authorization") !== "Bearer rain") {
 *       throw new RemoteError("UNAUTHENTICATED", "A valid token is needed");
 *     }
 *     return next();
 *   },
 * };
 * const network = new MemoryNetwork();
 * const router = new Router().handle("secret", () => "42");
 * await using server = new Server({ router, body: textBody, interceptors: [auth] });
 * server.serve(await network.listen("mem://vault"));
 * await using client = new Client<typeof router>({
 *   endpoint: "mem://vault",
 *   dial: (key, o) => network.dial(key, o),
 *   body: textBody,
 *   interceptors: [{
 *     request: (request, next) => {
 *       request.metadata.set("authorization", "Bearer rain");
 *       return next(request);
 *     },
 *   }],
 * });
 * console.log(await client.request("secret", "")); // "42"
 * ```
 */
export interface Interceptor {
  /** Around every outgoing request of the connection or client. */
  request?: RequestInterceptor;
  /** Around every handler of the connection or server. */
  handle?: HandleInterceptor;
}
