/**
 * Building a {@linkcode ClientCall} from a client's policy and a request's
 * options.
 *
 * @module
 */

import type {
  TransportKey,
  TransportKeyInit,
} from "../channel/transport_key.ts";
import type { Metadata } from "../codec/metadata.ts";
import type { Caller } from "../connection/_caller.ts";
import type { RouteName } from "../protocol/protocol.ts";
import { checkTimeout } from "../transport/_transport_config.ts";
import { type CallHost, ClientCall } from "./_client_call.ts";
import type { ClientRequestOptions } from "./client_options.ts";

/**
 * A call of `route` with the client's policy and `options`; `metadata`
 * given (by the interceptors) is sent as is and the reply decoded with its
 * metadata, else the options' metadata is merged with the client's.
 *
 * @param caller The client's protocol, body codec and metadata.
 * @param host Where the call finds its connection.
 * @param target The endpoint, or what the balancer's endpoints are called.
 * @param defaultTimeout The client's `timeout`.
 * @param defaultRetry The client's `retry`.
 * @param route The route.
 * @param body The request.
 * @param options The request's options.
 * @param metadata The interceptors' metadata, if they ran.
 * @returns The call, not started.
 */
export function newClientCall(
  caller: Caller,
  host: CallHost<unknown>,
  target: TransportKey | string | TransportKeyInit,
  defaultTimeout: number,
  defaultRetry: number,
  route: RouteName,
  body: unknown,
  options: ClientRequestOptions,
  metadata: Metadata | undefined,
): ClientCall<unknown, unknown> {
  const intercepted = metadata !== undefined;
  const message = caller.message(
    "request",
    route,
    body,
    intercepted
      ? (metadata.size > 0 ? metadata : undefined)
      : caller.metadata(options.metadata),
  );
  const timeout = options.timeout === undefined
    ? defaultTimeout
    : options.timeout === Infinity
    ? Infinity
    : checkTimeout(options.timeout);
  return new ClientCall<unknown, unknown>(
    host,
    message,
    target,
    timeout,
    options.signal,
    options.retry ?? defaultRetry,
    options.waitForReady ?? false,
    intercepted || options.withMetadata ? caller.decodeFull : caller.decodeBody,
    options.hashKey,
  );
}
