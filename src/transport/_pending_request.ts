/**
 * One entry of a transport's pending table: a request waiting for its reply,
 * settled through a promise ({@linkcode PendingRequest}) or a state machine
 * ({@linkcode MachineRequest}, async mode), with its rarely used parts in a
 * {@linkcode PendingExtras} made on demand.
 *
 * @module
 */

import type { MessageId } from "../codec/message_codec.ts";
import { AbortedError, type TimeoutError } from "../errors.ts";
import type { Timer } from "../timer/timer_heap.ts";
import type { StateMachine } from "./state_machine.ts";
import type { StreamState } from "./_stream_state.ts";

/** The resolving functions `capture` took last, for `PendingRequest.captured`. */
let capturedResolve: ((value: never) => void) | undefined;
let capturedReject: ((error: Error) => void) | undefined;

/**
 * A promise executor that keeps the promise's resolving functions for
 * {@linkcode PendingRequest.captured}: `new Promise(capture)` then
 * `PendingRequest.captured()`. An executor closure per request would
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

/**
 * The default deadline of the requests sent in one turn, set at its end
 * (`DefaultDeadlines`).
 *
 * @internal
 */
export class TurnDeadline {
  /** When it expires (the heap's clock); 0 until the turn ended. */
  at = 0;
}

/**
 * What a {@linkcode PendingExtras} calls back: the transport's `Outgoing`.
 *
 * @internal
 */
export interface PendingOwner<M> {
  /** Gives up a pending request: it fails with `error`, the peer is told. */
  cancel(entry: PendingRequest<M>, error: Error): void;
  /** Fails a request whose deadline (`timeout` ms after it was sent) passed. */
  timeOut(entry: PendingRequest<M>, timeout: number): void;
}

/**
 * What few requests need: a deadline of their own, an abort signal, the
 * slow-request report, a stream, or being a fence. Made by the first of
 * them (`Outgoing.extras`), so that a plain request carries none of it.
 *
 * @internal
 */
export class PendingExtras<M> {
  /** The transport's `Outgoing`. */
  owner: PendingOwner<M>;
  /** The request these are the parts of. */
  entry: PendingRequest<M>;
  /** A deadline of the request's own (not the default), in ms; else 0. */
  timeout = 0;
  /** The timer of that deadline. */
  timer: Timer<PendingRequest<M>> | undefined = undefined;
  /** The abort signal; these parts are its listener (`handleEvent`). */
  signal: AbortSignal | undefined = undefined;
  /** When it was sent (performance.now()), if slow requests are watched; else 0. */
  sentAt = 0;
  /** The request as sent, kept only while slow requests are watched. */
  request: M | undefined = undefined;
  /** The stream this request opened, if it opened one. */
  stream: StreamState<M> | undefined = undefined;
  /** False for the transport's own fences: they stay out of the counters. */
  counted = true;

  constructor(owner: PendingOwner<M>, entry: PendingRequest<M>) {
    this.owner = owner;
    this.entry = entry;
  }

  /**
   * The signal aborted: the request is cancelled. (An object listener: a
   * closure would be one more allocation per request with a signal.)
   */
  handleEvent(): void {
    const entry = this.entry;
    if (!entry.active) return;
    this.owner.cancel(
      entry,
      new AbortedError(`Request ${entry.id} aborted`, {
        cause: this.signal?.reason,
      }),
    );
  }
}

/**
 * A request that settles a promise (sync mode). Holds only what every
 * request uses: each field is 8 bytes per request in flight, and garbage
 * per request (168 B with every part in the entry, 80 B with the rare ones
 * in {@linkcode PendingExtras}). No private methods: they would add a field
 * (the class brand) to every instance.
 *
 * @internal
 */
export class PendingRequest<M> {
  id: MessageId = 0;
  active = true;
  /**
   * With the connection's default timeout: when it expires, shared with
   * the requests sent in the same turn; its deadline is then kept by the
   * connection's one sweep timer, not a timer of its own.
   */
  deadline: TurnDeadline | undefined = undefined;
  /** Turns the reply into what the promise resolves with (Peer decodes the body). */
  decode: ((reply: M) => unknown) | undefined = undefined;
  /** The rare parts, once one of them is set. */
  extras: PendingExtras<M> | undefined = undefined;
  /** The entries sent before and after it, while in the pending table. */
  prev: PendingRequest<M> | undefined = undefined;
  next: PendingRequest<M> | undefined = undefined;
  #resolve: ((reply: M) => void) | undefined;
  #reject: ((error: Error) => void) | undefined;

  constructor(
    resolve?: (reply: M) => void,
    reject?: (error: Error) => void,
  ) {
    this.#resolve = resolve;
    this.#reject = reject;
  }

  /**
   * The entry that settles the promise made last with
   * `new Promise(capture)`.
   */
  static captured<M>(): PendingRequest<M> {
    const entry = new PendingRequest<M>(
      capturedResolve as (reply: M) => void,
      capturedReject,
    );
    capturedResolve = capturedReject = undefined;
    return entry;
  }

  /** False for the transport's own fences: they stay out of the counters. */
  get counted(): boolean {
    return this.extras === undefined || this.extras.counted;
  }

  /** When it was sent, if slow requests are watched; else 0. */
  get sentAt(): number {
    return this.extras === undefined ? 0 : this.extras.sentAt;
  }

  /** The request as sent, kept only while slow requests are watched. */
  get request(): M | undefined {
    return this.extras?.request;
  }

  set request(request: M | undefined) {
    if (this.extras !== undefined) this.extras.request = request;
  }

  /** Rejects the entry's promise before it was sent (it is not settled). */
  refuse(error: unknown): void {
    this.fail(error instanceof Error ? error : new Error(String(error)));
  }

  succeed(reply: M): void {
    const resolve = this.#resolve!;
    const decode = this.decode;
    const reject = this.#reject!;
    // Drops what the settled entry points to. An entry that lived long
    // enough to be promoted to the old generation would otherwise keep its
    // promise, its reply and their young objects alive, and promoted in
    // turn, until the next full collection (measured: 190-300 B promoted
    // per request at 256 in flight, about 2 B without).
    this.#resolve = this.#reject = this.decode = undefined;
    if (decode === undefined) return resolve(reply);
    let value: unknown;
    try {
      value = decode(reply);
    } catch (error) {
      return reject(error instanceof Error ? error : new Error(String(error)));
    }
    return (resolve as (value: unknown) => void)(value);
  }

  fail(error: Error): void {
    const reject = this.#reject!;
    this.#resolve = this.#reject = this.decode = undefined;
    reject(error);
  }

  timedOut(error: TimeoutError): void {
    this.fail(error);
  }
}

/**
 * A request whose outcome goes to a {@linkcode StateMachine} (async mode):
 * exactly one of its callbacks is called, once; what a callback throws goes
 * to `report`.
 *
 * @internal
 */
export class MachineRequest<M> extends PendingRequest<M> {
  #machine: StateMachine<M> | undefined;
  #report: ((error: unknown) => void) | undefined;

  constructor(machine: StateMachine<M>, report: (error: unknown) => void) {
    super();
    this.#machine = machine;
    this.#report = report;
  }

  override succeed(reply: M): void {
    const machine = this.#machine!;
    this.#machine = undefined;
    try {
      machine.onMessage(reply);
    } catch (error) {
      this.#report!(error);
    }
  }

  override fail(error: Error): void {
    const machine = this.#machine!;
    this.#machine = undefined;
    try {
      machine.onError?.(error);
    } catch (thrown) {
      this.#report!(thrown);
    }
  }

  override timedOut(error: TimeoutError): void {
    const machine = this.#machine!;
    if (machine.onTimeout === undefined) return this.fail(error);
    this.#machine = undefined;
    try {
      machine.onTimeout(error);
    } catch (thrown) {
      this.#report!(thrown);
    }
  }
}
