/**
 * The {@linkcode RequestContext} a handler receives with each incoming
 * request.
 *
 * @module
 */

import type { MessageId } from "../codec/message_codec.ts";
import type { Timer } from "../timer/timer_heap.ts";

/**
 * What a handler knows about the request it handles. The `signal` aborts when
 * the caller cancels the request, its deadline passes, or the connection
 * closes; a handler doing slow work should pass it on.
 *
 * @example Passing the signal on
 * ```ts
 * import type { RequestContext } from "listenrain";
 *
 * async function slowHandler(_body: unknown, ctx: RequestContext<unknown>) {
 *   await new Promise((resolve, reject) => {
 *     const timer = setTimeout(resolve, 10);
 *     ctx.signal.addEventListener("abort", () => {
 *       clearTimeout(timer);
 *       reject(ctx.signal.reason);
 *     }, { once: true });
 *   });
 *   return "done";
 * }
 * console.log(typeof slowHandler); // "function"
 * ```
 */
export class RequestContext<M> {
  /** The request's id (for notifications: whatever the message carries). */
  readonly id: MessageId;
  /** The incoming message. */
  readonly message: M;
  /** False for notifications: nobody waits for a reply. */
  readonly expectsReply: boolean;
  /** The deadline the caller sent with the request, in ms, if any. */
  readonly timeout: number | undefined;
  #controller: AbortController | undefined;
  #reason: unknown = undefined;
  #done = false;
  #finished = false;
  /** @internal The deadline timer, cancelled when the handler finishes. */
  timer: Timer<RequestContext<M>> | undefined;
  /** @internal The bytes of the request's frame, counted while it is handled. */
  size = 0;
  /** @internal True once the executor started the handler. */
  started = false;
  /** @internal When it arrived (performance.now()), if slow requests are watched; else 0. */
  receivedAt = 0;

  /**
   * Contexts are created by the transport.
   *
   * @param message The incoming message.
   * @param id Its id.
   * @param expectsReply Whether a reply is expected.
   * @param timeout The deadline the caller sent, in ms.
   */
  constructor(
    message: M,
    id: MessageId,
    expectsReply: boolean,
    timeout: number | undefined,
  ) {
    this.message = message;
    this.id = id;
    this.expectsReply = expectsReply;
    this.timeout = timeout;
  }

  /** Aborts when the request is cancelled; created on first use. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#done) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** @internal Marks the handler finished: later cancels change nothing. */
  finish(): void {
    this.#finished = true;
  }

  /** True once the caller gave up, the deadline passed or the connection closed. */
  get cancelled(): boolean {
    return this.#done;
  }

  /**
   * @internal Aborts the signal with `reason` (once), unless the handler has
   * finished.
   * @param reason Why the request is cancelled.
   */
  cancel(reason: unknown): void {
    if (this.#done || this.#finished) return;
    this.#done = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
