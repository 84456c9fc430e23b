/**
 * The {@linkcode TransportClient}: requests of any protocol over a
 * {@linkcode TransportPool}, with dialers, deadlines and retries.
 *
 * @module
 */

import { checkTimeout } from "../transport/_transport_config.ts";
import type { Dialer } from "../channel/channel.ts";
import { ConnectionClosedError, TimeoutError } from "../errors.ts";
import { TimerHeap } from "../timer/timer_heap.ts";
import type { StateMachine } from "../transport/state_machine.ts";
import {
  DEFAULT_TIMEOUT,
  Transport,
  type TransportOptions,
} from "../transport/transport.ts";
import type {
  ClientNotifyOptions,
  ClientRequestOptions,
  TransportClientOptions,
} from "./client_options.ts";
import { type DialFunction, EndpointDialer } from "./dialers.ts";
import {
  type CallHost,
  ClientCall,
  TRANSPARENT_RETRIES,
} from "./_client_call.ts";
import { TransportPool } from "./transport_pool.ts";
import {
  TransportKey,
  type TransportKeyInit,
} from "../channel/transport_key.ts";

export type {
  ClientNotifyOptions,
  ClientRequestOptions,
  TransportClientOptions,
} from "./client_options.ts";

/**
 * `client.request(message, options)` resolving with `decode(reply)`, in one
 * promise. For {@linkcode Client}; not part of the public API.
 *
 * @internal
 */
export let requestVia: <M, R>(
  client: TransportClient<M>,
  message: M,
  decode: (reply: M) => R,
  options: ClientRequestOptions | undefined,
) => Promise<R>;

/**
 * `client.send(message, machine, options)` with `decode(reply)` going to the
 * machine. For {@linkcode Client}; not part of the public API.
 *
 * @internal
 */
export let sendVia: <M, R>(
  client: TransportClient<M>,
  message: M,
  decode: (reply: M) => R,
  machine: StateMachine<R>,
  options: ClientRequestOptions | undefined,
) => void;

/**
 * The client of any protocol: `request`, `send` and `notify` messages of type
 * `M` to endpoints by key, over a {@linkcode TransportPool}. The deadline
 * (`timeout`) covers the whole call, connecting and retries included.
 *
 * A request whose connection dies rejects with `ConnectionClosedError` at
 * once and is not sent again, unless `retry` allows it. Requests the server
 * refused unprocessed (it sent goaway, or answered `GOING_AWAY`) and
 * requests that could not be sent are sent again on another connection.
 * For the default protocol, {@linkcode Client} adds routes and bodies.
 *
 * @example A client of a custom protocol
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { EnvelopeCodec, type Envelope } from "../codec/envelope.ts";
 * import { Transport } from "../transport/transport.ts";
 * import { TransportClient } from "./transport_client.ts";
 *
 * const network = new MemoryNetwork();
 * const codec = new EnvelopeCodec();
 * const listener = await network.listen("mem://echo");
 * (async () => {
 *   for await (const channel of listener) {
 *     new Transport<Envelope>(channel, { codec, handler: (m) => ({ ...m, kind: "reply" }) });
 *   }
 * })();
 * const client = new TransportClient<Envelope>({
 *   codec,
 *   endpoint: "mem://echo",
 *   dial: (key, o) => network.dial(key, o),
 * });
 * const reply = await client.request({ kind: "request", id: 0, route: "x", body: new Uint8Array([1]) });
 * console.log(reply.body); // Uint8Array(1) [ 1 ]
 * await client.close();
 * listener.close();
 * ```
 */
export class TransportClient<M> {
  /** The client's transports. */
  readonly pool: TransportPool<M>;
  #key: TransportKey | undefined;
  #dial: DialFunction | undefined;
  #dialer: Dialer | undefined;
  #dialers = new Map<string, EndpointDialer>();
  #connectTimeout: number | undefined;
  #timeout: number;
  #retry: number;
  #timers: TimerHeap;
  #ownTimers: boolean;
  #options: TransportOptions<M>;
  #create: NonNullable<TransportClientOptions<M>["createTransport"]>;
  #onError: (error: unknown) => void;
  #closing: Promise<void> | undefined;
  #host: CallHost<M> = {
    pick: (key) => this.#pool().tryGet(key),
    acquire: (key, remaining, signal, waitForReady) =>
      this.#acquire(key, remaining, signal, waitForReady),
    report: (error) => this.#onError(error),
  };

  /**
   * Creates the client; it connects on the first request.
   *
   * @param options The codec, how to dial, and the client's policy.
   * @throws {TypeError} If neither `dial` nor `dialer` is given, or a key is invalid.
   * @throws {RangeError} If an option is out of range.
   */
  constructor(options: TransportClientOptions<M>) {
    const {
      endpoint,
      dial,
      dialer,
      connectTimeout,
      poolSize,
      idleTimeout,
      heartbeat,
      reconnect,
      retry,
      timers,
      createTransport,
      ...transport
    } = options;
    if (dial === undefined && dialer === undefined) {
      throw new TypeError("A client needs a dial function or a dialer");
    }
    const defaultKey = endpoint ?? dialer?.key;
    this.#key = defaultKey === undefined
      ? undefined
      : TransportKey.from(defaultKey);
    if (dialer !== undefined && this.#key === undefined) {
      throw new TypeError(
        "A client with a dialer that has no key needs an endpoint",
      );
    }
    this.#dial = dial;
    this.#dialer = dialer;
    this.#connectTimeout = connectTimeout;
    this.#retry = retry ?? 0;
    if (!Number.isInteger(this.#retry) || this.#retry < 0) {
      throw new RangeError(`retry must be an integer >= 0, got ${this.#retry}`);
    }
    this.#timeout = checkTimeout(transport.timeout ?? DEFAULT_TIMEOUT);
    this.#ownTimers = timers === undefined;
    this.#timers = timers ?? new TimerHeap();
    this.#onError = transport.onError ?? (() => {});
    this.#options = { ...transport, timers: this.#timers };
    this.#create = createTransport ??
      ((channel, _key, o) => new Transport<M>(channel, o));
    this.pool = new TransportPool<M>({
      connect: (key, o) => this.#connect(key, o.signal),
      size: poolSize,
      idleTimeout,
      heartbeat,
      reconnect,
      timers: this.#timers,
    });
  }

  /** The endpoint of requests that name no key, if there is one. */
  get endpoint(): TransportKey | undefined {
    return this.#key;
  }

  /**
   * Sends a request and waits for its reply.
   *
   * @param message The request; its id is set by the transport.
   * @param options Endpoint, deadline, signal, retries.
   * @returns The reply.
   * @throws {TimeoutError} The deadline passed (connecting included).
   * @throws {ConnectError} No connection to the endpoint could be opened.
   * @throws {ConnectionClosedError} The connection closed before the reply, or the client is closed.
   * @throws The other errors of `Transport.request` (`RemoteError`, `AbortedError` …).
   */
  request(message: M, options: ClientRequestOptions = {}): Promise<M> {
    return new Promise<M>((resolve, reject) =>
      this.#call<M>(message, options, undefined).run(resolve, reject)
    );
  }

  /**
   * Sends a request whose outcome goes to `machine` (async mode): exactly one
   * of its callbacks is called, once, whatever happens (connect failures
   * included). A callback that throws goes to the `onError` option.
   *
   * @param message The request.
   * @param machine The callbacks.
   * @param options Endpoint, deadline, signal, retries.
   */
  send(
    message: M,
    machine: StateMachine<M>,
    options: ClientRequestOptions = {},
  ): void {
    let call: ClientCall<M, M>;
    try {
      call = this.#call<M>(message, options, undefined);
    } catch (error) {
      this.#callback(() => machine.onError?.(error as Error));
      return;
    }
    call.runInto(machine);
  }

  static {
    requestVia = <M, R>(
      client: TransportClient<M>,
      message: M,
      decode: (reply: M) => R,
      options: ClientRequestOptions | undefined,
    ): Promise<R> =>
      new Promise<R>((resolve, reject) =>
        client.#call(message, options ?? {}, decode).run(resolve, reject)
      );
    sendVia = <M, R>(
      client: TransportClient<M>,
      message: M,
      decode: (reply: M) => R,
      machine: StateMachine<R>,
      options: ClientRequestOptions | undefined,
    ): void => {
      let call: ClientCall<M, R>;
      try {
        call = client.#call(message, options ?? {}, decode);
      } catch (error) {
        client.#callback(() => machine.onError?.(error as Error));
        return;
      }
      call.runInto(machine);
    };
  }

  /** A call of `message` with the client's policy and `options`. */
  #call<R>(
    message: M,
    options: ClientRequestOptions,
    decode: ((reply: M) => R) | undefined,
  ): ClientCall<M, R> {
    const timeout = options.timeout === undefined
      ? this.#timeout
      : checkTimeout(options.timeout);
    return new ClientCall<M, R>(
      this.#host,
      message,
      this.#keyOf(options.key),
      timeout,
      options.signal,
      options.retry ?? this.#retry,
      options.waitForReady ?? false,
      decode,
    );
  }

  /**
   * Sends a one-way message.
   *
   * @param message The notification.
   * @param options Endpoint and abort signal.
   * @returns A promise that resolves once the message is queued.
   * @throws {ConnectError} No connection could be opened.
   * @throws {ConnectionClosedError} The client is closed.
   */
  async notify(message: M, options: ClientNotifyOptions = {}): Promise<void> {
    const transport = await this.transport(options);
    await transport.notify(message);
  }

  /**
   * Measures a round trip to the endpoint with a ping.
   *
   * @param options Endpoint, deadline and signal.
   * @returns The round-trip time in ms.
   * @throws The errors of {@linkcode TransportClient.request}.
   */
  async ping(options: ClientRequestOptions = {}): Promise<number> {
    const transport = await this.transport(options);
    return await transport.ping(options);
  }

  /**
   * A usable transport to the endpoint, connecting if needed: for what the
   * client does not wrap (server push handlers, stats).
   *
   * @param options Endpoint and abort signal.
   * @returns The transport with the fewest requests in flight.
   * @throws {ConnectError} No connection could be opened.
   * @throws {ConnectionClosedError} The client is closed.
   */
  async transport(options: ClientNotifyOptions = {}): Promise<Transport<M>> {
    const key = this.#keyOf(options.key);
    for (let tries = TRANSPARENT_RETRIES;; tries--) {
      const transport = this.#pool().tryGet(key) ??
        await this.#acquire(key, this.#timeout, options.signal, false);
      if (transport.canRequest || tries === 0) return transport;
    }
  }

  /**
   * Closes every connection and timer of the client. Pending requests reject
   * with `ConnectionClosedError`.
   *
   * @returns A promise that resolves once everything is closed.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.pool.close();
      if (this.#ownTimers) this.#timers.clear();
    })();
    return this.#closing;
  }

  /** Closes the client. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #pool(): TransportPool<M> {
    if (this.#closing) throw new ConnectionClosedError("Client closed");
    return this.pool;
  }

  #keyOf(
    key: string | TransportKeyInit | undefined,
  ): TransportKey | string | TransportKeyInit {
    if (key !== undefined) return key;
    if (this.#key === undefined) {
      throw new TypeError(
        "The request names no key and the client has no endpoint",
      );
    }
    return this.#key;
  }

  async #acquire(
    key: string | TransportKeyInit,
    remaining: number,
    signal: AbortSignal | undefined,
    waitForReady: boolean,
  ): Promise<Transport<M>> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = remaining === Infinity
      ? undefined
      : this.#timers.runAfter(remaining, () => {
        timedOut = true;
        controller.abort();
      });
    const onAbort = () => controller.abort(signal!.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await this.#pool().get(key, {
        signal: controller.signal,
        waitForReady,
      });
    } catch (error) {
      if (timedOut) {
        throw new TimeoutError(
          `Request to ${TransportKey.from(key)} timed out after ${
            Math.round(remaining)
          } ms waiting for a connection`,
          { cause: error },
        );
      }
      throw error;
    } finally {
      timer?.cancel();
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async #connect(
    key: TransportKey,
    signal: AbortSignal,
  ): Promise<Transport<M>> {
    const channel = await this.#dialerFor(key).dial({ signal });
    try {
      return this.#create(channel, key, this.#options);
    } catch (error) {
      channel.close();
      throw error;
    }
  }

  #dialerFor(key: TransportKey): Dialer {
    if (this.#dialer && this.#key?.equals(key)) return this.#dialer;
    const name = key.toString();
    let dialer = this.#dialers.get(name);
    if (dialer === undefined) {
      if (this.#dial === undefined) {
        throw new TypeError(
          `Cannot connect to ${key}: the client has no dial function for other endpoints`,
        );
      }
      dialer = new EndpointDialer(key, this.#dial, {
        connectTimeout: this.#connectTimeout,
        timers: this.#timers,
      });
      this.#dialers.set(name, dialer);
    }
    return dialer;
  }

  #callback(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.#onError(error);
    }
  }
}
