/**
 * The deadlines of the handlers one transport runs:
 * {@linkcode HandlerDeadlines}.
 *
 * @module
 */

import { TimeoutError } from "../errors.ts";
import type { Timer, TimerHeap } from "../timer/timer_heap.ts";
import type { IncomingContext } from "./_incoming_context.ts";

/** Queues the stamp of a turn's deadlines. */
const SETTLED = Promise.resolve();
/**
 * Lanes (distinct timeouts) a transport keeps; a request whose timeout has
 * none gets a timer of its own. A client gives most requests its default.
 */
const MAX_LANES = 4;
/** Slots a lane starts with. */
const FIRST_SLOTS = 16;
/**
 * The timer heap runs a timer this many ms before its deadline (its slack):
 * the sweep is scheduled this much later, so it never runs early.
 */
const HEAP_SLACK_MS = 1;

/**
 * The requests with one timeout, in the order their deadlines were set,
 * which is their deadlines' order: slots `head` to `tail` of `contexts`
 * (`undefined` where a request finished), with `deadlines` beside them
 * (set by the stamp from `stamped` on).
 */
class Lane<M> {
  timeout: number;
  contexts: (IncomingContext<M> | undefined)[] = new Array(FIRST_SLOTS);
  deadlines = new Float64Array(FIRST_SLOTS);
  head = 0;
  tail = 0;
  /** Slots before this one have their deadline. */
  stamped = 0;
  /** Requests in the lane. */
  live = 0;

  constructor(timeout: number) {
    this.timeout = timeout;
  }

  add(context: IncomingContext<M>): void {
    if (this.tail === this.contexts.length) this.#makeRoom();
    context.slot = this.tail;
    this.contexts[this.tail++] = context;
    this.live++;
  }

  /** Takes `context` (in slot `slot`) out of the lane. */
  remove(context: IncomingContext<M>, slot: number): void {
    context.slot = -1;
    this.contexts[slot] = undefined;
    if (--this.live === 0) this.empty();
    else if (slot === this.head) this.skipHoles();
  }

  /** Moves `head` past the slots of finished requests. */
  skipHoles(): void {
    const contexts = this.contexts;
    let head = this.head;
    while (head < this.tail && contexts[head] === undefined) head++;
    this.head = head;
    if (this.stamped < head) this.stamped = head;
  }

  /** The lane holds nothing: it starts over at slot 0. */
  empty(): void {
    this.head = this.tail = this.stamped = 0;
  }

  /**
   * The last slot is taken: the requests move to the front (at most half
   * the slots are in use), or to twice the slots. Either way the next
   * `length / 2` requests fit, so each costs O(1) moves, and a lane holds
   * at most twice its peak of requests in slots.
   */
  #makeRoom(): void {
    const contexts = this.contexts;
    const deadlines = this.deadlines;
    let to = contexts;
    let toDeadlines = deadlines;
    if (this.live * 2 > contexts.length) {
      to = new Array(contexts.length * 2);
      toDeadlines = new Float64Array(contexts.length * 2);
    }
    let j = 0;
    let stamped = 0;
    for (let i = this.head; i < this.tail; i++) {
      if (i === this.stamped) stamped = j;
      const context = contexts[i];
      if (context === undefined) continue;
      context.slot = j;
      to[j] = context;
      toDeadlines[j++] = deadlines[i];
    }
    this.stamped = this.stamped >= this.tail ? j : stamped;
    if (to === contexts) contexts.fill(undefined, j, this.tail);
    this.contexts = to;
    this.deadlines = toDeadlines;
    this.head = 0;
    this.tail = j;
  }
}

/**
 * The deadlines of the handlers of one transport, without a timer or a
 * clock reading per request: a request's deadline is its timeout after the
 * end of the turn in which its handler went asynchronous (or waited in the
 * executor), all the turn's requests stamped from one clock reading taken
 * after them (never early; late by at most the turn). Requests with the
 * same timeout are kept in a lane in that order, which is their deadlines'
 * order, so one sweep timer per transport, armed for the earliest
 * deadline, serves them all: it expires what is due and is armed again for
 * the next. Up to `MAX_LANES` timeouts have lanes; a request with another
 * timeout gets a timer of its own in the heap.
 *
 * When the last request with a deadline finishes, the sweep timer stays
 * until it runs (it then finds nothing and is not armed again), so that a
 * connection whose requests come in batches arms it once per timeout, not
 * once per batch; `clear()` (closing) cancels it.
 *
 * @internal
 */
export class HandlerDeadlines<M> {
  #timers: TimerHeap;
  #lanes: Lane<M>[] = [];
  #sweeper: Timer<HandlerDeadlines<M>> | undefined = undefined;
  /** The deadline the sweep timer was armed for. */
  #sweepAt = Infinity;
  /** True while a stamp is queued. */
  #stamping = false;
  /** `#stamp` as a callback; made by the first request that needs it. */
  #stampTask: (() => void) | undefined = undefined;

  constructor(timers: TimerHeap) {
    this.#timers = timers;
  }

  /**
   * Starts the deadline of a request whose handler goes asynchronous or
   * waits: `context.timeout` ms from the end of this turn, if it has one.
   */
  arm(context: IncomingContext<M>): void {
    const timeout = context.timeout;
    if (timeout === undefined || !(timeout > 0)) return;
    context.armed = true;
    const lane = this.#laneFor(timeout);
    if (lane === undefined) {
      context.timer = this.#timers.schedule(timeout, expire, context);
      return;
    }
    lane.add(context);
    if (!this.#stamping) {
      this.#stamping = true;
      void SETTLED.then(this.#stampTask ??= this.#makeStampTask());
    }
  }

  /** Removes the deadline of a request that finished or was cancelled. */
  disarm(context: IncomingContext<M>): void {
    const slot = context.slot;
    if (slot >= 0) this.#laneFor(context.timeout!)!.remove(context, slot);
    else if (context.timer !== undefined) {
      context.timer.cancel();
      context.timer = undefined;
    }
  }

  /** Removes every deadline and the sweep timer (the transport closed). */
  clear(): void {
    this.#sweeper?.cancel();
    this.#sweeper = undefined;
    this.#sweepAt = Infinity;
    for (const lane of this.#lanes) {
      const contexts = lane.contexts;
      for (let i = lane.head; i < lane.tail; i++) {
        const context = contexts[i];
        if (context !== undefined) lane.remove(context, i);
      }
    }
  }

  /** The lane of `timeout`: its own, an empty one, a new one, or none. */
  #laneFor(timeout: number): Lane<M> | undefined {
    const lanes = this.#lanes;
    for (let i = 0; i < lanes.length; i++) {
      if (lanes[i].timeout === timeout) return lanes[i];
    }
    for (let i = 0; i < lanes.length; i++) {
      const lane = lanes[i];
      if (lane.live === 0) {
        lane.timeout = timeout;
        return lane;
      }
    }
    if (lanes.length === MAX_LANES) return undefined;
    const lane = new Lane<M>(timeout);
    lanes.push(lane);
    return lane;
  }

  // A method of its own: a closure in `arm` would make every call allocate
  // its context.
  #makeStampTask(): () => void {
    return () => this.#stamp();
  }

  /**
   * The requests of the turn that ended get their deadlines from one clock
   * reading taken after all of them; the sweep timer is armed if none is,
   * or if one of them is due before it (a shorter timeout).
   */
  #stamp(): void {
    this.#stamping = false;
    let first = Infinity;
    let now = 0;
    let read = false;
    for (const lane of this.#lanes) {
      if (lane.stamped >= lane.tail) continue;
      if (!read) {
        now = this.#timers.now();
        read = true;
      }
      const deadline = now + lane.timeout;
      lane.deadlines.fill(deadline, lane.stamped, lane.tail);
      lane.stamped = lane.tail;
      if (deadline < first) first = deadline;
    }
    if (first < this.#sweepAt) {
      this.#sweeper?.cancel();
      this.#arm(first, now);
    }
  }

  #arm(deadline: number, now: number): void {
    this.#sweepAt = deadline;
    this.#sweeper = this.#timers.schedule(
      deadline - now + HEAP_SLACK_MS,
      HandlerDeadlines.#sweep,
      this,
    );
  }

  /**
   * Expires the requests whose deadline has passed, from the front of each
   * lane, and arms the sweep timer again for the earliest deadline left.
   */
  static #sweep<M>(self: HandlerDeadlines<M>): void {
    self.#sweeper = undefined;
    self.#sweepAt = Infinity;
    const now = self.#timers.now();
    let next = Infinity;
    let due: IncomingContext<M>[] | undefined;
    for (const lane of self.#lanes) {
      const contexts = lane.contexts;
      lane.skipHoles();
      // (A slot past `stamped` is stamped before any timer runs.)
      while (lane.head < lane.stamped) {
        const deadline = lane.deadlines[lane.head];
        if (deadline > now) {
          if (deadline < next) next = deadline;
          break;
        }
        const context = contexts[lane.head]!;
        (due ??= []).push(context);
        lane.remove(context, lane.head);
      }
    }
    if (next !== Infinity) self.#arm(next, now);
    // Last: aborting a signal runs the handler's listeners, which may
    // finish or cancel other requests (the lanes are consistent by now).
    if (due !== undefined) { for (const context of due) expire(context); }
  }
}

/** The deadline of `context` passed: its signal aborts. */
function expire<M>(context: IncomingContext<M>): void {
  context.timer = undefined;
  context.cancel(
    new TimeoutError(
      `Request ${context.id} passed its ${context.timeout} ms deadline`,
    ),
  );
}
