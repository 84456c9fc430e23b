/**
 * What a {@linkcode Connection} is built from: the options of its
 * transport, and a request sent through its request interceptors.
 *
 * @module
 */

import type { Channel, ChannelAddr } from "../channel/channel.ts";
import type { BodyCodec } from "../codec/body_codec.ts";
import type { Protocol, RouteName } from "../protocol/protocol.ts";
import type { PacketCodec } from "../framing/packet_codec.ts";
import type { Router } from "../transport/router.ts";
import {
  requestDecoded,
  type RequestOptions,
  type Transport,
} from "../transport/transport.ts";
import type { InternalTransportOptions } from "../transport/_transport_config.ts";
import type { ConnectionLimits } from "../transport/transport_options.ts";
import type { Caller } from "./_caller.ts";
import type { Interceptor, ReplyWithMetadata } from "./interceptor.ts";
import { sharedRouteHandler } from "./_route_handler.ts";
import { decodingMachine, failMachine } from "./_reply_decoder.ts";
import type { MessageId } from "../codec/message_codec.ts";
import type { StateMachine } from "../transport/state_machine.ts";
// deno-lint-ignore no-unused-vars
import type { Connection } from "./connection.ts";

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

/** A request through the request interceptors; the last `next` sends it. */
export function interceptedRequest(
  caller: Caller,
  transport: Transport<unknown>,
  remoteAddr: ChannelAddr,
  route: RouteName,
  body: unknown,
  options: RequestOptions | undefined,
): Promise<ReplyWithMetadata> {
  return caller.intercept(
    route,
    body,
    options,
    transport.timeout,
    remoteAddr,
    (request) => {
      let message: unknown;
      try {
        message = caller.message(
          "request",
          request.route,
          request.body,
          request.metadata.size > 0 ? request.metadata : undefined,
        );
      } catch (error) {
        return Promise.reject(error);
      }
      return requestDecoded(transport, message, caller.decodeFull, {
        timeout: request.timeout === Infinity ? 0 : request.timeout,
        signal: request.signal,
      });
    },
  );
}

/** `Connection.call`: the outcome goes to `machine` (async mode). */
export function callInto(
  caller: Caller,
  transport: Transport<unknown>,
  remoteAddr: ChannelAddr,
  onError: (error: unknown) => void,
  route: RouteName,
  body: unknown,
  machine: StateMachine<unknown>,
  options: RequestOptions | undefined,
): MessageId | undefined {
  if (caller.interceptors.length > 0) {
    const full = options?.withMetadata === true;
    interceptedRequest(caller, transport, remoteAddr, route, body, options)
      .then(
        (reply) => machine.onMessage(full ? reply : reply.body),
        (error) => failMachine(machine, error),
      ).catch(onError);
    return undefined;
  }
  return transport.call(
    caller.message("request", route, body, caller.metadata(options?.metadata)),
    decodingMachine(
      options?.withMetadata ? caller.decodeFull : caller.decodeBody,
      machine,
    ),
    options,
  );
}
