/**
 * One entry of a transport's pending table: a request waiting for its reply,
 * settled through a promise (sync mode) or a state machine (async mode).
 *
 * @module
 */

import type { MessageId } from "../codec/message_codec.ts";
import type { TimeoutError } from "../errors.ts";
import type { Timer } from "../timer/timer_heap.ts";
import type { StateMachine } from "./state_machine.ts";
import type { StreamState } from "./_stream_state.ts";

/** @internal */
export class PendingRequest<M> {
  id: MessageId = 0;
  active = true;
  /** The transport that owns the entry (typed loosely to avoid a cycle). */
  owner: unknown;
  timeout = 0;
  /**
   * With the connection's default timeout: when it expires (the heap's
   * clock); its deadline is then kept by the connection's one sweep timer,
   * not a timer of its own. 0 otherwise.
   */
  deadline = 0;
  timer: Timer<PendingRequest<M>> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** When it was sent (performance.now()), if slow requests are watched; else 0. */
  sentAt = 0;
  /** The request as sent, kept only while slow requests are watched. */
  request: M | undefined;
  /** The stream this request opened, if it opened one. */
  stream: StreamState<M> | undefined = undefined;
  /** False for the transport's own fences: they stay out of the counters. */
  counted = true;
  /** Turns the reply into what the promise resolves with (Peer decodes the body). */
  decode: ((reply: M) => unknown) | undefined = undefined;
  #resolve: ((reply: M) => void) | undefined;
  #reject: ((error: Error) => void) | undefined;
  #machine: StateMachine<M> | undefined;
  #report: ((error: unknown) => void) | undefined;

  constructor(
    owner: unknown,
    resolve?: (reply: M) => void,
    reject?: (error: Error) => void,
    machine?: StateMachine<M>,
    report?: (error: unknown) => void,
  ) {
    this.owner = owner;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#machine = machine;
    this.#report = report;
  }

  succeed(reply: M): void {
    if (this.#resolve) {
      if (this.decode === undefined) return this.#resolve(reply);
      let value: unknown;
      try {
        value = this.decode(reply);
      } catch (error) {
        return this.#reject!(
          error instanceof Error ? error : new Error(String(error)),
        );
      }
      return (this.#resolve as (value: unknown) => void)(value);
    }
    this.#call(() => this.#machine!.onMessage(reply));
  }

  fail(error: Error): void {
    if (this.#reject) return this.#reject(error);
    const machine = this.#machine!;
    this.#call(() => machine.onError?.(error));
  }

  timedOut(error: TimeoutError): void {
    if (this.#reject) return this.#reject(error);
    const machine = this.#machine!;
    if (machine.onTimeout) this.#call(() => machine.onTimeout!(error));
    else this.#call(() => machine.onError?.(error));
  }

  #call(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.#report?.(error);
    }
  }
}
