/**
 * Running the handler of each request a transport handles:
 * {@linkcode HandlerRunner}.
 *
 * @module
 */

import type { ErrorInfo } from "../codec/message_codec.ts";
import { BoundedExecutor, type Executor } from "../executor/executor.ts";
import { ENDS_LATER, executeNow } from "../executor/bounded_executor.ts";
import { Settling } from "../executor/_settling.ts";
import { handlerFailed } from "./_handler_failed.ts";
import { HandlerDeadlines } from "./_handler_deadlines.ts";
import type { IncomingContext } from "./_incoming_context.ts";
import type { Link } from "./_link.ts";
import type { HandlerFailure } from "./handler_failure.ts";
import type { MessageHandler } from "./transport_options.ts";

/** How a handler ended: its reply, or the error reply to send. */
export type Finish<M> = (
  context: IncomingContext<M>,
  reply: M | undefined,
  error: ErrorInfo | undefined,
) => void;

/**
 * Runs a transport's handler for each request it takes: in the executor (at
 * once when it has a free slot), with the request's deadline (in
 * {@linkcode HandlerDeadlines}) only while the handler waits or runs
 * asynchronously, and tells `finish` how it ended, exactly once: its reply,
 * or the error reply its throw or rejection becomes.
 *
 * None of its methods makes a closure where a request passes every time:
 * a function with a closure anywhere in it allocates the closure's context
 * on every call, needed or not (measured with the others of its kind: ~100
 * B per request).
 *
 * @internal
 */
export class HandlerRunner<M> {
  /** The executor handlers run in. */
  readonly executor: Executor;
  /** The deadlines of the handlers that wait or run asynchronously. */
  readonly deadlines: HandlerDeadlines<M>;
  #link: Link<M>;
  #handler: MessageHandler<M>;
  #exposeErrors: boolean;
  #onHandlerError: ((failure: HandlerFailure<M>) => void) | undefined;
  #finish: Finish<M>;

  /**
   * @param link The transport's shared parts (timers, errors).
   * @param handler The handler.
   * @param executor The executor (the transport's option, or its default).
   * @param exposeErrors Whether a thrown error's message goes to the peer.
   * @param onHandlerError Told of each handler that threw or rejected.
   * @param finish Told how each handler ended.
   */
  constructor(
    link: Link<M>,
    handler: MessageHandler<M>,
    executor: Executor,
    exposeErrors: boolean,
    onHandlerError: ((failure: HandlerFailure<M>) => void) | undefined,
    finish: Finish<M>,
  ) {
    this.#link = link;
    this.#handler = handler;
    this.executor = executor;
    this.#exposeErrors = exposeErrors;
    this.#onHandlerError = onHandlerError;
    this.#finish = finish;
    this.deadlines = new HandlerDeadlines(link.timers);
  }

  /**
   * Gives the handler's run to the executor: it runs now, or is queued
   * (then its deadline runs while it waits, so a request whose caller has
   * given up is dropped before it starts).
   *
   * @returns False if the executor refused it (nothing ran).
   */
  execute(context: IncomingContext<M>): boolean {
    const executor = this.executor;
    const accepted = executor instanceof BoundedExecutor &&
        executeNow(executor, HandlerRunner.#runIn, this, context) ||
      this.#executeLater(executor, context);
    if (accepted && !context.started) this.deadlines.arm(context);
    return accepted;
  }

  static #runIn<M>(
    runner: HandlerRunner<M>,
    context: IncomingContext<M>,
  ): PromiseLike<void> | void | typeof ENDS_LATER {
    return runner.run(context, runner.executor as BoundedExecutor);
  }

  #executeLater(executor: Executor, context: IncomingContext<M>): boolean {
    return executor.execute(() => this.run(context));
  }

  /**
   * Runs the handler now (a stream's runs beside the executor). `owner`:
   * the executor it runs in through `executeNow`, whose slot an async reply
   * (a `Settling`) frees itself (then this returns `ENDS_LATER`).
   */
  run(
    context: IncomingContext<M>,
    owner?: BoundedExecutor,
  ): PromiseLike<void> | void | typeof ENDS_LATER {
    context.started = true;
    // Cancelled (by the caller, the deadline or the connection closing)
    // while it waited in the executor: nobody waits for this work.
    if (context.cancelled) return this.#finish(context, undefined, undefined);
    let result: M | undefined | PromiseLike<M | undefined>;
    try {
      result = this.#handler(context.message, context);
    } catch (error) {
      return this.#finish(context, undefined, this.#failure(context, error));
    }
    if (isPromiseLike(result)) {
      // The deadline only runs when the handler goes async (or waited in
      // the executor's queue: then it runs already).
      if (!context.cancelled && !context.armed) this.deadlines.arm(context);
      if (owner !== undefined && result instanceof Settling) {
        result.settleInto(this, context, owner);
        return ENDS_LATER;
      }
      return this.#finishLater(context, result);
    }
    this.#finish(context, result, undefined);
  }

  /** An async reply's end (a `SettleListener`: no closure per request). */
  settled(context: IncomingContext<M>, reply: M | undefined): void {
    this.#finish(context, reply, undefined);
  }

  /** An async handler's failure (a `SettleListener`). */
  failed(context: IncomingContext<M>, error: unknown): void {
    this.#finish(context, undefined, this.#failure(context, error));
  }

  /** Finishes the request once its handler's promise settles. */
  #finishLater(
    context: IncomingContext<M>,
    result: PromiseLike<M | undefined>,
  ): PromiseLike<void> {
    return result.then(
      (reply) => this.#finish(context, reply, undefined),
      (error) =>
        this.#finish(context, undefined, this.#failure(context, error)),
    );
  }

  /** The error reply a handler's throw becomes (reported as it says). */
  #failure(context: IncomingContext<M>, error: unknown): ErrorInfo {
    return handlerFailed(
      context,
      error,
      this.#exposeErrors,
      this.#onHandlerError,
      this.#link,
    );
  }
}

function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | undefined)?.then === "function";
}
