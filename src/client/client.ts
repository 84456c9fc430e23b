/**
 * The {@linkcode Client}: requests to the routes of servers over a pool of
 * connections, with failover, reconnect and retries, over any protocol.
 *
 * @module
 */

import type { TransportKey } from "../channel/transport_key.ts";
import { type Connection, connectionParts } from "../connection/connection.ts";
import { bodyOf, failMachine } from "../connection/_reply_decoder.ts";
import type { ReplyWithMetadata } from "../connection/interceptor.ts";
import { ConnectionClosedError } from "../errors.ts";
import type { RouteName } from "../protocol/protocol.ts";
import type {
  ReplyOf,
  RequestOf,
  RouteOf,
  StreamRouteOf,
} from "../protocol/route_types.ts";
import type { ReplyStream } from "../connection/reply_stream.ts";
import type { StreamOptions } from "../connection/stream_options.ts";
import type { StreamSource } from "../transport/stream_handlers.ts";
import {
  type StreamCallHost,
  streamReplies,
  streamRequests,
} from "../connection/_stream_call.ts";
import type { TimerHeap } from "../timer/timer_heap.ts";
import type { StateMachine } from "../transport/state_machine.ts";
import type { ClientCall } from "./_client_call.ts";
import { ClientCalls } from "./_client_calls.ts";
import { clientConnection } from "./_client_connection.ts";
import type {
  ClientNotifyOptions,
  ClientOptions,
  ClientRequestOptions,
} from "./client_options.ts";
import { ConnectionPool } from "./connection_pool.ts";
import type { Connector } from "./_connector.ts";
import { clientParts } from "./_client_parts.ts";
import { poolHost } from "./_balanced_host.ts";

export type {
  ClientNotifyOptions,
  ClientOptions,
  ClientRequestOptions,
} from "./client_options.ts";

/**
 * A client: `request` a route and await the reply, `call` it with callbacks
 * (async mode), `notify` it one way. Connections come from a
 * {@linkcode ConnectionPool} keyed by endpoint: opened on first use (single
 * flight), reconnected with backoff when lost, closed when idle. Give it a
 * `dial` function (an adapter's, or a `MemoryNetwork`'s) and an `endpoint`,
 * or a `FailoverDialer`. It speaks listenrain's envelope unless given
 * another `protocol`; give it the server's route table as its type,
 * `Client<typeof router>`, and a wrong route, request or reply type is a
 * compile error.
 *
 * - The deadline (`timeout`) covers the whole call, connecting and retries
 *   included, and travels with the request; aborting or timing out cancels
 *   the handler on the server (its `ctx.signal` aborts).
 * - A request whose connection dies rejects with `ConnectionClosedError` at
 *   once; with `retry: n` (idempotent requests only) it is sent again.
 * - Requests the server refused unprocessed (goaway, `GOING_AWAY`) and
 *   requests that could not be sent go to a new connection by themselves.
 *
 * @example A client and a server over the memory network
 * ```ts
 * import { Client, jsonBody, Router, Server } from "listenrain";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const network = new MemoryNetwork();
 * const router = new Router().handle("sayhi", (b: { name: string }) => ({ hi: b.name }));
 * await using server = new Server({ router, body: jsonBody });
 * server.serve(await network.listen("mem://hello"));
 *
 * await using client = new Client<typeof router>({
 *   endpoint: "mem://hello",
 *   dial: (key, o) => network.dial(key, o),
 *   body: jsonBody,
 * });
 * const reply = await client.request("sayhi", { name: "rain" });
 * console.log(reply.hi); // "rain"
 * ```
 */
// deno-lint-ignore no-explicit-any
export class Client<T = any> {
  /** The client's connections, by endpoint; listen here for `connect`, `disconnect`, `connecterror`. */
  readonly pool: ConnectionPool;
  #calls: ClientCalls;
  #timers: TimerHeap;
  #ownTimers: boolean;
  #connector: Connector;
  #onError: (error: unknown) => void;
  #closing: Promise<void> | undefined;

  /**
   * Creates the client; it connects on the first request.
   *
   * @param options How to dial, the protocol and body codec, and the policy.
   * @throws {TypeError} If neither `dial` nor `dialer` is given, or a key is invalid.
   * @throws {RangeError} If an option is out of range.
   */
  constructor(options: ClientOptions) {
    const parts = clientParts(options, () => this.#pool());
    this.#timers = parts.timers;
    this.#ownTimers = parts.ownTimers;
    this.#onError = parts.onError;
    this.#connector = parts.connector;
    this.pool = parts.pool;
    this.#calls = new ClientCalls(
      parts,
      poolHost(
        () => this.#pool(),
        () => this.#connector,
        (error) => this.#onError(error),
      ),
    );
  }

  /** The endpoint of requests that name no key, if there is one. */
  get endpoint(): TransportKey | undefined {
    return this.#calls.key;
  }

  /**
   * Sends a request to `route` and waits for the reply: with
   * `withMetadata: true`, its body and the metadata the handler sent back.
   *
   * @param route A route name or u32 command.
   * @param body The request body.
   * @param options Endpoint, deadline, signal, retries.
   * @returns The reply body.
   * @throws {RemoteError} The handler failed or no such route (`remoteCode`).
   * @throws {TimeoutError} The deadline passed (connecting included).
   * @throws {ConnectError} No connection could be opened.
   * @throws {ConnectionClosedError} The connection closed before the reply, or the client is closed.
   * @throws {CodecError} A body could not be encoded or decoded here.
   */
  request<N extends RouteOf<T>>(
    route: N,
    body: RequestOf<T, N>,
    options: ClientRequestOptions & { withMetadata: true },
  ): Promise<ReplyWithMetadata<ReplyOf<T, N>>>;
  /**
   * Sends a request to `route` and waits for the reply body.
   *
   * @param route A route name or u32 command.
   * @param body The request body.
   * @param options Deadline, signal, metadata, endpoint, retries.
   * @returns The reply body.
   */
  request<N extends RouteOf<T>>(
    route: N,
    body: RequestOf<T, N>,
    options?: ClientRequestOptions,
  ): Promise<ReplyOf<T, N>>;
  request(
    route: RouteName,
    body: unknown,
    options: ClientRequestOptions = {},
  ): Promise<unknown> {
    const calls = this.#calls;
    if (calls.caller.interceptors.length > 0) {
      const reply = calls.intercepted(route, body, options);
      return options.withMetadata ? reply : reply.then(bodyOf);
    }
    return new Promise<unknown>((resolve, reject) =>
      calls.call(route, body, options, undefined).run(resolve, reject)
    );
  }

  /**
   * Sends a request whose outcome goes to `machine` (async mode): exactly one
   * of its callbacks is called, once, whatever happens (connect failures
   * included). A callback that throws goes to the `onError` option.
   *
   * @param route A route name or u32 command.
   * @param body The request body.
   * @param machine Called back with the decoded reply (with `withMetadata`:
   *   `{ body, metadata }`) or the error.
   * @param options Endpoint, deadline, signal, retries, metadata.
   */
  call<N extends RouteOf<T>>(
    route: N,
    body: RequestOf<T, N>,
    machine: StateMachine<ReplyOf<T, N>>,
    options: ClientRequestOptions = {},
  ): void {
    const sink = machine as StateMachine<unknown>;
    const calls = this.#calls;
    if (calls.caller.interceptors.length > 0) {
      const full = options.withMetadata === true;
      calls.intercepted(route, body, options).then(
        (reply) =>
          this.#callback(() => sink.onMessage(full ? reply : reply.body)),
        (error) => this.#callback(() => failMachine(sink, error)),
      );
      return;
    }
    let call: ClientCall<unknown, unknown>;
    try {
      call = calls.call(route, body, options, undefined);
    } catch (error) {
      this.#callback(() => machine.onError?.(error as Error));
      return;
    }
    call.runInto(sink);
  }

  /**
   * Sends a one-way notification to `route`.
   *
   * @param route A route name or u32 command.
   * @param body The body.
   * @param options Endpoint and abort signal.
   * @returns A promise that resolves once the notification is queued.
   * @throws {ConnectError} No connection could be opened.
   * @throws {ConnectionClosedError} The client is closed.
   * @throws {CodecError} The body could not be encoded.
   */
  async notify<N extends RouteOf<T>>(
    route: N,
    body: RequestOf<T, N>,
    options: ClientNotifyOptions = {},
  ): Promise<void> {
    const caller = this.#calls.caller;
    const message = caller.message(
      "notify",
      route,
      body,
      caller.metadata(options.metadata),
    );
    const connection = await this.connection(options);
    await connectionParts(connection).transport.notify(message);
  }

  /**
   * As {@linkcode Connection.serverStream}, on a connection of the client's.
   *
   * @param route The route.
   * @param body The request.
   * @param options Endpoint, deadline (none by default), signal, metadata.
   * @returns The replies, read with `for await`.
   */
  serverStream<N extends StreamRouteOf<T, "server">>(
    route: N,
    body: RequestOf<T, N>,
    options?: StreamOptions,
  ): ReplyStream<ReplyOf<T, N>> {
    return streamReplies(this.#streamHost, "server", route, body, options);
  }

  /**
   * As {@linkcode Connection.clientStream}, on a connection of the client's.
   *
   * @param route The route.
   * @param requests The requests.
   * @param options Endpoint, deadline (none by default), signal, metadata.
   * @returns The reply.
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
    ) as Promise<
      ReplyOf<T, N>
    >;
  }

  /**
   * As {@linkcode Connection.bidiStream}, on a connection of the client's.
   *
   * @param route The route.
   * @param requests The requests.
   * @param options Endpoint, deadline (none by default), signal, metadata.
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
      caller: this.#calls.caller,
      endpoint: (options) => this.#calls.endpoint(options.key),
      transport: (options: StreamOptions) =>
        this.connection(options).then((c) => connectionParts(c).transport),
    };
  }

  /**
   * Measures a round trip to the endpoint with a ping.
   *
   * @param options Endpoint, deadline and signal.
   * @returns The round-trip time in ms.
   * @throws The errors of {@linkcode Client.request}.
   */
  async ping(options: ClientRequestOptions = {}): Promise<number> {
    const connection = await this.connection(options);
    return await connection.ping(options);
  }

  /**
   * A usable connection to the endpoint, connecting if needed: for what the
   * client does not wrap (stats, addresses, closing one connection).
   *
   * @param options Endpoint and abort signal.
   * @returns The connection with the fewest requests in flight.
   * @throws {ConnectError} No connection could be opened.
   * @throws {ConnectionClosedError} The client is closed.
   */
  connection(options: ClientNotifyOptions = {}): Promise<Connection<T>> {
    const calls = this.#calls;
    return clientConnection(
      calls.group,
      () => this.#pool(),
      this.#connector,
      calls.timeout,
      () => calls.keyOf(options.key),
      options,
    ) as Promise<Connection<T>>;
  }

  /**
   * Closes every connection and timer of the client. Pending requests reject
   * with `ConnectionClosedError`.
   *
   * @returns A promise that resolves once everything is closed.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#calls.group?.close();
      await this.pool.close();
      if (this.#ownTimers) this.#timers.clear();
    })();
    return this.#closing;
  }

  /** Closes the client. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #pool(): ConnectionPool {
    if (this.#closing) throw new ConnectionClosedError("Client closed");
    return this.pool;
  }

  #callback(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.#onError(error);
    }
  }
}
