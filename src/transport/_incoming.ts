/**
 * The requests one transport handles for its peer: {@linkcode Incoming}.
 *
 * @module
 */

import type {
  ErrorInfo,
  MessageCodec,
  MessageId,
} from "../codec/message_codec.ts";
import { AbortedError } from "../errors.ts";
import { BoundedExecutor, type Executor } from "../executor/executor.ts";
import {
  Backlog,
  INCOMING_NOTIFY,
  INCOMING_PING,
  INCOMING_REQUEST,
} from "./_backlog.ts";
import type { Link } from "./_link.ts";
import { reportIfSlow } from "./_log_request.ts";
import { HandlerRunner } from "./_handler_runner.ts";
import { Replies } from "./_replies.ts";
import type { TransportConfig } from "./_transport_config.ts";
import type { HandlerFailure } from "./handler_failure.ts";
import { IncomingContext, type RequestOrigin } from "./_incoming_context.ts";
import { IncomingStreams } from "./_incoming_streams.ts";
import { IdTable } from "./_id_table.ts";
import type { ConnectionStats } from "./stats.ts";
import { HANDLING_CHARGE, type MessageHandler } from "./transport_options.ts";

/**
 * The peer's requests, notifications and pings: taken in order as the
 * handling bound, the replies waiting and the executor allow (the others
 * wait in the {@linkcode Backlog}, and reading pauses), handled in the
 * executor, and answered with a reply, an error reply or a pong. A request
 * is charged its frame's bytes plus `HANDLING_CHARGE` against
 * `maxHandlingBytes` until its reply is queued.
 *
 * @internal
 */
export class Incoming<M> {
  #link: Link<M>;
  #codec: MessageCodec<M>;
  #stats: ConnectionStats;
  #handler: MessageHandler<M> | undefined;
  #onHandlerError: ((failure: HandlerFailure<M>) => void) | undefined;
  #exposeErrors: boolean;
  /** Who the requests come from, shared by every context. */
  #origin: RequestOrigin | undefined;
  /** Runs handlers; made when the first request arrives, unless given. */
  #executor: Executor | undefined;
  /** Runs the handler of each request; made when the first one arrives. */
  #runner: HandlerRunner<M> | undefined = undefined;
  #maxBytes: number;
  /** Streams the peer may have open at once. */
  #maxStreams: number;
  /** The streams the peer opened; made when the first stream arrives. */
  #streams: IncomingStreams<M> | undefined = undefined;
  #streamWindow: number;
  /** Bytes of the requests and notifications whose handlers have not finished. */
  #bytes = 0;
  /** Resumes the read loop paused by `#bytes` at its bound. */
  #room: (() => void) | undefined;
  /**
   * Requests being handled here whose replies are still wanted, by id; made
   * by the first one (an idle connection has none).
   */
  #handling: IdTable<IncomingContext<M>> | undefined;
  /**
   * The request whose handler runs now, synchronously, outside the table
   * (counted as being handled until it finishes).
   */
  #current: IncomingContext<M> | undefined = undefined;
  #replies: Replies<M>;
  #backlog = new Backlog();
  /** True once `drain()` was called: no new work is taken. */
  draining = false;
  /** Called each time a request's handler finishes, while set. */
  afterFinish: (() => void) | undefined = undefined;

  constructor(link: Link<M>, config: TransportConfig<M>) {
    this.#link = link;
    this.#codec = link.codec;
    this.#stats = link.stats;
    this.#handler = config.handler;
    this.#onHandlerError = config.onHandlerError;
    this.#exposeErrors = config.exposeErrors;
    this.#origin = config.origin;
    this.#executor = config.executor;
    this.#maxBytes = config.maxHandlingBytes;
    this.#maxStreams = config.maxStreams;
    this.#streamWindow = config.streamWindow;
    this.#replies = new Replies(link, this.#release);
  }

  /** The streams the peer opened (each is a request being handled). */
  get streams(): IncomingStreams<M> {
    return this.#streams ??= new IncomingStreams(
      this.#link,
      this.#streamWindow,
      (id) => this.#handling?.get(id),
    );
  }

  /** Requests being handled whose replies are wanted. */
  get count(): number {
    return (this.#handling?.size ?? 0) + (this.#current === undefined ? 0 : 1);
  }

  /** What the requests being handled are charged, in bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  /** True while reading must wait: requests wait, or no new one may be taken. */
  get blocked(): boolean {
    return this.#backlog.waiting || this.#busy();
  }

  /**
   * A request, notification or ping (`what`): taken now, or, while no new
   * one may be taken (or others wait before it), put in the backlog. Pings
   * wait in turn too, so that a peer that floods pings and reads nothing is
   * paused like one that floods requests.
   *
   * @param bytes Holds its payload, from `start` to `end`.
   * @param chunk The read chunk `bytes` is or was decoded from, if any.
   */
  onMessage(
    message: M,
    what: number,
    bytes: Uint8Array,
    start: number,
    end: number,
    chunk: Uint8Array | undefined,
  ): void {
    if (what === INCOMING_REQUEST) this.#stats.requestsReceived++;
    else if (what === INCOMING_NOTIFY) this.#stats.notifiesReceived++;
    if (!this.#backlog.waiting && !this.#busy()) {
      return this.#take(message, what, end - start);
    }
    this.#backlog.add(bytes, start, end, what, chunk);
  }

  /** Takes the backlog's messages in order as room allows; resolves once it is empty. */
  async takeBacklog(): Promise<void> {
    const backlog = this.#backlog;
    for (;;) {
      if (this.#link.state === "closed") return;
      if (this.#busy()) {
        await this.#waitForRoom();
        continue;
      }
      if (!backlog.waiting) return;
      const payload = backlog.next();
      const what = backlog.what;
      const cancels = backlog.cancels;
      if (backlog.done) backlog.clear();
      // It decoded when it arrived: it decodes the same way now.
      const message = this.#codec.decode(payload);
      if (
        what === INCOMING_REQUEST && cancels !== undefined &&
        cancels.delete(this.#codec.id(message))
      ) {
        this.#stats.cancelsReceived++; // cancelled before it was taken
        continue;
      }
      this.#take(message, what, payload.byteLength);
    }
  }

  /** The peer cancelled request `id`. */
  onCancel(id: MessageId): void {
    const context = this.#handling?.get(id);
    if (context === undefined) {
      // Still in the backlog? It is dropped when its turn comes.
      this.#backlog.cancel(id);
      return;
    }
    this.#stats.cancelsReceived++;
    // The id is free from now on: the peer may reuse it at once, and the
    // handler's result goes nowhere (its bytes count until it settles).
    this.#handling!.delete(id);
    this.#runner?.deadlines.disarm(context);
    context.cancel(new AbortedError(`Request ${id} was cancelled by the peer`));
  }

  /** Cancels the handlers still running, and their deadlines. */
  cancelAll(error: Error): void {
    this.#current?.cancel(error);
    const deadlines = this.#runner?.deadlines;
    for (const context of this.#handling?.takeAll() ?? []) {
      deadlines?.disarm(context);
      context.cancel(error);
    }
    deadlines?.clear();
  }

  /** The connection closed: drops what waits and cancels the handlers. */
  stop(error: Error): void {
    this.#backlog.clear();
    this.#replies.clear();
    this.cancelAll(error);
  }

  /** Resumes a read loop that waits for room (the connection closed). */
  wake(): void {
    this.#replies.wake();
    this.#resumeHandling();
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
    return this.#bytes >= this.#maxBytes || this.#replies.full ||
      this.#executor?.whenReady() !== undefined;
  }

  /** Resolves when what keeps `#busy()` true may have changed. */
  #waitForRoom(): Promise<void> {
    if (this.#bytes >= this.#maxBytes) {
      return new Promise<void>((resolve) => this.#room = resolve);
    }
    if (this.#replies.full) return this.#replies.whenRoom();
    return this.#executor!.whenReady()!;
  }

  #take(message: M, what: number, size: number): void {
    if (what === INCOMING_PING) this.#replies.pong(this.#codec.id(message));
    else this.#admit(message, what === INCOMING_REQUEST, size);
  }

  /**
   * Answers a request at once with an error reply, charged like a handled
   * request until the reply is queued: a peer that floods such requests and
   * reads nothing is bounded like any other. A notification is dropped.
   */
  #refuse(
    expectsReply: boolean,
    id: MessageId,
    size: number,
    code: string,
    message: string,
  ): void {
    if (!expectsReply) return;
    const charge = size + HANDLING_CHARGE;
    this.#bytes += charge;
    this.#replies.error(id, code, message, charge);
  }

  /** Starts handling a request or notification. */
  #admit(message: M, expectsReply: boolean, size: number): void {
    const id = this.#codec.id(message);
    // (No closure for the refusals: see `#makeRunner`.)
    if (this.draining) {
      const text = "The peer is shutting down and takes no new requests";
      return this.#refuse(expectsReply, id, size, "GOING_AWAY", text);
    }
    if (this.#handler === undefined) {
      const text = "This peer handles no requests";
      return this.#refuse(expectsReply, id, size, "NO_HANDLER", text);
    }
    if (expectsReply && this.#handling?.has(id)) {
      const text = `Request ${id} is already in flight`;
      return this.#refuse(true, id, size, "DUPLICATE_ID", text);
    }
    const streaming = expectsReply &&
      this.#codec.streams?.shape(message) !== undefined;
    if (streaming && this.streams.open >= this.#maxStreams) {
      const text = `The peer has ${this.#maxStreams} streams open, its limit`;
      return this.#refuse(true, id, size, "TOO_MANY_STREAMS", text);
    }
    const timeout = expectsReply ? this.#codec.timeoutOf?.(message) : undefined;
    const context = new IncomingContext(
      message,
      id,
      expectsReply,
      timeout,
      this.#origin,
    );
    context.size = size + HANDLING_CHARGE;
    this.#bytes += context.size;
    if (expectsReply && this.#link.timed) {
      context.receivedAt = performance.now();
    }
    if (streaming) {
      // A stream runs beside the executor: it may live long, and its
      // progress needs reading, which a full executor would stop.
      (this.#handling ??= new IdTable()).set(id, context);
      context.streams = this.streams;
      this.streams.open++;
      return void this.#handlers().run(context);
    }
    // A handler that finishes at once is never entered in the table: no
    // message can arrive (to cancel it, or reuse its id) while it runs.
    // Only closing can cancel it meanwhile: `cancelAll` sees `#current`.
    if (expectsReply) this.#current = context;
    const accepted = this.#handlers().execute(context);
    this.#current = undefined;
    if (!accepted) {
      return this.#finish(context, undefined, {
        code: "OVERLOADED",
        message: "The peer's handler queue is full",
      });
    }
    if (expectsReply && !context.finished) {
      (this.#handling ??= new IdTable()).set(id, context);
    }
  }

  /** The handler runner, made with the first request (and the executor). */
  #handlers(): HandlerRunner<M> {
    return this.#runner ??= this.#makeRunner();
  }

  // A method of its own: its closures in `#handlers` would make every call
  // (every request) allocate their context.
  #makeRunner(): HandlerRunner<M> {
    return new HandlerRunner(
      this.#link,
      this.#handler!,
      this.#executor ??= new BoundedExecutor({
        onError: (e) => this.#link.onError(e),
      }),
      this.#exposeErrors,
      this.#onHandlerError,
      (context, reply, error) => this.#finish(context, reply, error),
    );
  }

  #finish(
    context: IncomingContext<M>,
    reply: M | undefined,
    error: ErrorInfo | undefined,
  ): void {
    this.#runner!.deadlines.disarm(context);
    if (this.#current === context) this.#current = undefined;
    if (context.streams !== undefined) this.streams.open--;
    if (!context.expectsReply) return this.#release(context.size);
    const id = context.id;
    const handling = this.#handling;
    if (handling?.get(id) === context) handling.delete(id);
    if (context.cancelled || this.#link.state === "closed") {
      this.#release(context.size);
    } else {
      // The request stays charged until its reply is queued.
      const replies = this.#replies;
      if (error) {
        replies.error(
          id,
          error.code,
          error.message,
          context.size,
          context.replyMetadataIfSet,
        );
      } else if (reply === undefined) {
        replies.error(
          id,
          "NO_REPLY",
          "The handler returned no reply",
          context.size,
        );
      } else replies.reply(id, reply, context.size);
      if (context.receivedAt !== 0) {
        reportIfSlow(
          this.#link,
          context,
          error || reply === undefined ? "error" : "reply",
        );
      }
    }
    context.finish();
    this.afterFinish?.();
  }

  /** Gives back what a handled request was charged. */
  #release = (charge: number): void => {
    this.#bytes -= charge;
    if (this.#room !== undefined && this.#bytes < this.#maxBytes) {
      this.#resumeHandling();
    }
  };

  #resumeHandling(): void {
    const resume = this.#room;
    this.#room = undefined;
    resume?.();
  }
}
