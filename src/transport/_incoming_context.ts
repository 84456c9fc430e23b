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

/**
 * One incoming request's context, as the transport keeps it.
 *
 * @internal
 */
export class IncomingContext<M> implements RequestContext<M> {
  readonly id: MessageId;
  readonly message: M;
  readonly expectsReply: boolean;
  readonly timeout: number | undefined;
  #origin: RequestOrigin | undefined;
  #controller: AbortController | undefined;
  #reason: unknown = undefined;
  #done = false;
  #finished = false;
  /** The deadline timer, cancelled when the handler finishes. */
  timer: Timer<IncomingContext<M>> | undefined;
  /** The bytes of the request's frame, counted while it is handled. */
  size = 0;
  /** True once the executor started the handler. */
  started = false;
  /** When it arrived (performance.now()), if slow requests are watched; else 0. */
  receivedAt = 0;
  /** The route, set by the connection's route handler. */
  route: RouteName = "";
  /** The metadata that came with the request, set by the route handler. */
  received: Metadata | undefined = undefined;
  /** The stream the request opened, once its route accepted it. */
  stream: StreamState<M> | undefined = undefined;
  /** Accepts the stream the request opens (set by the transport). */
  streams: StreamAcceptor<M> | undefined = undefined;
  #reply: Metadata | undefined = undefined;

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

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#done) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get cancelled(): boolean {
    return this.#done;
  }

  get metadata(): Metadata {
    return this.received ??= new Metadata();
  }

  get replyMetadata(): Metadata {
    return this.#reply ??= new Metadata();
  }

  /** The reply metadata, if the handler set any. */
  get replyMetadataIfSet(): Metadata | undefined {
    const reply = this.#reply;
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
    return this.#finished;
  }

  /** Marks the handler finished: later cancels change nothing. */
  finish(): void {
    this.#finished = true;
    this.stream?.finish(undefined);
  }

  /** Aborts the signal with `reason` (once), unless the handler has finished. */
  cancel(reason: unknown): void {
    if (this.#done || this.#finished) return;
    this.#done = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    this.stream?.fail(
      reason instanceof Error ? reason : new Error(String(reason)),
    );
  }
}
