/**
 * The {@linkcode Connection}: one end of a connection, serving routes and
 * calling the peer's, over any protocol.
 *
 * @module
 */

import type { Channel, ChannelAddr } from "../channel/channel.ts";
import type { BodyCodec } from "../codec/body_codec.ts";
import type { MessageId } from "../codec/message_codec.ts";
import type { MetadataInit } from "../codec/metadata.ts";
import type { Protocol, RouteName } from "../protocol/protocol.ts";
import type {
  ReplyOf,
  RequestOf,
  RouteOf,
  StreamRouteOf,
} from "../protocol/route_types.ts";
import type { StreamSource } from "../transport/stream_handlers.ts";
import type { StreamOptions } from "./stream_options.ts";
import type { ReplyStream } from "./reply_stream.ts";
import {
  type StreamCallHost,
  streamReplies,
  streamRequests,
} from "./_stream_call.ts";
import type { StateMachine } from "../transport/state_machine.ts";
import type { ConnectionStats } from "../transport/stats.ts";
import { type RequestOptions, Transport } from "../transport/transport.ts";
import type { ConnectionOptions } from "./connection_options.ts";
import type { Caller } from "./_caller.ts";
import { connectionSetup } from "./_connection_parts.ts";
import { callInto, sendRequest } from "./_connection_requests.ts";
import type { ReplyWithMetadata } from "./interceptor.ts";

/**
 * The transport under a connection, its protocol and body codec: for the
 * client and the server of this package; not part of the public API.
 *
 * @internal
 */
// deno-lint-ignore no-explicit-any
export let connectionParts: (connection: Connection<any>) => {
  transport: Transport<unknown>;
  protocol: Protocol<unknown>;
  body: BodyCodec<unknown>;
};

/**
 * One end of a connection: `request` a route of the peer and await the
 * reply, `call` it with callbacks (async mode), `notify` it one way, and
 * serve the routes of a {@linkcode Router} to the peer. Both ends can do all
 * of it over the same channel (server push, bidirectional calls). Every
 * request settles exactly once: reply, error reply, timeout, abort, or
 * `ConnectionClosedError`.
 *
 * The connection speaks a {@linkcode Protocol}: listenrain's envelope by
 * default, or your own. Give it the server's route table as its type,
 * `Connection<typeof router>`, and a wrong route, request or reply type is
 * a compile error.
 *
 * @example Say hi
 * ```ts
 * import { Connection, jsonBody, Router } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("sayhi", (body: { name: string }) => ({ hi: body.name }));
 * const server = new Connection(a, { router, body: jsonBody });
 * const client = new Connection<typeof router>(b, { body: jsonBody });
 * const reply = await client.request("sayhi", { name: "rain" });
 * console.log(reply.hi); // "rain"
 * await client.close();
 * await server.close();
 * ```
 */
// deno-lint-ignore no-explicit-any
export class Connection<T = any> {
  #transport: Transport<unknown>;
  #caller: Caller;
  /** Receives what a caller's callback throws (the `onError` option). */
  #onError: (error: unknown) => void;

  /**
   * Starts speaking on `channel` at once.
   *
   * @param channel The byte stream; the connection owns it from now on.
   * @param options The protocol, the routes, the body codec and the limits.
   * @throws {RangeError} If an option is out of range.
   */
  constructor(channel: Channel, options: ConnectionOptions = {}) {
    const setup = connectionSetup(options, { connection: this, channel });
    this.#caller = setup.caller;
    this.#onError = setup.onError;
    this.#transport = new Transport<unknown>(channel, setup.transportOptions);
  }

  static {
    connectionParts = (connection) => ({
      transport: connection.#transport,
      protocol: connection.#caller.protocol,
      body: connection.#caller.body,
    });
  }

  /** Resolves once the connection is closed, for whatever reason. */
  get closed(): Promise<void> {
    return this.#transport.closed;
  }

  /** Why the connection closed, once it has; `undefined` while open. */
  get closedReason(): Error | undefined {
    return this.#transport.closedReason;
  }

  /** The counters, with current values for `pending`, `handling` and `queuedBytes`. */
  get stats(): ConnectionStats {
    return this.#transport.stats;
  }

  /** This end's address. */
  get localAddr(): ChannelAddr {
    return this.#transport.channel.localAddr;
  }

  /** The peer's address. */
  get remoteAddr(): ChannelAddr {
    return this.#transport.channel.remoteAddr;
  }

  /**
   * False once the connection takes no new requests: it is closing, closed,
   * or the peer sent goaway (then {@linkcode Connection.refusal} says why).
   */
  get canRequest(): boolean {
    return this.#transport.canRequest;
  }

  /** Why new requests are refused, if they are. */
  get refusal(): Error | undefined {
    return this.#transport.refusal;
  }

  /** Requests this side sent that wait for their reply. */
  get inFlight(): number {
    return this.#transport.inFlight;
  }

  /** True once {@linkcode Connection.drain} was called. */
  get draining(): boolean {
    return this.#transport.draining;
  }

  /**
   * Sends a request to `route` and waits for the reply: with
   * `withMetadata: true`, its body and the metadata the handler sent back.
   *
   * @param route A route name or u32 command.
   * @param body The request body.
   * @param options Timeout and abort signal.
   * @returns The reply body.
   * @throws {RemoteError} The handler failed or no such route (`remoteCode`).
   * @throws {TimeoutError} The deadline passed.
   * @throws {AbortedError} The signal aborted.
   * @throws {ConnectionClosedError} The connection closed before the reply.
   * @throws {TooManyPendingError} `maxPendingRequests` requests wait already.
   * @throws {CodecError} A body could not be encoded or decoded here.
   */
  request<N extends RouteOf<T>>(
    route: N,
    body: RequestOf<T, N>,
    options: RequestOptions & { withMetadata: true },
  ): Promise<ReplyWithMetadata<ReplyOf<T, N>>>;
  /**
   * Sends a request to `route` and waits for the reply body.
   *
   * @param route A route name or u32 command.
   * @param body The request body.
   * @param options Deadline, signal, metadata.
   * @returns The reply body.
   */
  request<N extends RouteOf<T>>(
    route: N,
    body: RequestOf<T, N>,
    options?: RequestOptions,
  ): Promise<ReplyOf<T, N>>;
  request(
    route: RouteName,
    body: unknown,
    options?: RequestOptions,
  ): Promise<unknown> {
    return sendRequest(this.#caller, this.#transport, route, body, options);
  }

  /**
   * Sends a request whose outcome goes to `machine` (async mode): exactly
   * one of its callbacks is called, once.
   *
   * @param route A route name or u32 command.
   * @param body The request body.
   * @param machine Called back with the decoded reply or the error.
   * @param options Timeout and abort signal.
   * @returns The request's id.
   * @throws {CodecError} If the body cannot be encoded.
   * @throws {ConnectionClosedError} If the connection takes no new requests.
   * @throws {TooManyPendingError} `maxPendingRequests` requests wait already.
   */
  call<N extends RouteOf<T>>(
    route: N,
    body: RequestOf<T, N>,
    machine: StateMachine<ReplyOf<T, N>>,
    options?: RequestOptions,
  ): MessageId | undefined {
    return callInto(
      this.#caller,
      this.#transport,
      this.#onError,
      route,
      body,
      machine as StateMachine<unknown>,
      options,
    );
  }

  /**
   * Opens a server-streaming call: one request, a stream of replies (the
   * route was registered with `router.serverStream`). The stream has no
   * deadline unless `options.timeout` gives one; `options.signal` or
   * leaving the `for await` loop cancels it on both sides.
   *
   * @param route The route.
   * @param body The request.
   * @param options Deadline, signal, metadata.
   * @returns The replies, read with `for await` (errors are thrown there).
   */
  serverStream<N extends StreamRouteOf<T, "server">>(
    route: N,
    body: RequestOf<T, N>,
    options?: StreamOptions,
  ): ReplyStream<ReplyOf<T, N>> {
    return streamReplies(this.#streamHost, "server", route, body, options);
  }

  /**
   * Opens a client-streaming call: a stream of requests, one reply (the
   * route was registered with `router.clientStream`). Each request is sent
   * as the peer's credit allows.
   *
   * @param route The route.
   * @param requests The requests: an async iterable, an iterable or a `ReadableStream`.
   * @param options Deadline, signal, metadata.
   * @returns The reply; it rejects as `request()` does, or with the error
   *   the source threw.
   */
  clientStream<N extends StreamRouteOf<T, "client">>(
    route: N,
    requests: StreamSource<RequestOf<T, N>>,
    options?: StreamOptions,
  ): Promise<ReplyOf<T, N>> {
    return streamRequests(
      this.#streamHost,
      route,
      requests,
      options,
    ) as Promise<ReplyOf<T, N>>;
  }

  /**
   * Opens a bidirectional call: a stream of requests and a stream of
   * replies at once (the route was registered with `router.bidiStream`).
   *
   * @param route The route.
   * @param requests The requests: an async iterable, an iterable or a `ReadableStream`.
   * @param options Deadline, signal, metadata.
   * @returns The replies, read with `for await`.
   */
  bidiStream<N extends StreamRouteOf<T, "bidi">>(
    route: N,
    requests: StreamSource<RequestOf<T, N>>,
    options?: StreamOptions,
  ): ReplyStream<ReplyOf<T, N>> {
    return streamReplies(this.#streamHost, "bidi", route, requests, options);
  }

  get #streamHost(): StreamCallHost {
    return {
      caller: this.#caller,
      endpoint: () => this.remoteAddr,
      transport: () => this.#transport,
    };
  }

  /**
   * Sends a one-way notification to `route`.
   *
   * @param route A route name or u32 command.
   * @param body The body.
   * @returns `undefined` once queued, or a promise while the queue is full.
   * @throws {CodecError} If the body cannot be encoded.
   * @throws {ConnectionClosedError} If the connection takes no new messages.
   */
  notify<N extends RouteOf<T>>(
    route: N,
    body: RequestOf<T, N>,
    options?: { metadata?: MetadataInit },
  ): void | Promise<void> {
    const caller = this.#caller;
    return this.#transport.notify(
      caller.message(
        "notify",
        route as RouteName,
        body,
        caller.metadata(options?.metadata),
      ),
    );
  }

  /**
   * Measures a round trip with a ping (the protocol must have pings).
   *
   * @param options Timeout and abort signal.
   * @returns The round-trip time in ms.
   * @throws {TypeError} If the protocol has no ping messages.
   * @throws The errors of {@linkcode Connection.request}.
   */
  ping(options?: RequestOptions): Promise<number> {
    return this.#transport.ping(options);
  }

  /**
   * Tells the peer to send no new requests (the protocol's goaway); requests
   * in flight both ways go on.
   *
   * @param reason Why, for the peer's errors.
   */
  goaway(reason?: string): void {
    this.#transport.goaway(reason);
  }

  /**
   * Refuses new requests from the peer (`GOING_AWAY`) and resolves once the
   * requests being handled here have replied.
   *
   * @param options A signal to stop waiting.
   * @returns A promise that resolves once drained.
   */
  drain(options?: { signal?: AbortSignal }): Promise<void> {
    return this.#transport.drain(options);
  }

  /**
   * Closes the connection: pending requests reject with
   * `ConnectionClosedError` (the peer is sent cancels), queued frames are
   * written first within `closeTimeout`.
   *
   * @param reason Message for the pending requests' error.
   * @returns A promise that resolves once closed.
   */
  close(reason?: string): Promise<void> {
    return this.#transport.close(reason);
  }

  /** Closes the connection. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
