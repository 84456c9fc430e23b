/**
 * The {@linkcode Timer}: one node of a {@linkcode TimerHeap}, and the heap
 * operations on nodes (they read a node's private fields).
 *
 * @module
 */

import type { TimerHeap } from "./timer_heap.ts";

// Friend functions: Timer's static block defines them so that TimerHeap can
// work on a node's private fields; TimerHeap's static block gives Timer
// removeFromHeap (through setRemoveFromHeap) to work on the heap's.
/** Makes a timer node. @internal */
export let createTimer: <T>(
  heap: TimerHeap,
  deadline: number,
  seq: number,
  callback: (arg: T) => void,
  arg: T,
) => Timer<T>;
/** Adds a node to the heap array. @internal */
export let pushTimer: (nodes: Timer[], timer: Timer) => void;
/** Runs and removes the due nodes. @internal */
export let runDue: (
  nodes: Timer[],
  limit: number,
  seqLimit: number,
  report: (error: unknown) => void,
) => void;
/** Deactivates and removes every node. @internal */
export let dropAll: (nodes: Timer[]) => void;
/** Removes a node from the heap array. @internal */
export let removeTimer: (nodes: Timer[], timer: Timer) => void;
let removeFromHeap: (heap: TimerHeap, timer: Timer) => void;
let creating = false;

/**
 * Gives {@linkcode Timer.cancel} the heap's removal; called once, by
 * TimerHeap's static block. @internal
 */
export function setRemoveFromHeap(
  remove: (heap: TimerHeap, timer: Timer) => void,
): void {
  removeFromHeap = remove;
}

/**
 * One scheduled callback: a node of a {@linkcode TimerHeap}, returned by
 * {@linkcode TimerHeap.schedule}. It knows its place in the heap, so
 * {@linkcode Timer.cancel} removes it in O(log n).
 *
 * @typeParam T The type of the argument passed to the callback.
 *
 * @example Cancelling a request timeout when the reply comes
 * ```ts
 * import { TimerHeap } from "listenrain/advanced";
 *
 * const timers = new TimerHeap();
 * const timer = timers.schedule(5000, (id: number) => console.log(`request ${id} timed out`), 7);
 * console.log(timer.active); // true
 * console.log(timer.cancel(), timer.active); // true false
 * ```
 */
export class Timer<T = unknown> {
  #deadline = 0;
  #seq = 0;
  #index = -1;
  #heap: TimerHeap | undefined = undefined;
  #callback: ((arg: never) => void) | undefined = undefined;
  #arg: T | undefined = undefined;

  /**
   * Timers are created by {@linkcode TimerHeap.schedule} only.
   *
   * @throws {TypeError} When called directly.
   */
  constructor() {
    if (!creating) {
      throw new TypeError(
        "Cannot construct Timer directly: use TimerHeap.schedule()",
      );
    }
  }

  /** When the callback is due, on the heap's clock (milliseconds). */
  get deadline(): number {
    return this.#deadline;
  }

  /** `true` until the timer has fired or been cancelled. */
  get active(): boolean {
    return this.#heap !== undefined;
  }

  /**
   * Removes the timer from its heap, so the callback never runs.
   *
   * @returns `true` if the timer was active, `false` if it had already fired
   *   or been cancelled.
   */
  cancel(): boolean {
    const heap = this.#heap;
    if (heap === undefined) return false;
    removeFromHeap(heap, this);
    this.#heap = this.#callback = this.#arg = undefined;
    return true;
  }

  static {
    const less = (a: Timer, b: Timer): boolean =>
      a.#deadline < b.#deadline ||
      (a.#deadline === b.#deadline && a.#seq < b.#seq);

    const siftUp = (nodes: Timer[], timer: Timer, index: number): void => {
      while (index > 0) {
        const parentIndex = (index - 1) >> 1;
        const parent = nodes[parentIndex];
        if (!less(timer, parent)) break;
        nodes[index] = parent;
        parent.#index = index;
        index = parentIndex;
      }
      nodes[index] = timer;
      timer.#index = index;
    };

    // Removal as Floyd's bottom-up deletion: move the hole down to a leaf
    // along the smaller children (one comparison a level), then sift the last
    // node up from there. The last node is usually among the latest
    // deadlines, so it rarely climbs; cancelling in schedule order (request
    // timeouts answered in time) always removes the root.
    const remove = (nodes: Timer[], timer: Timer): void => {
      let hole = timer.#index;
      timer.#index = -1;
      const last = nodes.pop()!;
      if (last === timer) return;
      const length = nodes.length;
      for (;;) {
        let childIndex = 2 * hole + 1;
        if (childIndex >= length) break;
        let child = nodes[childIndex];
        if (childIndex + 1 < length) {
          const right = nodes[childIndex + 1];
          if (less(right, child)) {
            child = right;
            childIndex++;
          }
        }
        nodes[hole] = child;
        child.#index = hole;
        hole = childIndex;
      }
      siftUp(nodes, last, hole);
    };

    createTimer = (heap, deadline, seq, callback, arg) => {
      creating = true;
      const timer = new Timer<typeof arg>();
      creating = false;
      timer.#deadline = deadline;
      timer.#seq = seq;
      timer.#heap = heap;
      timer.#callback = callback;
      timer.#arg = arg;
      return timer;
    };

    pushTimer = (nodes, timer) => {
      nodes.push(timer);
      siftUp(nodes, timer, nodes.length - 1);
    };

    runDue = (nodes, limit, seqLimit, report) => {
      while (nodes.length > 0) {
        const timer = nodes[0];
        // Timers scheduled during this pass wait for the next one, so a
        // callback that reschedules itself cannot starve the event loop.
        if (timer.#deadline > limit || timer.#seq >= seqLimit) return;
        remove(nodes, timer);
        const callback = timer.#callback as (arg: unknown) => void;
        const arg = timer.#arg;
        timer.#heap = timer.#callback = timer.#arg = undefined;
        try {
          callback(arg);
        } catch (error) {
          report(error);
        }
      }
    };

    dropAll = (nodes) => {
      for (const timer of nodes) {
        timer.#index = -1;
        timer.#heap = timer.#callback = timer.#arg = undefined;
      }
      nodes.length = 0;
    };

    removeTimer = remove;
  }
}
