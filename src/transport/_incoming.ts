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
import { AbortedError, TimeoutError } from "../errors.ts";
import { BoundedExecutor, type Executor } from "../executor/executor.ts";
import { executeNow } from "../executor/bounded_executor.ts";
import type { TimerHeap } from "../timer/timer_heap.ts";
import {
  Backlog,
  INCOMING_NOTIFY,
  INCOMING_PING,
  INCOMING_REQUEST,
} from "./_backlog.ts";
import type { Link } from "./_link.ts";
import { contextRoute } from "./_log_request.ts";
import { handlerFailed } from "./_handler_failed.ts";
import { Replies } from "./_replies.ts";
import type { TransportConfig } from "./_transport_config.ts";
import type { HandlerFailure } from "./handler_failure.ts";
import { IncomingContext, type RequestOrigin } from "./_incoming_context.ts";
import { IncomingStreams } from "./_incoming_streams.ts";
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
  #timers: TimerHeap;
  #handler: MessageHandler<M> | undefined;
  #onHandlerError: ((failure: HandlerFailure<M>) => void) | undefined;
  #exposeErrors: boolean;
  /** Who the requests come from, shared by every context. */
  #origin: RequestOrigin | undefined;
  /** Runs handlers; made when the first request arrives, unless given. */
  #executor: Executor | undefined;
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
  #handling: Map<MessageId, IncomingContext<M>> | undefined;
  /** The request whose handler runs now, synchronously, outside the table. */
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
    this.#timers = link.timers;
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
    return this.#handling?.size ?? 0;
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
   * @param chunk The read chunk `payload` was decoded from, if any.
   */
  onMessage(
    message: M,
    what: number,
    payload: Uint8Array,
    chunk: Uint8Array | undefined,
  ): void {
    if (what === INCOMING_REQUEST) this.#stats.requestsReceived++;
    else if (what === INCOMING_NOTIFY) this.#stats.notifiesReceived++;
    if (!this.#backlog.waiting && !this.#busy()) {
      return this.#take(message, what, payload.byteLength);
    }
    this.#backlog.add(payload, what, chunk);
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
    context.cancel(new AbortedError(`Request ${id} was cancelled by the peer`));
  }

  /** Cancels the handlers still running, and their deadline timers. */
  cancelAll(error: Error): void {
    this.#current?.cancel(error);
    const handling = this.#handling;
    if (handling === undefined) return;
    for (const context of handling.values()) {
      context.timer?.cancel();
      context.timer = undefined;
      context.cancel(error);
    }
    handling.clear();
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
   * reads nothing is bounded like any other.
   */
  #refuse(id: MessageId, size: number, code: string, message: string): void {
    const charge = size + HANDLING_CHARGE;
    this.#bytes += charge;
    this.#replies.error(id, code, message, charge);
  }

  /** Starts handling a request or notification. */
  #admit(message: M, expectsReply: boolean, size: number): void {
    const id = this.#codec.id(message);
    if (this.draining) {
      if (expectsReply) {
        this.#refuse(
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
        this.#refuse(id, size, "NO_HANDLER", "This peer handles no requests");
      }
      return;
    }
    if (expectsReply && this.#handling?.has(id)) {
      this.#refuse(
        id,
        size,
        "DUPLICATE_ID",
        `Request ${id} is already in flight`,
      );
      return;
    }
    const streaming = expectsReply &&
      this.#codec.streams?.shape(message) !== undefined;
    if (streaming && this.streams.open >= this.#maxStreams) {
      this.#refuse(
        id,
        size,
        "TOO_MANY_STREAMS",
        `The peer has ${this.#maxStreams} streams open, its limit`,
      );
      return;
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
      (this.#handling ??= new Map()).set(id, context);
      context.streams = this.streams;
      this.streams.open++;
      return void this.#run(handler, context);
    }
    // A handler that finishes at once is never entered in the table: no
    // message can arrive (to cancel it, or reuse its id) while it runs, and
    // a Map that gains and loses one entry per request reallocates its
    // table over and over (measured: ~180 B per request on the server).
    // Only closing can cancel it meanwhile: `cancelAll` sees `#current`.
    this.#current = context;
    const accepted = this.#execute(handler, context);
    this.#current = undefined;
    if (!accepted) {
      return this.#finish(context, undefined, {
        code: "OVERLOADED",
        message: "The peer's handler queue is full",
      });
    }
    if (expectsReply && !context.finished) {
      (this.#handling ??= new Map()).set(id, context);
    }
    if (!context.started && timeout !== undefined && timeout > 0) {
      // Queued behind other handlers: the deadline runs while it waits, so
      // a request whose caller has given up is dropped before it starts.
      context.timer = this.#timers.schedule(timeout, expireContext, context);
    }
  }

  // The closures of handling a request are made by methods of their own:
  // one in `#admit` or `#run` would make every call allocate a context for
  // it, needed or not (measured: ~100 B per request).

  /** Gives the handler's run to the executor; false if it refused it. */
  #execute(handler: MessageHandler<M>, context: IncomingContext<M>): boolean {
    const executor = this.#executor ??= this.#defaultExecutor();
    if (
      executor instanceof BoundedExecutor &&
      executeNow(executor, Incoming.#runHandler, this, context)
    ) return true;
    return this.#executeLater(executor, handler, context);
  }

  static #runHandler<M>(
    incoming: Incoming<M>,
    context: IncomingContext<M>,
  ): PromiseLike<void> | void {
    return incoming.#run(incoming.#handler!, context);
  }

  #executeLater(
    executor: Executor,
    handler: MessageHandler<M>,
    context: IncomingContext<M>,
  ): boolean {
    return executor.execute(() => this.#run(handler, context));
  }

  #defaultExecutor(): Executor {
    return new BoundedExecutor({ onError: (e) => this.#link.onError(e) });
  }

  #run(
    handler: MessageHandler<M>,
    context: IncomingContext<M>,
  ): PromiseLike<void> | void {
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
        handlerFailed(
          context,
          error,
          this.#exposeErrors,
          this.#onHandlerError,
          this.#link,
        ),
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
      return this.#finishLater(context, result);
    }
    this.#finish(context, result, undefined);
  }

  /** Finishes the request once its handler's promise settles. */
  #finishLater(
    context: IncomingContext<M>,
    result: PromiseLike<M | undefined>,
  ): PromiseLike<void> {
    return result.then(
      (reply) => this.#finish(context, reply, undefined),
      (error) =>
        this.#finish(
          context,
          undefined,
          handlerFailed(
            context,
            error,
            this.#exposeErrors,
            this.#onHandlerError,
            this.#link,
          ),
        ),
    );
  }

  #finish(
    context: IncomingContext<M>,
    reply: M | undefined,
    error: ErrorInfo | undefined,
  ): void {
    context.timer?.cancel();
    if (context.streams !== undefined) this.streams.open--;
    if (!context.expectsReply) return this.#release(context.size);
    const id = context.id;
    const handling = this.#handling;
    if (
      handling !== undefined && handling.size !== 0 &&
      handling.get(id) === context
    ) handling.delete(id);
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
        const elapsed = performance.now() - context.receivedAt;
        if (elapsed > this.#link.slowAfter) {
          const outcome = error || reply === undefined ? "error" : "reply";
          this.#link.reportSlow(
            "incoming",
            id,
            context.message,
            elapsed,
            outcome,
            contextRoute(context),
          );
        }
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

function expireContext<M>(context: IncomingContext<M>): void {
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
