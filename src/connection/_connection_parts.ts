/**
 * What a {@linkcode Connection} is built from: its options taken apart into
 * its caller and the options of its transport.
 *
 * @module
 */

import type { Channel } from "../channel/channel.ts";
import { type BodyCodec, rawBody } from "../codec/body_codec.ts";
import { envelopeProtocol } from "../protocol/envelope_protocol.ts";
import type { Protocol } from "../protocol/protocol.ts";
import type { PacketCodec } from "../framing/packet_codec.ts";
import type { Router } from "../transport/router.ts";
import type { InternalTransportOptions } from "../transport/_transport_config.ts";
import type { ConnectionLimits } from "../transport/transport_options.ts";
import { Caller } from "./_caller.ts";
import type { ConnectionOptions } from "./connection_options.ts";
import type { Interceptor } from "./interceptor.ts";
import { sharedRouteHandler } from "./_route_handler.ts";
// deno-lint-ignore no-unused-vars
import type { Connection } from "./connection.ts";

/** A connection's options taken apart. */
export interface ConnectionSetup {
  /** The protocol, body codec, default metadata and request interceptors. */
  caller: Caller;
  /** Receives what a caller's callback throws (the `onError` option). */
  onError: (error: unknown) => void;
  /** The options of the connection's transport. */
  transportOptions: InternalTransportOptions<unknown>;
}

/**
 * Takes a connection's options apart, with their defaults: the envelope
 * protocol, raw bodies.
 *
 * @param options The connection's options.
 * @param origin The connection and its channel, for its handlers.
 * @returns The caller, `onError` and the transport's options.
 */
export function connectionSetup(
  options: ConnectionOptions,
  origin: { connection: unknown; channel: Channel },
): ConnectionSetup {
  const {
    protocol = envelopeProtocol,
    framing,
    router,
    body,
    metadata,
    interceptors,
    ...rest
  } = options;
  const proto = protocol as Protocol<unknown>;
  const bodyCodec = (body ?? rawBody) as BodyCodec<unknown>;
  return {
    caller: new Caller(proto, bodyCodec, metadata, interceptors),
    onError: rest.onError ?? ignore,
    transportOptions: transportOptionsOf(
      proto,
      framing,
      router,
      bodyCodec,
      interceptors,
      rest,
      origin,
    ),
  };
}

/**
 * The options of a connection's transport: the protocol's codecs and ids,
 * the router's handler (with the handle interceptors), and the limits.
 */
export function transportOptionsOf(
  protocol: Protocol<unknown>,
  framing: PacketCodec | undefined,
  router: Router | undefined,
  body: BodyCodec<unknown>,
  interceptors: readonly Interceptor[] | undefined,
  limits: ConnectionLimits,
  origin: { connection: unknown; channel: Channel },
): InternalTransportOptions<unknown> {
  const handles = (interceptors ?? []).flatMap((i) =>
    i.handle ? [i.handle] : []
  );
  return {
    ...limits,
    codec: protocol.codec,
    packetCodec: framing ?? protocol.framing,
    ids: protocol.ids?.(),
    handler: router
      ? sharedRouteHandler(protocol, router, body, handles)
      : undefined,
    // Handlers see this connection and its channel as their caller's.
    origin: origin as InternalTransportOptions<unknown>["origin"],
  };
}

/** Where a callback's throw goes without an `onError` option, as in the transport. */
function ignore(): void {}
