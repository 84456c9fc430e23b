/**
 * The connection's default deadline on the requests it sent:
 * {@linkcode DefaultDeadlines}.
 *
 * @module
 */

import type { Timer, TimerHeap } from "../timer/timer_heap.ts";
import { type PendingRequest, TurnDeadline } from "./_pending_request.ts";

/** Queues the stamp and the idle checks of the sweep timer. */
const SETTLED = Promise.resolve();
/** Microtasks an emptied pending table waits for a new request. */
const IDLE_HOPS = 3;

/**
 * What {@linkcode DefaultDeadlines} needs of the pending table (`Outgoing`).
 *
 * @internal
 */
export interface DeadlineTable<M> {
  /** The number of pending requests, fence included. */
  readonly size: number;
  /** The oldest pending request (then `next`: in the order they were sent). */
  readonly first: PendingRequest<M> | undefined;
  /** Fails `entry`: its deadline, `timeout` ms after it was sent, passed. */
  timeOut(entry: PendingRequest<M>, timeout: number): void;
}

/**
 * The deadlines of the requests sent with the connection's default
 * timeout. They get it in the order they are sent (the pending table's
 * order), so one timer, for the oldest, serves them all (the sweep), and
 * one clock reading per turn (the stamp). The timer is cancelled when the
 * table stays empty.
 *
 * @internal
 */
export class DefaultDeadlines<M> {
  #timers: TimerHeap;
  /** The default deadline in ms. */
  #timeout: number;
  #table: DeadlineTable<M>;
  /** The one timer of the requests with the default deadline (see #sweep). */
  #sweeper: Timer<DefaultDeadlines<M>> | undefined = undefined;
  /** The deadline of this turn's requests, set at its end (see #stamp). */
  #turn: TurnDeadline | undefined = undefined;
  /** `#stamp` as a callback; made by the first request that needs it. */
  #stampTask: (() => void) | undefined = undefined;
  /** True while a check whether to cancel `#sweeper` is queued. */
  #idle = false;
  /** The microtasks that check may still wait (see `#cancelIfIdle`). */
  #idleHops = 0;
  /** `#cancelIfIdle` as a callback; made by the first table that empties. */
  #idleTask: (() => void) | undefined = undefined;

  constructor(timers: TimerHeap, timeout: number, table: DeadlineTable<M>) {
    this.#timers = timers;
    this.#timeout = timeout;
    this.#table = table;
  }

  /** Gives `entry`, just sent and entered in the table, the deadline. */
  add(entry: PendingRequest<M>): void {
    let turn = this.#turn;
    if (turn === undefined) {
      turn = this.#turn = new TurnDeadline();
      void SETTLED.then(this.#stampTask ??= this.#makeStampTask());
    }
    entry.deadline = turn;
    this.#sweeper ??= this.#timers.schedule(
      this.#timeout,
      DefaultDeadlines.#sweep,
      this,
    );
  }

  /**
   * The table emptied. No timer is left behind, unless the callers send
   * again within a few microtasks (a closed loop's next request after its
   * reply), which would arm a runtime timer again per round trip.
   */
  emptied(): void {
    if (this.#sweeper !== undefined && !this.#idle) {
      this.#idle = true;
      this.#idleHops = IDLE_HOPS + 1;
      this.#cancelIfIdle();
    }
  }

  /** Cancels the timer: no request waits any more (the connection ended). */
  stop(): void {
    this.#sweeper?.cancel();
    this.#sweeper = undefined;
  }

  // The closures are made by methods of their own: a closure in `add`
  // would make every call allocate a context for it, needed or not.

  #makeIdleTask(): () => void {
    return () => this.#cancelIfIdle();
  }

  #makeStampTask(): () => void {
    return () => this.#stamp();
  }

  /**
   * The requests of the turn that ended get their default deadline from one
   * clock reading taken after all were sent: never early, late by at most
   * the turn. (Reading the clock per request is a call into the runtime on
   * Deno: 8 % of a client's CPU at 256 small requests in flight.) They
   * share it: a number in each would be a heap number per request, and a
   * list of them an array grown again each turn (measured together: 70 B
   * per request at 256 in flight, 37 B at 16).
   */
  #stamp(): void {
    this.#turn!.at = this.#timers.now() + this.#timeout;
    this.#turn = undefined;
  }

  /**
   * Expires the requests with the default deadline whose time has come, in
   * the pending table's order (which is their deadlines' order), and arms
   * the timer again for the first one left.
   */
  static #sweep<M>(deadlines: DefaultDeadlines<M>): void {
    deadlines.#sweeper = undefined;
    const now = deadlines.#timers.now();
    const table = deadlines.#table;
    let entry = table.first;
    while (entry !== undefined) {
      const deadline = entry.deadline?.at ?? 0;
      if (deadline === 0) {
        entry = entry.next;
        continue;
      }
      if (deadline > now + 1) {
        deadlines.#sweeper = deadlines.#timers.schedule(
          deadline - now,
          DefaultDeadlines.#sweep,
          deadlines,
        );
        return;
      }
      const next = entry.next;
      table.timeOut(entry, deadlines.#timeout);
      // What the timeout called may have ended the next one too (it is
      // then out of the list): start again from the oldest.
      entry = next?.active ? next : table.first;
    }
  }

  /** Cancels the sweep timer if nothing waits after `#idleHops` microtasks more. */
  #cancelIfIdle(): void {
    if (this.#table.size !== 0 || this.#sweeper === undefined) {
      this.#idle = false;
    } else if (this.#idleHops-- > 0) {
      // The hops left are a field, so the callback is made once, not per
      // hop (measured: 14 → 0 B per request, 64 B × 16 in flight).
      void SETTLED.then(this.#idleTask ??= this.#makeIdleTask());
    } else {
      this.#idle = false;
      this.#sweeper.cancel();
      this.#sweeper = undefined;
    }
  }
}
