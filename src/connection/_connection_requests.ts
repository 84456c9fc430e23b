/**
 * The requests a {@linkcode Connection} sends: `request` and `call`,
 * straight to its transport or through its request interceptors, and their
 * replies decoded.
 *
 * @module
 */

import type { ChannelAddr } from "../channel/channel.ts";
import type { MessageId } from "../codec/message_codec.ts";
import type { RouteName } from "../protocol/protocol.ts";
import type { StateMachine } from "../transport/state_machine.ts";
import {
  requestDecoded,
  type RequestOptions,
  type Transport,
} from "../transport/transport.ts";
import type { Caller } from "./_caller.ts";
import { bodyOf, decodingMachine, failMachine } from "./_reply_decoder.ts";
import type { ReplyWithMetadata } from "./interceptor.ts";
// deno-lint-ignore no-unused-vars
import type { Connection } from "./connection.ts";

/**
 * `Connection.request`: the reply, decoded (with its metadata if
 * `withMetadata`).
 */
export function sendRequest(
  caller: Caller,
  transport: Transport<unknown>,
  route: RouteName,
  body: unknown,
  options: RequestOptions | undefined,
): Promise<unknown> {
  if (caller.interceptors.length > 0) {
    const reply = interceptedRequest(
      caller,
      transport,
      transport.channel.remoteAddr,
      route,
      body,
      options,
    );
    return options?.withMetadata ? reply : reply.then(bodyOf);
  }
  let message: unknown;
  try {
    message = caller.message(
      "request",
      route,
      body,
      caller.metadata(options?.metadata),
    );
  } catch (error) {
    return Promise.reject(error);
  }
  return requestDecoded(
    transport,
    message,
    options?.withMetadata ? caller.decodeFull : caller.decodeBody,
    options,
  );
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
  onError: (error: unknown) => void,
  route: RouteName,
  body: unknown,
  machine: StateMachine<unknown>,
  options: RequestOptions | undefined,
): MessageId | undefined {
  if (caller.interceptors.length > 0) {
    callIntercepted(caller, transport, onError, route, body, machine, options);
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

/**
 * `Connection.call` through the interceptors. A function of its own: its
 * closures in `callInto` would make every call allocate their context.
 */
function callIntercepted(
  caller: Caller,
  transport: Transport<unknown>,
  onError: (error: unknown) => void,
  route: RouteName,
  body: unknown,
  machine: StateMachine<unknown>,
  options: RequestOptions | undefined,
): void {
  const full = options?.withMetadata === true;
  const remoteAddr = transport.channel.remoteAddr;
  interceptedRequest(caller, transport, remoteAddr, route, body, options)
    .then(
      (reply) => machine.onMessage(full ? reply : reply.body),
      (error) => failMachine(machine, error),
    ).catch(onError);
}
