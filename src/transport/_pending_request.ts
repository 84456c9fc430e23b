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

/** The resolving functions `capture` took last, for `PendingRequest.captured`. */
let capturedResolve: ((value: never) => void) | undefined;
let capturedReject: ((error: Error) => void) | undefined;

/**
 * A promise executor that keeps the promise's resolving functions for
 * {@linkcode PendingRequest.captured}: `new Promise(capture)` then
 * `PendingRequest.captured(owner)`. An executor closure per request would
 * allocate the closure and a context for what it captures (measured with
 * the others of its kind: ~100 B per request).
 *
 * @internal
 */
export function capture(
  resolve: (value: never) => void,
  reject: (error: Error) => void,
): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

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

  /**
   * The entry that settles the promise made last with
   * `new Promise(capture)`.
   */
  static captured<M>(owner: unknown): PendingRequest<M> {
    const entry = new PendingRequest<M>(
      owner,
      capturedResolve as (reply: M) => void,
      capturedReject,
    );
    capturedResolve = capturedReject = undefined;
    return entry;
  }

  /** Rejects the entry's promise before it was sent (it is not settled). */
  refuse(error: unknown): void {
    const reject = this.#reject!;
    this.#forget();
    reject(error instanceof Error ? error : new Error(String(error)));
  }

  succeed(reply: M): void {
    const resolve = this.#resolve;
    if (resolve) {
      const decode = this.decode;
      const reject = this.#reject!;
      this.#forget();
      if (decode === undefined) return resolve(reply);
      let value: unknown;
      try {
        value = decode(reply);
      } catch (error) {
        return reject(
          error instanceof Error ? error : new Error(String(error)),
        );
      }
      return (resolve as (value: unknown) => void)(value);
    }
    const machine = this.#machine!;
    this.#forget();
    this.#call(() => machine.onMessage(reply));
  }

  fail(error: Error): void {
    const reject = this.#reject;
    const machine = this.#machine!;
    this.#forget();
    if (reject) return reject(error);
    this.#call(() => machine.onError?.(error));
  }

  timedOut(error: TimeoutError): void {
    const reject = this.#reject;
    const machine = this.#machine!;
    this.#forget();
    if (reject) return reject(error);
    if (machine.onTimeout) this.#call(() => machine.onTimeout!(error));
    else this.#call(() => machine.onError?.(error));
  }

  /**
   * Drops what the settled entry points to. An entry that lived long
   * enough to be promoted to the old generation would otherwise keep its
   * promise, its reply and their young objects alive, and promoted in turn,
   * until the next full collection (measured: 190-300 B promoted per
   * request at 256 in flight, about 2 B without).
   */
  #forget(): void {
    this.#resolve = this.#reject = this.#machine = undefined;
    this.decode = undefined;
  }

  #call(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.#report?.(error);
    }
  }
}
