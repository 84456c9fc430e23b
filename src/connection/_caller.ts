/**
 * What a connection and a client share to send requests: the protocol, the
 * body codec, the default metadata and the request interceptors.
 *
 * @module
 */

import type { ChannelAddr } from "../channel/channel.ts";
import type { TransportKey } from "../channel/transport_key.ts";
import type { BodyCodec } from "../codec/body_codec.ts";
import {
  mergeMetadata,
  Metadata,
  type MetadataInit,
} from "../codec/metadata.ts";
import { CodecError } from "../errors.ts";
import type { StreamShape } from "../codec/message_codec.ts";
import type { Protocol, RouteName } from "../protocol/protocol.ts";
import { checkTimeout } from "../transport/_transport_config.ts";
import type { RequestOptions } from "../transport/transport_options.ts";
import type {
  Interceptor,
  OutgoingRequest,
  ReplyWithMetadata,
  RequestInterceptor,
} from "./interceptor.ts";
import { runRequestChain } from "./_request_chain.ts";

const NO_INTERCEPTORS: readonly RequestInterceptor[] = Object.freeze([]);

/** Builds requests and decodes replies for one connection or client. */
export class Caller {
  readonly protocol: Protocol<unknown>;
  readonly body: BodyCodec<unknown>;
  /** The request interceptors, in order. */
  readonly interceptors: readonly RequestInterceptor[];
  #defaults: Metadata | undefined;
  #decodeBody: ((reply: unknown) => unknown) | undefined;
  #decodeFull: ((reply: unknown) => ReplyWithMetadata) | undefined;

  /**
   * @param protocol The protocol.
   * @param body The body codec.
   * @param metadata The default metadata of every request.
   * @param interceptors The interceptors (their `request` parts are used).
   */
  constructor(
    protocol: Protocol<unknown>,
    body: BodyCodec<unknown>,
    metadata: MetadataInit | undefined,
    interceptors: readonly Interceptor[] | undefined,
  ) {
    this.protocol = protocol;
    this.body = body;
    this.#defaults = metadata === undefined
      ? undefined
      : new Metadata(metadata);
    if (this.#defaults !== undefined) this.#check(this.#defaults);
    const requests = interceptors?.flatMap((i) => i.request ? [i.request] : []);
    // A connection without request interceptors holds no array of its own.
    this.interceptors = requests?.length ? requests : NO_INTERCEPTORS;
  }

  /** Reply → body (made on first use: an idle connection holds none). */
  get decodeBody(): (reply: unknown) => unknown {
    return this.#decodeBody ??= this.#makeDecodeBody();
  }

  /** Reply → `{ body, metadata }` (made on first use). */
  get decodeFull(): (reply: unknown) => ReplyWithMetadata {
    return this.#decodeFull ??= this.#makeDecodeFull();
  }

  // The decoders are made by methods of their own: a closure in the getters
  // would make every call (every request) allocate a context for it.

  #makeDecodeBody(): (reply: unknown) => unknown {
    const { protocol, body } = this;
    return (reply) => protocol.body(reply, body);
  }

  #makeDecodeFull(): (reply: unknown) => ReplyWithMetadata {
    const { protocol, body } = this;
    return (reply) => ({
      body: protocol.body(reply, body),
      metadata: protocol.metadata?.(reply) ?? new Metadata(),
    });
  }

  /**
   * The metadata of a request: the defaults with `init` on top.
   *
   * @param init The request's own metadata.
   * @returns The metadata, or `undefined` for none.
   * @throws {CodecError} If the protocol carries no metadata.
   */
  metadata(init: MetadataInit | undefined): Metadata | undefined {
    const merged = mergeMetadata(this.#defaults, init);
    if (merged !== undefined && init !== undefined) this.#check(merged);
    return merged !== undefined && merged.size > 0 ? merged : undefined;
  }

  /**
   * A request or notification message.
   *
   * @param kind Which.
   * @param route The route.
   * @param body The body.
   * @param metadata Its metadata (merged already).
   * @returns The message.
   */
  message(
    kind: "request" | "notify",
    route: RouteName,
    body: unknown,
    metadata: Metadata | undefined,
  ): unknown {
    return this.protocol.message(kind, route, body, this.body, metadata);
  }

  /**
   * Sends a request through the interceptors.
   *
   * @param route The route.
   * @param body The body.
   * @param options The request's options.
   * @param defaultTimeout The deadline when the options name none.
   * @param endpoint Where the request goes.
   * @param send Sends the final request, with the time left.
   * @param stream The shape of the stream the call opens, if it opens one.
   * @returns The reply with its metadata.
   */
  intercept(
    route: RouteName,
    body: unknown,
    options: RequestOptions | undefined,
    defaultTimeout: number,
    endpoint: TransportKey | ChannelAddr,
    send: (request: OutgoingRequest) => Promise<ReplyWithMetadata>,
    stream?: StreamShape,
  ): Promise<ReplyWithMetadata> {
    let request: OutgoingRequest;
    try {
      request = {
        route,
        body,
        // A fresh copy: interceptors may change it.
        metadata: new Metadata(this.metadata(options?.metadata)),
        timeout: options?.timeout === undefined
          ? defaultTimeout
          : checkTimeout(options.timeout),
        signal: options?.signal,
        endpoint,
      };
      if (stream !== undefined) request = { ...request, stream };
    } catch (error) {
      return Promise.reject(error);
    }
    return runRequestChain(this.interceptors, request, send);
  }

  #check(metadata: Metadata): void {
    if (metadata.size > 0 && this.protocol.metadata === undefined) {
      throw new CodecError("This connection's protocol carries no metadata");
    }
  }
}
