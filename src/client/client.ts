/**
 * The {@linkcode Client}: requests to routes of the default protocol over a
 * pool of connections, with failover, reconnect and retries.
 *
 * @module
 */

import { type BodyCodec, rawBody } from "../codec/body_codec.ts";
import { type Envelope, EnvelopeCodec } from "../codec/envelope.ts";
import { Peer } from "../transport/peer.ts";
import type { Router } from "../transport/router.ts";
import type { StateMachine } from "../transport/state_machine.ts";
import {
  type ClientNotifyOptions,
  type ClientRequestOptions,
  requestVia,
  sendVia,
  TransportClient,
  type TransportClientOptions,
} from "./transport_client.ts";
import type { TransportKey } from "../channel/transport_key.ts";
import type { TransportPool } from "./transport_pool.ts";

/**
 * Options of {@linkcode Client}.
 *
 * @example A JSON client that fails over to a replica
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { jsonBody } from "../codec/body_codec.ts";
 * import { Server } from "../server/server.ts";
 * import { Router } from "../transport/router.ts";
 * import { Client, type ClientOptions } from "./client.ts";
 * import { FailoverDialer } from "./dialers.ts";
 *
 * const network = new MemoryNetwork();
 * const router = new Router().handle("sayhi", (b: { name: string }) => ({ hi: b.name }));
 * await using server = new Server({ router, body: jsonBody });
 * server.serve(await network.listen("mem://replica")); // the primary is down
 * const options: ClientOptions<unknown> = {
 *   dialer: new FailoverDialer(["mem://primary", "mem://replica"], (key, o) => network.dial(key, o)),
 *   body: jsonBody,
 *   timeout: 2_000,
 *   reconnect: { initialDelay: 50, maxDelay: 1_000 },
 * };
 * await using client = new Client(options);
 * console.log(await client.request("sayhi", { name: "rain" })); // { hi: "rain" }
 * console.log(String(client.endpoint)); // "mem://primary": the group's name
 * ```
 */
export interface ClientOptions<B> extends
  Omit<
    TransportClientOptions<Envelope>,
    "codec" | "handler" | "createTransport"
  > {
  /** The body codec. @default {rawBody} */
  body?: BodyCodec<B>;
  /** Handles requests and notifications the server sends on the client's connections (server push). */
  router?: Router;
}

const codec = new EnvelopeCodec();

/**
 * A client of the default protocol: `request` a route and await the reply,
 * `call` it with callbacks, `notify` it one way. Connections come from a
 * {@linkcode TransportPool} keyed by endpoint: opened on first use (single
 * flight), reconnected with backoff when lost, closed when idle. Give it a
 * `dial` function (an adapter's, or a `MemoryNetwork`'s) and an `endpoint`,
 * or a `FailoverDialer`.
 *
 * - Deadlines travel with the request; aborting or timing out cancels the
 *   handler on the server (its `ctx.signal` aborts).
 * - A request whose connection dies rejects with `ConnectionClosedError` at
 *   once; with `retry: n` (idempotent requests only) it is sent again.
 * - Requests the server refused unprocessed during its shutdown go to a new
 *   connection by themselves.
 *
 * @example A client and a server over the memory network
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { jsonBody } from "../codec/body_codec.ts";
 * import { Router } from "../transport/router.ts";
 * import { Server } from "../server/server.ts";
 * import { Client } from "./client.ts";
 *
 * const network = new MemoryNetwork();
 * const router = new Router().handle("sayhi", (b: { name: string }) => ({ hi: b.name }));
 * await using server = new Server({ router, body: jsonBody });
 * server.serve(await network.listen("mem://hello"));
 *
 * await using client = new Client({
 *   endpoint: "mem://hello",
 *   dial: (key, o) => network.dial(key, o),
 *   body: jsonBody,
 * });
 * console.log(await client.request("sayhi", { name: "rain" })); // { hi: "rain" }
 * ```
 */
// deno-lint-ignore no-explicit-any
export class Client<B = any> {
  #core: TransportClient<Envelope>;
  #body: BodyCodec<B>;

  /**
   * Creates the client; it connects on the first request.
   *
   * @param options How to dial, the body codec, and the client's policy.
   * @throws {TypeError} If neither `dial` nor `dialer` is given, or a key is invalid.
   * @throws {RangeError} If an option is out of range.
   */
  constructor(options: ClientOptions<B>) {
    const { body, router, ...rest } = options;
    const bodyCodec = body ?? (rawBody as unknown as BodyCodec<B>);
    this.#body = bodyCodec;
    this.#core = new TransportClient<Envelope>({
      ...rest,
      codec,
      createTransport: (channel, _key, transportOptions) =>
        new Peer<B>(channel, { ...transportOptions, router, body: bodyCodec })
          .transport,
    });
  }

  /** The client's connections, by endpoint; listen here for `connect`, `disconnect`, `connecterror`. */
  get pool(): TransportPool<Envelope> {
    return this.#core.pool;
  }

  /** The endpoint of requests that name no key. */
  get endpoint(): TransportKey | undefined {
    return this.#core.endpoint;
  }

  /**
   * Sends a request to `route` and waits for the reply body.
   *
   * @param route A route name or u32 command.
   * @param body The request body.
   * @param options Endpoint, deadline, signal, retries.
   * @returns The reply body.
   * @throws {RemoteError} The handler failed or no such route (`remoteCode`).
   * @throws {TimeoutError} The deadline passed (connecting included).
   * @throws {ConnectError} No connection could be opened.
   * @throws {ConnectionClosedError} The connection closed before the reply.
   * @throws {CodecError} A body could not be encoded or decoded here.
   */
  request(
    route: string | number,
    body: B,
    options?: ClientRequestOptions,
  ): Promise<B> {
    let message: Envelope;
    try {
      message = this.#envelope("request", route, body);
    } catch (error) {
      return Promise.reject(error);
    }
    return requestVia(this.#core, message, this.#decodeReply, options);
  }

  #decodeReply = (reply: Envelope): B => this.#body.decode(reply.body);

  /**
   * Sends a request whose outcome goes to `machine` (async mode): exactly one
   * of its callbacks is called, once.
   *
   * @param route A route name or u32 command.
   * @param body The request body.
   * @param machine Called back with the decoded reply or the error.
   * @param options Endpoint, deadline, signal, retries.
   */
  call(
    route: string | number,
    body: B,
    machine: StateMachine<B>,
    options?: ClientRequestOptions,
  ): void {
    let request: Envelope;
    try {
      request = this.#envelope("request", route, body);
    } catch (error) {
      machine.onError?.(error as Error);
      return;
    }
    sendVia(this.#core, request, this.#decodeReply, machine, options);
  }

  /**
   * Sends a one-way notification to `route`.
   *
   * @param route A route name or u32 command.
   * @param body The body.
   * @param options Endpoint and abort signal.
   * @returns A promise that resolves once the notification is queued.
   * @throws {ConnectError} No connection could be opened.
   */
  notify(
    route: string | number,
    body: B,
    options?: ClientNotifyOptions,
  ): Promise<void> {
    try {
      return this.#core.notify(this.#envelope("notify", route, body), options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Measures a round trip to the endpoint with a ping.
   *
   * @param options Endpoint, deadline and signal.
   * @returns The round-trip time in ms.
   * @throws The errors of {@linkcode Client.request}.
   */
  ping(options?: ClientRequestOptions): Promise<number> {
    return this.#core.ping(options);
  }

  /**
   * Closes every connection and timer of the client; pending requests reject
   * with `ConnectionClosedError`.
   *
   * @returns A promise that resolves once everything is closed.
   */
  close(): Promise<void> {
    return this.#core.close();
  }

  /** Closes the client. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #envelope(
    kind: "request" | "notify",
    route: string | number,
    body: B,
  ): Envelope {
    return { kind, id: 0, route, body: this.#body.encode(body) };
  }
}
