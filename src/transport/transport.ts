/**
 * The {@linkcode Transport}: one channel's full-duplex loop. Read → decode →
 * dispatch; encode → queue → write. Either side sends requests, replies and
 * notifications on the same channel; replies are matched to requests by id.
 *
 * @module
 */

import type { Channel } from "../channel/channel.ts";
import type {
  ErrorInfo,
  IdAllocator,
  MessageCodec,
  MessageId,
} from "../codec/message_codec.ts";
import {
  AbortedError,
  ConnectionClosedError,
  FrameTooLargeError,
  ProtocolError,
  QueueFullError,
  RemoteError,
  TimeoutError,
  TooManyPendingError,
} from "../errors.ts";
import { BoundedExecutor, type Executor } from "../executor/executor.ts";
import type { PacketCodec } from "../framing/packet_codec.ts";
import { type FrameWriter, SendQueue } from "../queue/send_queue.ts";
import type { TimerHandle, TimerHeap } from "../timer/timer_heap.ts";
import { addrText, debug } from "../debug.ts";
import { PendingRequest } from "./_pending_request.ts";
import { ReservedIds } from "./_reserved_ids.ts";
import { WaitingReplies } from "./_waiting_replies.ts";
import {
  errorReplyOf,
  type HandlerFailure,
  newErrorId,
} from "./handler_failure.ts";
import { RequestContext } from "./request_context.ts";
import type { SlowRequest } from "./slow_request.ts";
import type { StateMachine } from "./state_machine.ts";
import { createStats, type TransportStats } from "./stats.ts";
import { checkTimeout, resolveTransportOptions } from "./_transport_config.ts";
import {
  HANDLING_CHARGE,
  type MessageHandler,
  type RequestOptions,
  type TransportOptions,
} from "./transport_options.ts";

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
 * Replies waiting for room in the send queue before reading pauses: a peer
 * that does not read its replies stops being read from.
 */
const MAX_REPLIES_WAITING = 64;
/** How often `drain()` looks at the pending table once no handler runs. */
const DRAIN_POLL_MS = 10;

/**
 * `transport.request(message, options)` resolving with `decode(reply)`, in
 * one promise (a `.then` would add a second one and a turn of the microtask
 * queue per request). For {@linkcode Peer}; not part of the public API.
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
 * One channel's full-duplex loop, generic over the message type `M` its
 * {@linkcode MessageCodec} speaks. Every request settles exactly once: with
 * its reply, an error reply, a timeout, an abort, or `ConnectionClosedError`.
 *
 * For the default protocol, {@linkcode Peer} wraps a `Transport<Envelope>`
 * with routes and body codecs.
 *
 * @example Request and reply over an in-memory pipe
 * ```ts
 * import { createMemoryPipe } from "../channel/memory_pipe.ts";
 * import { EnvelopeCodec, type Envelope } from "../codec/envelope.ts";
 * import { Transport } from "./transport.ts";
 *
 * const [a, b] = createMemoryPipe();
 * const codec = new EnvelopeCodec();
 * const server = new Transport<Envelope>(a, {
 *   codec,
 *   handler: (m) => ({ kind: "reply", id: 0, route: "", body: m.body }),
 * });
 * const client = new Transport<Envelope>(b, { codec });
 * const reply = await client.request({
 *   kind: "request", id: 0, route: "echo", body: new Uint8Array([1, 2]),
 * });
 * console.log(reply.body); // Uint8Array(2) [ 1, 2 ]
 * await client.close();
 * await server.close();
 * ```
 */
export class Transport<M> {
  /** The channel this transport runs on. */
  readonly channel: Channel;
  #codec: MessageCodec<M>;
  #packet: PacketCodec;
  #handler: MessageHandler<M> | undefined;
  #timeout: number;
  #maxPending: number;
  #maxHandlingBytes: number;
  /** Bytes of the requests and notifications whose handlers have not finished. */
  #handlingBytes = 0;
  /** Resumes the read loop paused by `#handlingBytes` at its bound. */
  #handlingRoom: (() => void) | undefined;
  #queue: SendQueue;
  /** Writes frames in place, when both codecs can. */
  #direct: DirectFrames<M> | undefined;
  /** Runs handlers; made when the first request arrives, unless given. */
  #executor: Executor | undefined;
  #timers: TimerHeap;
  #ids: IdAllocator;
  #closeTimeout: number;
  #onError: (error: unknown) => void;
  #onGoaway: ((reason: string) => void) | undefined;
  #onHandlerError: ((failure: HandlerFailure<M>) => void) | undefined;
  #exposeErrors: boolean;
  #slowAfter: number;
  #onSlow: ((slow: SlowRequest<M>) => void) | undefined;
  #pending = new Map<MessageId, PendingRequest<M>>();
  /** Requests being handled here whose replies are still wanted, by id. */
  #handling = new Map<MessageId, RequestContext<M>>();
  /** Ids that timed out or were aborted here and may still be answered. */
  #reserved = new ReservedIds();
  /** True while a fence (see `ReservedIds`) is out. */
  #fenceOut = false;
  /**
   * Requests, notifications and pings that arrived while no new one could
   * be taken, in order, from `#backlogHead` on: `where, length, what` for
   * each, where `where` is the payload's offset in `#backlogChunk` (or the
   * payload itself when it is not a view of that chunk) and `what` is an
   * `INCOMING_*` constant. At most the rest of one read chunk: reading waits
   * until it is empty. Payloads are decoded again when taken, so that a
   * waiting request costs a few numbers, not a decoded message.
   */
  #backlog: (number | Uint8Array)[] | undefined;
  /** The read chunk the backlog's offsets point into. */
  #backlogChunk: Uint8Array | undefined;
  /** The chunk being decoded, for the backlog. */
  #chunk: Uint8Array | undefined;
  #backlogHead = 0;
  /** Ids the peer cancelled while their requests wait in the backlog. */
  #backlogCancels: Set<MessageId> | undefined;
  #stats: TransportStats = createStats();
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  /** Set once no new request may be sent; the error they fail with. */
  #refuse: Error | undefined;
  #peerEnded = false;
  /** Replies waiting for room in the send queue; made when one first waits. */
  #replies: WaitingReplies | undefined;
  /** Resumes the read loop paused by too many replies waiting. */
  #resumeRead: (() => void) | undefined;
  #draining = false;
  /** The checks of `drain()` calls still waiting; run when a handler finishes. */
  #drainChecks: Set<() => void> | undefined;
  #closing: Promise<void> | undefined;
  #closedReason: Error | undefined;
  #resolveClosed!: () => void;
  /** Resolves when the transport has shut down, for whatever reason. */
  readonly closed: Promise<void>;
  #inUse = (id: MessageId): boolean =>
    this.#pending.has(id) ||
    (this.#reserved.size !== 0 && this.#reserved.has(id));
  #onFrame = (payload: Uint8Array): void => this.#dispatch(payload);
  /** The send queue's write failed: the connection is lost. */
  #onWriteError = (cause: unknown): void =>
    this.#shutdown(
      new ConnectionClosedError("Connection lost: write failed", { cause }),
    );

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
    this.#codec = config.codec;
    this.#packet = config.packetCodec;
    this.#handler = config.handler;
    this.#timeout = config.timeout;
    this.#maxPending = config.maxPendingRequests;
    this.#maxHandlingBytes = config.maxHandlingBytes;
    this.#closeTimeout = config.closeTimeout;
    this.#onError = config.onError;
    this.#onGoaway = config.onGoaway;
    this.#onHandlerError = config.onHandlerError;
    this.#exposeErrors = config.exposeErrors;
    this.#slowAfter = config.slowRequestThreshold;
    this.#onSlow = config.onSlowRequest;
    this.#executor = config.executor;
    this.#timers = config.timers;
    this.#direct = DirectFrames.of(this.#packet, this.#codec);
    this.#ids = config.ids;
    this.#queue = new SendQueue(channel.io ?? channel.writable, {
      ...config.queue,
      onError: this.#onWriteError,
    });
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
    void this.#readLoop();
  }

  /** Counters, with current values for `pending`, `handling` and `queuedBytes`. */
  get stats(): TransportStats {
    const stats = { ...this.#stats };
    stats.pending = this.#requestsPending();
    stats.handling = this.#handling.size;
    stats.handlingBytes = this.#handlingBytes;
    stats.queuedBytes = this.#queue.queuedBytes;
    return stats;
  }

  /** Why the transport closed, once it has; `undefined` while open. */
  get closedReason(): Error | undefined {
    return this.#closedReason;
  }

  /**
   * True while `request()`, `send()` and `notify()` may be called: the
   * transport is not closing or closed and the peer has not sent goaway.
   * Pools check it to choose a transport for a new request.
   */
  get canRequest(): boolean {
    return this.#refuse === undefined;
  }

  /**
   * Why `request()` fails now: the peer's goaway (with its reason), the
   * peer closing, or this side closing; `undefined` while requests may be
   * sent.
   */
  get refusal(): Error | undefined {
    return this.#refuse;
  }

  /** Requests this side sent that wait for their reply (the pending table's size). */
  get inFlight(): number {
    return this.#requestsPending();
  }

  /** True once {@linkcode Transport.drain} was called. */
  get draining(): boolean {
    return this.#draining;
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
    return new Promise<M>((resolve, reject) => {
      try {
        const entry = new PendingRequest<M>(this, resolve, reject);
        this.#start(message, entry, options);
      } catch (error) {
        reject(error);
      }
    });
  }

  static {
    requestDecoded = <M, R>(
      transport: Transport<M>,
      message: M,
      decode: (reply: M) => R,
      options: RequestOptions | undefined,
    ): Promise<R> =>
      new Promise<R>((resolve, reject) => {
        try {
          const entry = new PendingRequest<M>(
            transport,
            resolve as (value: unknown) => void,
            reject,
          );
          entry.decode = decode;
          transport.#start(message, entry, options);
        } catch (error) {
          reject(error);
        }
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
  send(
    message: M,
    machine: StateMachine<M>,
    options?: RequestOptions,
  ): MessageId {
    const entry = new PendingRequest<M>(
      this,
      undefined,
      undefined,
      machine,
      this.#onError,
    );
    return this.#start(message, entry, options);
  }

  /**
   * Sends a one-way message; no reply comes back.
   *
   * @param message The notification.
   * @returns `undefined` once queued, or a promise while the queue is full.
   * @throws {ConnectionClosedError} The transport is closed.
   */
  notify(message: M): void | Promise<void> {
    if (this.#refuse) throw this.#refuse;
    this.#stats.notifiesSent++;
    return this.#write(message);
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
    const codec = this.#codec;
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
    const message = this.#codec.goaway?.(reason);
    if (message !== undefined && !this.#closedReason) {
      debug(`transport ${this.#name()}: goaway sent (${reason})`);
      this.#tryWrite(message);
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
   * import { createMemoryPipe } from "../channel/memory_pipe.ts";
   * import { EnvelopeCodec, type Envelope } from "../codec/envelope.ts";
   * import { Transport } from "./transport.ts";
   *
   * const [a, b] = createMemoryPipe();
   * const codec = new EnvelopeCodec();
   * const server = new Transport<Envelope>(a, {
   *   codec,
   *   handler: async (m) => {
   *     await new Promise((resolve) => setTimeout(resolve, 20));
   *     return { kind: "reply", id: 0, route: "", body: m.body };
   *   },
   * });
   * const client = new Transport<Envelope>(b, { codec });
   * const reply = client.request({ kind: "request", id: 0, route: "slow", body: new Uint8Array([7]) });
   * await new Promise((resolve) => setTimeout(resolve, 5)); // the request is in flight
   * server.goaway("restarting");
   * await server.drain();
   * console.log((await reply).body); // Uint8Array(1) [ 7 ]
   * await server.close();
   * await client.close();
   * ```
   */
  drain(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#draining = true;
    const signal = options.signal;
    if (signal?.aborted) {
      return Promise.reject(
        new AbortedError("Drain aborted", { cause: signal.reason }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const checks = this.#drainChecks ??= new Set();
      let poll: TimerHandle | undefined;
      const done = (error?: Error): void => {
        if (!checks.delete(check)) return;
        if (checks.size === 0 && this.#drainChecks === checks) {
          this.#drainChecks = undefined;
        }
        poll?.cancel();
        signal?.removeEventListener("abort", onAbort);
        if (error) reject(error);
        else resolve();
      };
      const check = (): void => {
        if (this.#closedReason || this.#handling.size === 0) {
          if (this.#closedReason || this.#requestsPending() === 0) {
            return done();
          }
          // Replies settle pending requests on the hot path, which stays
          // free of drain checks: look again a little later.
          poll ??= this.#timers.runEvery(DRAIN_POLL_MS, check);
        }
      };
      const onAbort = (): void =>
        done(new AbortedError("Drain aborted", { cause: signal!.reason }));
      checks.add(check);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.closed.then(check);
      check();
    });
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
    this.#closing ??= this.#closeGracefully(new ConnectionClosedError(reason));
    return this.#closing;
  }

  /** Closes gracefully, as {@linkcode Transport.close} does. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #start(
    message: M,
    entry: PendingRequest<M>,
    options: RequestOptions | undefined,
  ): MessageId {
    if (this.#refuse) throw this.#refuse;
    const pending = this.#requestsPending();
    if (pending >= this.#maxPending) {
      throw new TooManyPendingError(this.#maxPending);
    }
    // Reserved ids share the table's bound; the oldest makes room.
    if (pending + this.#reserved.size >= this.#maxPending) {
      this.#reserved.releaseOldest();
    }
    const signal = options?.signal;
    if (signal?.aborted) {
      throw new AbortedError("Request aborted before it was sent", {
        cause: signal.reason,
      });
    }
    const timeout = options?.timeout === undefined
      ? this.#timeout
      : checkTimeout(options.timeout);
    const codec = this.#codec;
    const id = this.#ids.next(this.#inUse);
    let outgoing = codec.withId(message, id);
    if (timeout !== Infinity && codec.withTimeout) {
      outgoing = codec.withTimeout(outgoing, timeout);
    }
    const queued = this.#write(outgoing);
    entry.id = id;
    this.#pending.set(id, entry);
    if (entry.counted) this.#stats.requestsSent++;
    if (timeout !== Infinity) {
      entry.timeout = timeout;
      entry.timer = this.#timers.schedule(timeout, Transport.#expire, entry);
    }
    if (this.#onSlow !== undefined) {
      entry.sentAt = performance.now();
      entry.request = outgoing;
    }
    if (signal) {
      entry.signal = signal;
      entry.onAbort = () => this.#abortRequest(entry);
      signal.addEventListener("abort", entry.onAbort, { once: true });
    }
    if (queued) queued.catch((error) => this.#fail(entry, error));
    return id;
  }

  static #expire<M>(entry: PendingRequest<M>): void {
    const transport = entry.owner as Transport<M>;
    entry.timer = undefined;
    if (!transport.#take(entry)) return;
    if (entry.counted) transport.#stats.timeouts++;
    transport.#sendCancel(entry.id);
    transport.#reserve(entry.id);
    entry.timedOut(
      new TimeoutError(
        `Request ${entry.id} timed out after ${entry.timeout} ms`,
      ),
    );
    if (entry.sentAt !== 0) transport.#sentSlowly(entry, "timeout");
  }

  /** Reports an outgoing request that ended after the threshold. */
  #sentSlowly(
    entry: PendingRequest<M>,
    outcome: SlowRequest<M>["outcome"],
  ): void {
    const elapsed = performance.now() - entry.sentAt;
    const request = entry.request!;
    entry.request = undefined;
    if (elapsed > this.#slowAfter) {
      this.#reportSlow("outgoing", entry.id, request, elapsed, outcome);
    }
  }

  #reportSlow(
    direction: SlowRequest<M>["direction"],
    id: MessageId,
    request: M,
    elapsed: number,
    outcome: SlowRequest<M>["outcome"],
  ): void {
    this.#stats.slowRequests++;
    try {
      this.#onSlow?.({ direction, id, request, elapsed, outcome });
    } catch (error) {
      this.#onError(error);
    }
  }

  #abortRequest(entry: PendingRequest<M>): void {
    if (!this.#take(entry)) return;
    this.#stats.aborts++;
    this.#sendCancel(entry.id);
    this.#reserve(entry.id);
    entry.fail(
      new AbortedError(`Request ${entry.id} aborted`, {
        cause: entry.signal?.reason,
      }),
    );
  }

  #fail(entry: PendingRequest<M>, error: unknown): void {
    if (this.#take(entry)) entry.fail(toError(error));
  }

  /** Removes a pending request; false if it had already settled. */
  #take(entry: PendingRequest<M>): boolean {
    if (!entry.active) return false;
    entry.active = false;
    this.#pending.delete(entry.id);
    entry.timer?.cancel();
    if (entry.signal) {
      entry.signal.removeEventListener("abort", entry.onAbort!);
    }
    return true;
  }

  /**
   * Keeps the id of a request that ended here from being handed out again
   * while the peer may still answer it, and sends a fence to learn when it
   * no longer can (see `ReservedIds`).
   */
  #reserve(id: MessageId): void {
    if (this.#closedReason) return;
    this.#reserved.add(id);
    this.#sendFence();
  }

  #sendFence(): void {
    const codec = this.#codec;
    // A fence needs both kinds: without cancel the peer may answer after
    // the pong, so the id waits for its late reply instead.
    if (this.#fenceOut || !codec.ping || !codec.cancel || this.#refuse) return;
    const generation = this.#reserved.fence();
    const fenceDone = (passed: boolean): void => {
      this.#fenceOut = false;
      if (passed) this.#reserved.releaseUpTo(generation);
      if (this.#reserved.size !== 0) this.#sendFence();
    };
    const entry = new PendingRequest<M>(this, undefined, undefined, {
      onMessage: () => fenceDone(true),
      onError: () => fenceDone(false),
    }, this.#onError);
    entry.counted = false;
    this.#fenceOut = true;
    try {
      this.#start(codec.ping(0, false), entry, undefined);
    } catch {
      this.#fenceOut = false;
    }
  }

  /** The pending table's size without the fence: the user's requests. */
  #requestsPending(): number {
    return this.#pending.size - (this.#fenceOut ? 1 : 0);
  }

  #sendCancel(id: MessageId): void {
    const cancel = this.#codec.cancel;
    if (cancel && !this.#closedReason) {
      this.#tryWrite(cancel.call(this.#codec, id));
    }
  }

  /** Encodes, frames and queues one message. */
  #write(message: M): void | Promise<void> {
    const queue = this.#queue;
    // A full queue keeps the message, not its bytes, until there is room.
    if (queue.full) return queue.pushLater(() => this.#frame(message));
    // A small message whose codecs can write in place goes straight into
    // the queue's batch.
    const direct = this.#direct;
    if (direct !== undefined) {
      const length = direct.measure(message);
      if (queue.pushInto(length, direct, message)) {
        this.#stats.framesOut++;
        this.#stats.bytesOut += length;
        return;
      }
    }
    return queue.push(this.#frame(message));
  }

  /** Encodes and frames one message; counts it as sent. */
  #frame(message: M): Uint8Array[] {
    const payload = this.#codec.encode(message);
    let length = 0;
    for (const part of payload) length += part.byteLength;
    const parts = this.#packet.encode(payload, length);
    let size = 0;
    for (const part of parts) size += part.byteLength;
    this.#stats.framesOut++;
    this.#stats.bytesOut += size;
    return parts;
  }

  /** Writes a control message or reply; failures go to `onError`. */
  #tryWrite(message: M): boolean {
    try {
      this.#write(message)?.catch(() => {});
      return true;
    } catch (error) {
      this.#onError(error);
      return false;
    }
  }

  async #readLoop(): Promise<void> {
    // The channel's calls when it has them, else its readable.
    const io = this.channel.io;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      if (io === undefined) reader = this.channel.readable.getReader();
    } catch (cause) {
      this.#shutdown(
        new ConnectionClosedError("Cannot read channel", { cause }),
      );
      return;
    }
    this.#reader = reader;
    const decoder = this.#packet.createDecoder();
    const stats = this.#stats;
    try {
      for (;;) {
        let value: Uint8Array | null;
        if (io !== undefined) value = await io.read();
        else {
          const result = await reader!.read();
          value = result.done ? null : result.value;
        }
        if (value === null || this.#closedReason) break;
        stats.bytesIn += value.byteLength;
        this.#chunk = value;
        decoder.decode(value, this.#onFrame);
        this.#chunk = undefined;
        // Requests that could not be taken wait in the backlog: read no
        // more until it is empty and new ones may be taken.
        if (this.#backlog !== undefined || this.#busy()) {
          await this.#takeBacklog();
        }
      }
      if (this.#closedReason) return;
      if (decoder.bufferedBytes > 0) {
        throw new ProtocolError(
          `Connection ended inside a frame (${decoder.bufferedBytes} bytes buffered)`,
        );
      }
      this.#onPeerEnd();
    } catch (error) {
      if (this.#closedReason) return;
      if (error instanceof ProtocolError) this.#onError(error);
      this.#shutdown(
        error instanceof ProtocolError
          ? new ConnectionClosedError(`Connection closed: ${error.message}`, {
            cause: error,
          })
          : new ConnectionClosedError("Connection lost", { cause: error }),
      );
    }
  }

  /**
   * True while no new request may be taken:
   * - handlers hold `maxHandlingBytes`: a fast sender is slowed instead of
   *   filling memory;
   * - replies wait for room in the send queue (the peer does not read
   *   them): taking more work would only make more replies wait;
   * - the executor's queue is full.
   * Replies to this side's own requests are still taken meanwhile, or two
   * peers that both fill their queues would wait on each other.
   */
  #busy(): boolean {
    return this.#handlingBytes >= this.#maxHandlingBytes ||
      this.#repliesWaiting() >= MAX_REPLIES_WAITING ||
      this.#executor?.whenReady() !== undefined;
  }

  /** Resolves when what keeps `#busy()` true may have changed. */
  #waitForRoom(): Promise<void> {
    if (this.#handlingBytes >= this.#maxHandlingBytes) {
      return new Promise<void>((resolve) => this.#handlingRoom = resolve);
    }
    if (this.#repliesWaiting() >= MAX_REPLIES_WAITING) {
      return new Promise<void>((resolve) => this.#resumeRead = resolve);
    }
    return this.#executor!.whenReady()!;
  }

  /** Takes the backlog's requests in order as room allows; resolves once it is empty. */
  async #takeBacklog(): Promise<void> {
    for (;;) {
      if (this.#closedReason) return;
      if (this.#busy()) {
        await this.#waitForRoom();
        continue;
      }
      const backlog = this.#backlog;
      if (backlog === undefined || this.#closedReason) return;
      const i = this.#backlogHead;
      this.#backlogHead = i + 3;
      const where = backlog[i];
      const size = backlog[i + 1] as number;
      const what = backlog[i + 2] as number;
      const payload = typeof where === "number"
        ? new Uint8Array(this.#backlogChunk!.buffer, where, size)
        : where;
      backlog[i] = 0;
      const cancels = this.#backlogCancels;
      if (this.#backlogHead === backlog.length) this.#clearBacklog();
      // It decoded when it arrived: it decodes the same way now.
      const message = this.#codec.decode(payload);
      if (
        what === INCOMING_REQUEST && cancels !== undefined &&
        cancels.delete(this.#codec.id(message))
      ) {
        this.#stats.cancelsReceived++; // cancelled before it was taken
        continue;
      }
      this.#takeIncoming(message, what, size);
    }
  }

  #clearBacklog(): void {
    this.#backlog = undefined;
    this.#backlogChunk = undefined;
    this.#backlogHead = 0;
    this.#backlogCancels = undefined;
  }

  #dispatch(payload: Uint8Array): void {
    this.#stats.framesIn++;
    if (this.#closedReason) return;
    const codec = this.#codec;
    let message: M;
    try {
      message = codec.decode(payload);
    } catch (cause) {
      if (cause instanceof ProtocolError) throw cause;
      throw new ProtocolError(
        `Cannot decode message: ${toError(cause).message}`,
        {
          cause,
        },
      );
    }
    switch (codec.kind(message)) {
      case "reply":
      case "pong":
        return this.#onReply(message, false);
      case "error":
        return this.#onReply(message, true);
      case "request":
        return this.#onIncoming(message, INCOMING_REQUEST, payload);
      case "notify":
        return this.#onIncoming(message, INCOMING_NOTIFY, payload);
      case "message":
        return this.#inUse(codec.id(message))
          ? this.#onReply(message, false)
          : this.#onIncoming(message, INCOMING_REQUEST, payload);
      case "cancel":
        return this.#onCancel(codec.id(message));
      case "ping":
        return this.#onIncoming(message, INCOMING_PING, payload);
      case "goaway":
        return this.#onGoawayMessage(message);
      default:
        throw new ProtocolError(
          `Cannot dispatch message: unknown kind "${codec.kind(message)}"`,
        );
    }
  }

  #onReply(message: M, isError: boolean): void {
    const id = this.#codec.id(message);
    const entry = this.#pending.get(id);
    if (entry === undefined) {
      // A reply to a request that ended here (or to none): dropped. Its id
      // may now be used again.
      if (this.#reserved.size !== 0) this.#reserved.release(id);
      this.#stats.lateReplies++;
      return;
    }
    this.#take(entry);
    if (entry.counted) this.#stats.repliesReceived++;
    if (entry.sentAt !== 0) {
      this.#sentSlowly(entry, isError ? "error" : "reply");
    }
    if (!isError) return entry.succeed(message);
    this.#stats.errorsReceived++;
    entry.fail(
      this.#codec.toError?.(message) ??
        new RemoteError("UNKNOWN", `Request ${entry.id} failed on the peer`),
    );
  }

  /**
   * A request, notification or ping: taken now, or, while no new one may
   * be taken (or others wait before it), put in the backlog. Pings wait in
   * turn too, so that a peer that floods pings and reads nothing is paused
   * like one that floods requests.
   */
  #onIncoming(message: M, what: number, payload: Uint8Array): void {
    if (what === INCOMING_REQUEST) this.#stats.requestsReceived++;
    else if (what === INCOMING_NOTIFY) this.#stats.notifiesReceived++;
    if (this.#backlog === undefined && !this.#busy()) {
      return this.#takeIncoming(message, what, payload.byteLength);
    }
    let backlog = this.#backlog;
    if (backlog === undefined) {
      backlog = this.#backlog = [];
      this.#backlogChunk = this.#chunk;
    }
    const chunk = this.#backlogChunk;
    if (chunk !== undefined && payload.buffer === chunk.buffer) {
      backlog.push(payload.byteOffset, payload.byteLength, what);
    } else backlog.push(payload, payload.byteLength, what);
  }

  #takeIncoming(message: M, what: number, size: number): void {
    if (what === INCOMING_PING) this.#pong(this.#codec.id(message));
    else this.#admit(message, what === INCOMING_REQUEST, size);
  }

  /**
   * Answers a request at once with an error reply, charged like a handled
   * request until the reply is queued: a peer that floods such requests and
   * reads nothing is bounded like any other.
   */
  #refuseRequest(
    id: MessageId,
    size: number,
    code: string,
    message: string,
  ): void {
    const charge = size + HANDLING_CHARGE;
    this.#handlingBytes += charge;
    this.#replyError(id, code, message, charge);
  }

  /** Starts handling a request or notification. */
  #admit(message: M, expectsReply: boolean, size: number): void {
    const id = this.#codec.id(message);
    if (this.#draining) {
      if (expectsReply) {
        this.#refuseRequest(
          id,
          size,
          "GOING_AWAY",
          "The peer is shutting down and takes no new requests",
        );
      }
      return;
    }
    const handler = this.#handler;
    if (handler === undefined) {
      if (expectsReply) {
        this.#refuseRequest(
          id,
          size,
          "NO_HANDLER",
          "This peer handles no requests",
        );
      }
      return;
    }
    if (expectsReply && this.#handling.has(id)) {
      this.#refuseRequest(
        id,
        size,
        "DUPLICATE_ID",
        `Request ${id} is already in flight`,
      );
      return;
    }
    const timeout = expectsReply ? this.#codec.timeoutOf?.(message) : undefined;
    const context = new RequestContext(message, id, expectsReply, timeout);
    context.size = size + HANDLING_CHARGE;
    this.#handlingBytes += context.size;
    if (expectsReply) {
      this.#handling.set(id, context);
      if (this.#onSlow !== undefined) context.receivedAt = performance.now();
    }
    this.#executor ??= new BoundedExecutor({
      onError: (e) => this.#onError(e),
    });
    const accepted = this.#executor.execute(() =>
      this.#runHandler(handler, context)
    );
    if (!accepted) {
      this.#finish(context, undefined, {
        code: "OVERLOADED",
        message: "The peer's handler queue is full",
      });
    } else if (!context.started && timeout !== undefined && timeout > 0) {
      // Queued behind other handlers: the deadline runs while it waits, so
      // a request whose caller has given up is dropped before it starts.
      context.timer = this.#timers.schedule(timeout, expireContext, context);
    }
  }

  #runHandler(
    handler: MessageHandler<M>,
    context: RequestContext<M>,
  ): Promise<void> | void {
    context.started = true;
    // Cancelled (by the caller, the deadline or the connection closing)
    // while it waited in the executor: nobody waits for this work.
    if (context.cancelled) return this.#finish(context, undefined, undefined);
    let result: M | undefined | Promise<M | undefined>;
    try {
      result = handler(context.message, context);
    } catch (error) {
      return this.#finish(
        context,
        undefined,
        this.#handlerFailed(context, error),
      );
    }
    if (isPromiseLike(result)) {
      // The deadline only needs a timer when the handler goes async (or
      // waited in the executor's queue: then it has one already).
      const timeout = context.timeout;
      if (
        timeout !== undefined && timeout > 0 && !context.cancelled &&
        context.timer === undefined
      ) {
        context.timer = this.#timers.schedule(timeout, expireContext, context);
      }
      return result.then(
        (reply) => this.#finish(context, reply, undefined),
        (error) =>
          this.#finish(context, undefined, this.#handlerFailed(context, error)),
      );
    }
    this.#finish(context, result, undefined);
  }

  /**
   * A handler threw or rejected: reports it to `onHandlerError` (unless the
   * request was cancelled already) and returns the error reply to send.
   */
  #handlerFailed(context: RequestContext<M>, thrown: unknown): ErrorInfo {
    const error = toError(thrown);
    const errorId = newErrorId();
    const info = errorReplyOf(error, errorId, this.#exposeErrors);
    if (!context.cancelled) {
      const failure: HandlerFailure<M> = {
        error,
        context,
        errorId,
        reply: context.expectsReply ? info : undefined,
      };
      try {
        if (this.#onHandlerError) this.#onHandlerError(failure);
        else this.#onError(error);
      } catch (hookError) {
        this.#onError(hookError);
      }
    }
    return info;
  }

  #finish(
    context: RequestContext<M>,
    reply: M | undefined,
    error: ErrorInfo | undefined,
  ): void {
    context.timer?.cancel();
    if (!context.expectsReply) return this.#release(context.size);
    if (this.#handling.get(context.id) === context) {
      this.#handling.delete(context.id);
    }
    if (context.cancelled || this.#closedReason) {
      this.#release(context.size);
    } else {
      // The request stays charged until its reply is queued.
      if (error) {
        this.#replyError(context.id, error.code, error.message, context.size);
      } else if (reply === undefined) {
        this.#replyError(
          context.id,
          "NO_REPLY",
          "The handler returned no reply",
          context.size,
        );
      } else this.#reply(context.id, reply, context.size);
      if (context.receivedAt !== 0) {
        const elapsed = performance.now() - context.receivedAt;
        if (elapsed > this.#slowAfter) {
          const outcome = error || reply === undefined ? "error" : "reply";
          this.#reportSlow(
            "incoming",
            context.id,
            context.message,
            elapsed,
            outcome,
          );
        }
      }
    }
    context.finish();
    if (this.#drainChecks !== undefined) {
      for (const check of [...this.#drainChecks]) check();
    }
    if (this.#peerEnded && this.#handling.size === 0) void this.close();
  }

  #reply(id: MessageId, reply: M, charge: number): void {
    let error: Error | undefined;
    try {
      error = this.#sendReply(this.#codec.withId(reply, id), charge);
    } catch (thrown) {
      this.#release(charge);
      error = toError(thrown);
    }
    if (error === undefined) {
      this.#stats.repliesSent++;
      return;
    }
    if (this.#closedReason || error instanceof ConnectionClosedError) return;
    if (error instanceof QueueFullError) return this.#onError(error);
    // The reply could not be encoded or framed: tell the caller why.
    this.#replyError(
      id,
      error instanceof FrameTooLargeError
        ? "REPLY_TOO_LARGE"
        : "REPLY_ENCODE_ERROR",
      error.message,
      0,
    );
  }

  /**
   * Answers a ping. Pongs wait behind replies like replies, so a peer that
   * sends pings and never reads the pongs stops being read from, and a pong
   * is never sent before a reply queued ahead of it (fences rely on that).
   */
  #pong(id: MessageId): void {
    const error = this.#sendReply(this.#codec.ping!(id, true), 0);
    if (error !== undefined) this.#onError(error);
  }

  #replyError(
    id: MessageId,
    code: string,
    message: string,
    charge: number,
  ): void {
    const errorReply = this.#codec.errorReply;
    if (!errorReply) return this.#release(charge);
    const info: ErrorInfo = { code, message };
    const error = this.#sendReply(
      errorReply.call(this.#codec, id, info),
      charge,
    );
    if (error !== undefined) {
      if (!(error instanceof FrameTooLargeError) || message === "") {
        return this.#onError(error);
      }
      // The message made the error reply too large: send the code alone.
      return this.#replyError(id, code, "", 0);
    }
    this.#stats.repliesSent++;
    this.#stats.errorRepliesSent++;
  }

  /**
   * Queues a reply, an error reply or a pong behind the replies that wait
   * (see `WaitingReplies`); `charge` goes back to the handling bound once
   * it is queued.
   *
   * @returns The error if it could not be encoded, framed or queued (its
   * charge is given back then).
   */
  #sendReply(message: M, charge: number): Error | undefined {
    try {
      const replies = this.#replies;
      if (replies?.active) {
        replies.add(this.#frame(message), charge);
        return undefined;
      }
      const queue = this.#queue;
      // A full queue gets the frame's bytes, so that encoding fails here.
      const queued = queue.full
        ? queue.push(this.#frame(message))
        : this.#write(message);
      if (queued === undefined) this.#release(charge);
      else {
        this.#replies ??= new WaitingReplies(
          queue,
          this.#release,
          this.#resumeReading,
        );
        this.#replies.waitFor(queued, charge);
      }
      return undefined;
    } catch (error) {
      this.#release(charge);
      return toError(error);
    }
  }

  /** Replies waiting for room in the send queue. */
  #repliesWaiting(): number {
    return this.#replies === undefined ? 0 : this.#replies.count;
  }

  /** Gives back what a handled request was charged. */
  #release = (charge: number): void => {
    this.#handlingBytes -= charge;
    if (
      this.#handlingRoom !== undefined &&
      this.#handlingBytes < this.#maxHandlingBytes
    ) {
      this.#resumeHandling();
    }
  };

  /** Resumes reading paused while replies waited. */
  #resumeReading = (): void => {
    const resume = this.#resumeRead;
    this.#resumeRead = undefined;
    resume?.();
  };

  #resumeHandling(): void {
    const resume = this.#handlingRoom;
    this.#handlingRoom = undefined;
    resume?.();
  }

  #onCancel(id: MessageId): void {
    const context = this.#handling.get(id);
    if (context === undefined) {
      // Still in the backlog? It is dropped when its turn comes.
      if (this.#backlog !== undefined) {
        (this.#backlogCancels ??= new Set()).add(id);
      }
      return;
    }
    this.#stats.cancelsReceived++;
    // The id is free from now on: the peer may reuse it at once, and the
    // handler's result goes nowhere (its bytes count until it settles).
    this.#handling.delete(id);
    context.cancel(new AbortedError(`Request ${id} was cancelled by the peer`));
  }

  #onGoawayMessage(message: M): void {
    const reason = this.#codec.goawayReason?.(message) ?? "goaway";
    this.#refuse ??= new ConnectionClosedError(
      `The peer is going away (${reason})`,
    );
    debug(`transport ${this.#name()}: the peer sent goaway (${reason})`);
    this.#onGoaway?.(reason);
  }

  /**
   * The peer's side ended: no reply can come. A peer that only half-closed
   * still reads, so the handlers may finish and reply; then the transport
   * closes. A peer that is gone cannot take their replies: after
   * `closeTimeout` the handlers still running are aborted and the
   * transport closes, so a dead peer does not pin them and the connection.
   */
  #onPeerEnd(): void {
    this.#peerEnded = true;
    this.#refuse ??= new ConnectionClosedError("Connection closed by peer");
    this.#rejectPending(this.#refuse);
    this.#reserved.clear();
    if (this.#handling.size === 0) {
      void this.close("Connection closed by peer");
    } else if (this.#closeTimeout !== Infinity) {
      const timer = this.#timers.runAfter(
        this.#closeTimeout,
        () => void this.close("Connection closed by peer"),
      );
      void this.closed.then(() => timer.cancel());
    }
  }

  async #closeGracefully(error: ConnectionClosedError): Promise<void> {
    if (this.#closedReason) return this.closed;
    this.#refuse ??= error;
    // The peer is told to stop working on what nobody will wait for.
    for (const id of this.#pending.keys()) this.#sendCancel(id);
    this.#rejectPending(error);
    this.#cancelHandling(error);
    let timer;
    const flushed = await Promise.race([
      this.#queue.close().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = this.#timers.runAfter(this.#closeTimeout, () => resolve(false));
      }),
    ]);
    timer!.cancel();
    this.#shutdown(
      flushed ? error : new ConnectionClosedError("Close timed out"),
    );
  }

  /** Cancels the handlers still running, and their deadline timers. */
  #cancelHandling(error: Error): void {
    for (const context of this.#handling.values()) {
      context.timer?.cancel();
      context.timer = undefined;
      context.cancel(error);
    }
    this.#handling.clear();
  }

  #rejectPending(error: Error): void {
    for (const entry of [...this.#pending.values()]) {
      if (this.#take(entry)) {
        this.#stats.closedWhilePending++;
        entry.fail(error);
      }
    }
  }

  /** "local -> peer", for debug lines. */
  #name(): string {
    const { localAddr, remoteAddr } = this.channel;
    return `${addrText(localAddr)} -> ${addrText(remoteAddr)}`;
  }

  /** Closes everything now. Idempotent. */
  #shutdown(error: ConnectionClosedError): void {
    if (this.#closedReason) return;
    this.#closedReason = error;
    this.#refuse ??= error;
    debug(
      `transport ${this.#name()}: closed (${error.message})`,
      error.cause === undefined ? undefined : { cause: error.cause },
    );
    this.#rejectPending(error);
    this.#reserved.clear();
    this.#clearBacklog();
    this.#replies?.clear();
    this.#cancelHandling(error);
    this.#queue.abort(error);
    this.#reader?.cancel(error).catch(() => {});
    try {
      this.channel.close();
    } catch { /* close never throws, but be sure */ }
    this.#resumeRead?.();
    this.#resumeHandling();
    this.#resolveClosed();
  }
}

/** What `Transport#onIncoming` was given (kept in the backlog as a number). */
const INCOMING_NOTIFY = 0;
const INCOMING_REQUEST = 1;
const INCOMING_PING = 2;

/**
 * Writes a transport's frames straight into its send queue's batch, for a
 * message codec with `encodedLength`/`encodeInto` and a packet codec with
 * `headerLength`/`writeHeader`.
 */
class DirectFrames<M> implements FrameWriter<M> {
  #packet: PacketCodec;
  #codec: MessageCodec<M>;
  /** The payload's length, from `measure`, for the `writeFrame` after it. */
  #payload = 0;
  #header = 0;

  static of<M>(
    packet: PacketCodec,
    codec: MessageCodec<M>,
  ): DirectFrames<M> | undefined {
    return packet.headerLength && packet.writeHeader &&
        codec.encodedLength && codec.encodeInto
      ? new DirectFrames(packet, codec)
      : undefined;
  }

  constructor(packet: PacketCodec, codec: MessageCodec<M>) {
    this.#packet = packet;
    this.#codec = codec;
  }

  /** The frame's size; checks the message and the frame size limit. */
  measure(message: M): number {
    this.#payload = this.#codec.encodedLength!(message);
    this.#header = this.#packet.headerLength!(this.#payload);
    return this.#header + this.#payload;
  }

  writeFrame(message: M, target: Uint8Array, offset: number): void {
    this.#packet.writeHeader!(target, offset, this.#payload);
    this.#codec.encodeInto!(message, target, offset + this.#header);
  }
}

function expireContext<M>(context: RequestContext<M>): void {
  context.timer = undefined;
  context.cancel(
    new TimeoutError(
      `Request ${context.id} passed its ${context.timeout} ms deadline`,
    ),
  );
}

function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | undefined)?.then === "function";
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
