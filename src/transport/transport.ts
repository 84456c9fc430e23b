/**
 * The {@linkcode Transport}: one channel's full-duplex loop. Read → decode →
 * dispatch; encode → queue → write. Either side sends requests, replies and
 * notifications on the same channel; replies are matched to requests by id.
 *
 * The read loop and the lifecycle live here; the requests this side sent in
 * `_outgoing.ts` (opening a stream in `_open_stream.ts`), the peer's
 * requests in `_incoming.ts` (with `_backlog.ts` and `_replies.ts`), the
 * send side and what the parts share in `_link.ts`, the options in
 * `transport_options.ts`.
 *
 * @module
 */

import type { Channel } from "../channel/channel.ts";
import type { MessageId } from "../codec/message_codec.ts";
import { ends, log, logging } from "../logger.ts";
import { Incoming } from "./_incoming.ts";
import { Link } from "./_link.ts";
import { Outgoing } from "./_outgoing.ts";
import { capture, MachineRequest, PendingRequest } from "./_pending_request.ts";
import { ReadLoop } from "./_read_loop.ts";
import { resolveTransportOptions } from "./_transport_config.ts";
import type { StateMachine } from "./state_machine.ts";
import type { ConnectionStats } from "./stats.ts";
import type { RequestOptions, TransportOptions } from "./transport_options.ts";

export {
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_MAX_HANDLING_BYTES,
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_SLOW_REQUEST_THRESHOLD,
  DEFAULT_TIMEOUT,
  HANDLING_CHARGE,
} from "./transport_options.ts";
export type {
  MessageHandler,
  RequestOptions,
  TransportOptions,
} from "./transport_options.ts";

/**
 * `transport.request(message, options)` resolving with `decode(reply)`, in
 * one promise (a `.then` would add a second one and a turn of the microtask
 * queue per request). For {@linkcode Connection}; not part of the public API.
 *
 * @internal
 */
export let requestDecoded: <M, R>(
  transport: Transport<M>,
  message: M,
  decode: (reply: M) => R,
  options: RequestOptions | undefined,
) => Promise<R>;

/**
 * The send side and the pending table of `transport`, for the parts of it
 * in files of their own (`_open_stream.ts`); not part of the public API.
 *
 * @internal
 */
export let partsOf: <M>(
  transport: Transport<M>,
) => { link: Link<M>; outgoing: Outgoing<M> };

/**
 * One channel's full-duplex loop, generic over the message type `M` its
 * {@linkcode MessageCodec} speaks. Every request settles exactly once: with
 * its reply, an error reply, a timeout, an abort, or `ConnectionClosedError`.
 *
 * Internal: a `Connection` wraps a `Transport` of its protocol's messages
 * and maps routes and body codecs onto them.
 *
 * @example Request and reply over an in-memory pipe
 * ```ts
 * import { Connection, envelopeProtocol, Router } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * // Every Connection runs one Transport of its protocol's messages.
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("echo", (body: Uint8Array) => body);
 * const server = new Connection(a, { protocol: envelopeProtocol, router });
 * const client = new Connection<typeof router>(b, { protocol: envelopeProtocol });
 * console.log(await client.request("echo", new Uint8Array([1, 2]))); // Uint8Array(2) [ 1, 2 ]
 * await client.close();
 * await server.close();
 * ```
 */
export class Transport<M> {
  /** The channel this transport runs on. */
  readonly channel: Channel;
  /** Resolves when the transport has shut down, for whatever reason. */
  readonly closed: Promise<void>;
  /** The send side, the counters and the lifecycle state, shared with the parts. */
  #link: Link<M>;
  /** The requests this side sent. */
  #outgoing: Outgoing<M>;
  /** The requests the peer sent. */
  #incoming: Incoming<M>;
  /** Reads, dispatches, and drives the lifecycle. */
  #loop: ReadLoop<M>;

  /**
   * Starts the loop on `channel` at once.
   *
   * @param channel The byte stream; the transport owns it from now on.
   * @param options The codec and everything else.
   * @throws {RangeError} If an option is out of range.
   */
  constructor(channel: Channel, options: TransportOptions<M>) {
    this.channel = channel;
    const config = resolveTransportOptions(options);
    const link = new Link<M>(
      channel,
      config,
      (cause) => this.#loop.writeFailed(cause),
    );
    this.#link = link;
    this.#outgoing = new Outgoing(link, config);
    this.#incoming = new Incoming(link, config);
    this.#loop = new ReadLoop(
      channel,
      link,
      this.#outgoing,
      this.#incoming,
      config,
    );
    this.closed = this.#loop.closed;
    this.#loop.start();
  }

  /** Counters, with current values for `pending`, `handling` and `queuedBytes`. */
  get stats(): ConnectionStats {
    const stats = { ...this.#link.stats };
    stats.pending = this.#outgoing.count;
    stats.handling = this.#incoming.count;
    stats.handlingBytes = this.#incoming.bytes;
    stats.queuedBytes = this.#link.queue.queuedBytes;
    return stats;
  }

  /** Why the transport closed, once it has; `undefined` while open. */
  get closedReason(): Error | undefined {
    return this.#loop.closedReason;
  }

  /**
   * True while `request()`, `send()` and `notify()` may be called: the
   * transport is not closing or closed and the peer has not sent goaway.
   * Pools check it to choose a transport for a new request.
   */
  get canRequest(): boolean {
    return this.#link.refusal === undefined;
  }

  /**
   * Why `request()` fails now: the peer's goaway (with its reason), the
   * peer closing, or this side closing; `undefined` while requests may be
   * sent.
   */
  get refusal(): Error | undefined {
    return this.#link.refusal;
  }

  /** The default deadline of a request, in ms (`Infinity` for none). */
  get timeout(): number {
    return this.#outgoing.timeout;
  }

  /** Requests this side sent that wait for their reply (the pending table's size). */
  get inFlight(): number {
    return this.#outgoing.count;
  }

  /** True once {@linkcode Transport.drain} was called. */
  get draining(): boolean {
    return this.#incoming.draining;
  }

  /**
   * Sends a request and waits for its reply (sync mode).
   *
   * @param message The request; its id is set by the transport.
   * @param options Timeout and abort signal.
   * @returns The reply.
   * @throws {TimeoutError} No reply before the deadline.
   * @throws {AbortedError} The signal aborted.
   * @throws {RemoteError} The peer answered with an error reply.
   * @throws {ConnectionClosedError} The connection closed first.
   * @throws {TooManyPendingError} `maxPendingRequests` reached.
   * @throws {QueueFullError} The send queue is full (overflow `"error"`).
   * @throws {FrameTooLargeError} The request exceeds `maxFrameSize`.
   */
  request(message: M, options?: RequestOptions): Promise<M> {
    const reply = new Promise<M>(capture);
    const entry = PendingRequest.captured<M>();
    try {
      this.#outgoing.start(message, entry, options);
    } catch (error) {
      entry.refuse(error);
    }
    return reply;
  }

  static {
    requestDecoded = <M, R>(
      transport: Transport<M>,
      message: M,
      decode: (reply: M) => R,
      options: RequestOptions | undefined,
    ): Promise<R> => {
      const reply = new Promise<R>(capture);
      const entry = PendingRequest.captured<M>();
      entry.decode = decode;
      try {
        transport.#outgoing.start(message, entry, options);
      } catch (error) {
        entry.refuse(error);
      }
      return reply;
    };
  }

  static {
    partsOf = (transport) => ({
      link: transport.#link,
      outgoing: transport.#outgoing,
    });
  }

  /**
   * Sends a request whose outcome goes to `machine` (async mode). Exactly one
   * of the machine's callbacks is called, once, unless `send` throws.
   *
   * @param message The request; its id is set by the transport.
   * @param machine The callbacks.
   * @param options Timeout and abort signal.
   * @returns The request's id.
   * @throws The errors of {@linkcode Transport.request} that happen before
   * the request is sent (closed, too many pending, queue full, too large,
   * signal already aborted); the machine is not called then.
   */
  call(
    message: M,
    machine: StateMachine<M>,
    options?: RequestOptions,
  ): MessageId {
    const entry = new MachineRequest<M>(machine, this.#link.onError);
    return this.#outgoing.start(message, entry, options);
  }

  /**
   * Sends a one-way message; no reply comes back.
   *
   * @param message The notification.
   * @returns `undefined` once queued, or a promise while the queue is full.
   * @throws {ConnectionClosedError} The transport is closed.
   */
  notify(message: M): void | Promise<void> {
    const refusal = this.#link.refusal;
    if (refusal) throw refusal;
    this.#link.stats.notifiesSent++;
    return this.#link.write(message);
  }

  /**
   * Measures a round trip with a ping (protocols with `ping`).
   *
   * @param options Timeout and abort signal.
   * @returns The round-trip time in ms.
   * @throws {TypeError} If the codec has no ping messages.
   * @throws The errors of {@linkcode Transport.request}.
   */
  async ping(options?: RequestOptions): Promise<number> {
    const codec = this.#link.codec;
    if (!codec.ping) throw new TypeError("The codec has no ping messages");
    const started = performance.now();
    await this.request(codec.ping(0, false), options);
    return performance.now() - started;
  }

  /**
   * Tells the peer to send no new requests on this connection (graceful
   * shutdown); requests in flight continue.
   *
   * @param reason Why, for the peer's logs.
   */
  goaway(reason = "shutting down"): void {
    const message = this.#link.codec.goaway?.(reason);
    if (message !== undefined && this.#link.state !== "closed") {
      if (logging()) {
        log(
          "debug",
          {
            event: "connection.goaway",
            ...ends(this.channel),
            direction: "sent",
            reason,
          },
          `goaway sent on ${this.#loop.name()} (${reason})`,
        );
      }
      this.#link.tryWrite(message);
    }
  }

  /**
   * Stops taking new work from the peer and waits for the work in flight
   * (graceful shutdown). From now on a new incoming request is answered with
   * the error reply `GOING_AWAY` (it was not processed, so the peer may send it
   * elsewhere) and a new notification is dropped. The promise resolves once no
   * handler runs and no request this side sent is pending, or once the
   * transport closes. It neither sends goaway (call
   * {@linkcode Transport.goaway} first, so the peer stops sending) nor closes.
   *
   * @param options `signal` stops the waiting (draining stays on).
   * @returns A promise that resolves when the work in flight is done.
   * @throws {AbortedError} If `signal` aborts first.
   *
   * @example Finish in-flight work, then close
   * ```ts
   * import { Connection, Router } from "listenrain";
   * import { createMemoryPipe } from "listenrain/testing";
   *
   * const [a, b] = createMemoryPipe();
   * const router = new Router().handle("slow", async (body: Uint8Array) => {
   *   await new Promise((resolve) => setTimeout(resolve, 20));
   *   return body;
   * });
   * const server = new Connection(a, { router });
   * const client = new Connection<typeof router>(b);
   * const reply = client.request("slow", new Uint8Array([7]));
   * await new Promise((resolve) => setTimeout(resolve, 5)); // the request is in flight
   * server.goaway("restarting");
   * await server.drain();
   * console.log(await reply); // Uint8Array(1) [ 7 ]
   * await server.close();
   * await client.close();
   * ```
   */
  drain(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#loop.drain(options.signal);
  }

  /**
   * Closes the transport: pending requests reject with
   * `ConnectionClosedError`, queued frames are written (for at most
   * `closeTimeout`), and the channel closes.
   *
   * @param reason Optional message for the pending requests' error.
   * @returns A promise that resolves once closed.
   */
  close(reason = "Transport closed"): Promise<void> {
    return this.#loop.close(reason);
  }

  /** Closes gracefully, as {@linkcode Transport.close} does. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
