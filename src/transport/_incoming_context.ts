/**
 * The transport's own {@linkcode RequestContext}: the public fields, and the
 * bookkeeping of the request's handling that handlers do not see.
 *
 * @module
 */

import type {
  Channel,
  ChannelAddr,
  PeerCertificate,
} from "../channel/channel.ts";
import type { MessageId } from "../codec/message_codec.ts";
import type { Connection } from "../connection/connection.ts";
import { Metadata } from "../codec/metadata.ts";
import type { RouteName } from "../protocol/protocol.ts";
import type { Timer } from "../timer/timer_heap.ts";
import type { RequestContext } from "./request_context.ts";
import type { StreamState } from "./_stream_state.ts";

/**
 * Accepts the stream a request opens: what a route handler calls.
 *
 * @internal
 */
export interface StreamAcceptor<M> {
  /**
   * @param context The request that opens the stream.
   * @param decode Turns a received message into the value read.
   * @param input True if the opener sends a stream (it is granted credit).
   * @returns The acceptor's side of the stream.
   */
  acceptStream(
    context: IncomingContext<M>,
    decode: (message: M) => unknown,
    input: boolean,
  ): StreamState<M>;
}

/**
 * Where a transport's requests come from: one object per transport, shared
 * by every context it makes (so a context costs one field for it).
 *
 * @internal
 */
export interface RequestOrigin {
  /** The transport's owner: the `Connection` handlers see. */
  readonly connection: unknown;
  /** The transport's channel. */
  readonly channel: Channel;
}

/** `IncomingContext.#state`: the signal was aborted (cancelled). */
const DONE = 1;
/** `IncomingContext.#state`: the handler finished. */
const FINISHED = 2;
/** `IncomingContext.#state`: the executor started the handler. */
const STARTED = 4;
/** `IncomingContext.#state`: its deadline was started (see HandlerDeadlines). */
const ARMED = 8;

/**
 * The parts of a context that a plain request and reply never use: made
 * the first time one of them is set, so that the context itself stays small.
 */
class Extras<M> {
  /** Made by the first read of `signal`. */
  controller: AbortController | undefined = undefined;
  /** Why it was cancelled (for a signal made after). */
  reason: unknown = undefined;
  receivedAt = 0;
  /** The deadline's own timer, if its timeout had no lane. */
  timer: Timer<IncomingContext<M>> | undefined = undefined;
  received: Metadata | undefined = undefined;
  reply: Metadata | undefined = undefined;
  stream: StreamState<M> | undefined = undefined;
  streams: StreamAcceptor<M> | undefined = undefined;
}

/**
 * One incoming request's context, as the transport keeps it. A context is
 * made for every request: it holds what a plain request and reply use (its
 * state as bits of one field), and keeps the rest (the signal's controller,
 * metadata, a stream, the arrival time) in an {@linkcode Extras} made the
 * first time one is set (measured: 168 B per request before, 104 after).
 *
 * @internal
 */
export class IncomingContext<M> implements RequestContext<M> {
  readonly id: MessageId;
  readonly message: M;
  readonly expectsReply: boolean;
  readonly timeout: number | undefined;
  /** The route, set by the connection's route handler. */
  route: RouteName = "";
  #origin: RequestOrigin | undefined;
  /** `DONE`, `FINISHED`, `STARTED` and `ARMED`. */
  #state = 0;
  /** The bytes of the request's frame, counted while it is handled. */
  size = 0;
  /** Its slot in its deadline's lane (see HandlerDeadlines); -1 if none. */
  slot = -1;
  /**
   * Made where first needed, `this.#extras ??= new Extras()`, not by a
   * private method: a class with one gives each instance a field more (its
   * brand: measured, 8 B per request).
   */
  #extras: Extras<M> | undefined = undefined;

  constructor(
    message: M,
    id: MessageId,
    expectsReply: boolean,
    timeout: number | undefined,
    origin: RequestOrigin | undefined,
  ) {
    this.message = message;
    this.id = id;
    this.expectsReply = expectsReply;
    this.timeout = timeout;
    this.#origin = origin;
  }

  /** True once the executor started the handler. */
  get started(): boolean {
    return (this.#state & STARTED) !== 0;
  }

  set started(started: boolean) {
    this.#state = started ? this.#state | STARTED : this.#state & ~STARTED;
  }

  /** True once its deadline was started (it may have passed since). */
  get armed(): boolean {
    return (this.#state & ARMED) !== 0;
  }

  set armed(armed: boolean) {
    this.#state = armed ? this.#state | ARMED : this.#state & ~ARMED;
  }

  /** The deadline's own timer, if its timeout had no lane. */
  get timer(): Timer<IncomingContext<M>> | undefined {
    return this.#extras?.timer;
  }

  set timer(timer: Timer<IncomingContext<M>> | undefined) {
    if (timer !== undefined || this.#extras !== undefined) {
      (this.#extras ??= new Extras()).timer = timer;
    }
  }

  /** When it arrived (performance.now()), if slow requests are watched; else 0. */
  get receivedAt(): number {
    return this.#extras?.receivedAt ?? 0;
  }

  set receivedAt(at: number) {
    (this.#extras ??= new Extras()).receivedAt = at;
  }

  /** The metadata that came with the request, set by the route handler. */
  get received(): Metadata | undefined {
    return this.#extras?.received;
  }

  set received(metadata: Metadata | undefined) {
    // The route handler sets it on every request, mostly to undefined.
    if (metadata !== undefined || this.#extras !== undefined) {
      (this.#extras ??= new Extras()).received = metadata;
    }
  }

  /** The stream the request opened, once its route accepted it. */
  get stream(): StreamState<M> | undefined {
    return this.#extras?.stream;
  }

  set stream(stream: StreamState<M> | undefined) {
    (this.#extras ??= new Extras()).stream = stream;
  }

  /** Accepts the stream the request opens (set by the transport). */
  get streams(): StreamAcceptor<M> | undefined {
    return this.#extras?.streams;
  }

  set streams(streams: StreamAcceptor<M> | undefined) {
    (this.#extras ??= new Extras()).streams = streams;
  }

  get signal(): AbortSignal {
    const extras = (this.#extras ??= new Extras());
    if (extras.controller === undefined) {
      extras.controller = new AbortController();
      if (this.cancelled) extras.controller.abort(extras.reason);
    }
    return extras.controller.signal;
  }

  get cancelled(): boolean {
    return (this.#state & DONE) !== 0;
  }

  get metadata(): Metadata {
    return (this.#extras ??= new Extras()).received ??= new Metadata();
  }

  get replyMetadata(): Metadata {
    return (this.#extras ??= new Extras()).reply ??= new Metadata();
  }

  /** The reply metadata, if the handler set any. */
  get replyMetadataIfSet(): Metadata | undefined {
    const reply = this.#extras?.reply;
    return reply !== undefined && reply.size > 0 ? reply : undefined;
  }

  // A transport made by a Connection always has an origin; a bare one
  // (message-level tests) has none, and these are undefined there.
  get connection(): Connection {
    return this.#origin?.connection as Connection;
  }

  get remoteAddr(): ChannelAddr {
    return this.#origin?.channel.remoteAddr as ChannelAddr;
  }

  get peerCertificate(): PeerCertificate | undefined {
    return this.#origin?.channel.peerCertificate;
  }

  /** True once the handler finished (and its reply, if any, was queued). */
  get finished(): boolean {
    return (this.#state & FINISHED) !== 0;
  }

  /** Marks the handler finished: later cancels change nothing. */
  finish(): void {
    this.#state |= FINISHED;
    this.#extras?.stream?.finish(undefined);
  }

  /** Aborts the signal with `reason` (once), unless the handler has finished. */
  cancel(reason: unknown): void {
    if ((this.#state & (DONE | FINISHED)) !== 0) return;
    this.#state |= DONE;
    const extras = (this.#extras ??= new Extras());
    extras.reason = reason; // for a signal made later
    extras.controller?.abort(reason);
    extras.stream?.fail(
      reason instanceof Error ? reason : new Error(String(reason)),
    );
  }
}
