/**
 * Options of a {@linkcode Connection}, and of the connections a `Client` or
 * a `Server` opens.
 *
 * @module
 */

import type { BodyCodec } from "../codec/body_codec.ts";
import type { Envelope } from "../codec/envelope.ts";
import type { MetadataInit } from "../codec/metadata.ts";
import type { PacketCodec } from "../framing/packet_codec.ts";
import type { Interceptor } from "./interceptor.ts";
import type { Protocol } from "../protocol/protocol.ts";
import type { Router } from "../transport/router.ts";
import type { ConnectionLimits } from "../transport/transport_options.ts";

/**
 * What every connection is made of: the protocol, the routes it serves, the
 * body codec, and the connection's limits and callbacks.
 *
 * @example A router, a body codec and limits
 * ```ts
 * import {
 *   Connection,
 *   type ConnectionOptions,
 *   jsonBody,
 *   Router,
 * } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const options: ConnectionOptions = {
 *   router: new Router().handle("add", ([x, y]: [number, number]) => x + y),
 *   body: jsonBody,
 *   timeout: 5_000,
 *   maxPendingRequests: 1_000,
 * };
 * const [a, b] = createMemoryPipe();
 * const server = new Connection(a, options);
 * const client = new Connection(b, { body: jsonBody });
 * console.log(await client.request("add", [2, 3])); // 5
 * await client.close();
 * await server.close();
 * ```
 */
// deno-lint-ignore no-explicit-any
export interface ConnectionOptions<M = any> extends ConnectionLimits<M> {
  /** What the connection speaks. @default {envelopeProtocol} */
  protocol?: Protocol<M>;
  /**
   * The framing, instead of the protocol's (for example a
   * `LengthPrefixedCodec` with another `maxFrameSize`).
   * @default {the protocol's `framing`; a LengthPrefixedCodec (16 MiB frames) if it has none}
   */
  framing?: PacketCodec;
  /** Handlers for the peer's requests and notifications. Without it, every request gets the error reply `NO_HANDLER`. */
  router?: Router;
  /**
   * Metadata sent with every request and notification (a request's own
   * `metadata` replaces the same keys): a token, a tenant.
   */
  metadata?: MetadataInit;
  /**
   * Interceptors around every outgoing request (their `request` part) and
   * every handler (their `handle` part), the first outermost; a router's
   * own (`router.use`) run inside these.
   */
  interceptors?: readonly Interceptor[];
  /** The body codec of routes that name none. @default {rawBody} */
  // deno-lint-ignore no-explicit-any
  body?: BodyCodec<any>;
}

/** The envelope protocol's options, for the JSDoc of the classes. */
export type EnvelopeConnectionOptions = ConnectionOptions<Envelope>;
