/**
 * Where a {@linkcode Client}'s calls go and how they are made: the endpoint
 * of a request (the key it names, the client's endpoint, or the resolver's
 * endpoints) and a call made directly or through the interceptors.
 *
 * @module
 */

import {
  TransportKey,
  type TransportKeyInit,
} from "../channel/transport_key.ts";
import type { Metadata } from "../codec/metadata.ts";
import type { Caller } from "../connection/_caller.ts";
import type { ReplyWithMetadata } from "../connection/interceptor.ts";
import type { RouteName } from "../protocol/protocol.ts";
import type { CallHost, ClientCall } from "./_client_call.ts";
import type { ClientParts } from "./_client_parts.ts";
import type { EndpointGroup } from "./_endpoint_group.ts";
import { newClientCall } from "./_new_client_call.ts";
import type { ClientRequestOptions } from "./client_options.ts";

/** A client's calls: its endpoint, policy, caller and call hosts. */
export class ClientCalls {
  /** The protocol, body codec, default metadata and interceptors. */
  readonly caller: Caller;
  /** The endpoint of requests that name no key, if there is one. */
  readonly key: TransportKey | undefined;
  /** The client's `timeout`. */
  readonly timeout: number;
  /** The resolver's endpoints, if the client has a resolver. */
  readonly group: EndpointGroup | undefined;
  #retry: number;
  #host: CallHost<unknown>;
  #balanced: CallHost<unknown> | undefined;

  /**
   * @param parts The client's parts.
   * @param host The host of calls to a key: the pool's connections.
   */
  constructor(
    parts: Pick<
      ClientParts,
      "caller" | "key" | "timeout" | "retry" | "group" | "balanced"
    >,
    host: CallHost<unknown>,
  ) {
    this.caller = parts.caller;
    this.key = parts.key;
    this.timeout = parts.timeout;
    this.group = parts.group;
    this.#retry = parts.retry;
    this.#host = host;
    this.#balanced = parts.balanced;
  }

  /**
   * A call of `route`, not started: to the resolver's endpoints when the
   * client has a resolver and the request names no key, else to the key.
   *
   * @param route The route.
   * @param body The request.
   * @param options The request's options.
   * @param metadata The interceptors' metadata, if they ran.
   * @returns The call.
   * @throws {TypeError} If there is no key to send to.
   */
  call(
    route: RouteName,
    body: unknown,
    options: ClientRequestOptions,
    metadata: Metadata | undefined,
  ): ClientCall<unknown, unknown> {
    const balanced = this.#balanced !== undefined && options.key === undefined;
    return newClientCall(
      this.caller,
      balanced ? this.#balanced! : this.#host,
      balanced ? "the resolver's endpoints" : this.keyOf(options.key),
      this.timeout,
      this.#retry,
      route,
      body,
      options,
      metadata,
    );
  }

  /**
   * A request sent through the interceptors, each of whose sends is a call.
   *
   * @param route The route.
   * @param body The request.
   * @param options The request's options.
   * @returns The reply with its metadata.
   */
  intercepted(
    route: RouteName,
    body: unknown,
    options: ClientRequestOptions,
  ): Promise<ReplyWithMetadata> {
    let endpoint: TransportKey;
    try {
      endpoint = this.endpoint(options.key);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.caller.intercept(
      route,
      body,
      options,
      this.timeout,
      endpoint,
      (request) =>
        new Promise<ReplyWithMetadata>((resolve, reject) =>
          this.call(
            request.route,
            request.body,
            { ...options, timeout: request.timeout, signal: request.signal },
            request.metadata,
          ).run(resolve as (value: unknown) => void, reject)
        ),
    );
  }

  /**
   * Where a request goes, for interceptors.
   *
   * @param key The key the request names, if any.
   * @returns The key, or the resolver's label.
   * @throws {TypeError} If there is no key to send to.
   */
  endpoint(key: string | TransportKeyInit | undefined): TransportKey {
    return this.group && key === undefined
      ? this.group.label
      : TransportKey.from(this.keyOf(key));
  }

  /**
   * The key a request goes to.
   *
   * @param key The key the request names, if any.
   * @returns That key, or the client's endpoint.
   * @throws {TypeError} If the request names none and the client has none.
   */
  keyOf(
    key: string | TransportKeyInit | undefined,
  ): TransportKey | string | TransportKeyInit {
    if (key !== undefined) return key;
    if (this.key === undefined) {
      throw new TypeError(
        "The request names no key and the client has no endpoint",
      );
    }
    return this.key;
  }
}
