/**
 * The {@linkcode TimerHeap}: every deadline of a transport in one binary
 * min-heap, with one runtime timer armed for the earliest (as libevent does).
 *
 * @module
 */

import { checkDelay, checkFunction, defaultOnError } from "./_timer_checks.ts";
import {
  createTimer,
  dropAll,
  pushTimer,
  removeTimer,
  runDue,
  setRemoveFromHeap,
  type Timer,
} from "./timer.ts";
import type { TimerHandle } from "./timer_handle.ts";
import type { TimerHeapOptions } from "./timer_heap_options.ts";

export { Timer } from "./timer.ts";
export type { TimerHandle } from "./timer_handle.ts";
export type { TimerHeapOptions } from "./timer_heap_options.ts";

/**
 * Timers due within this many milliseconds of the clock run in the same pass,
 * which also absorbs runtime timers that fire a little early (delays are
 * rounded to whole milliseconds by most runtimes).
 */
const SLACK_MS = 1;

/** The longest delay runtimes accept; longer delays are armed in steps. */
const MAX_TIMER_DELAY = 2_147_483_647;

/**
 * An emptied heap keeps its runtime timer (unreferenced) only if it fires
 * within this many milliseconds: the timer holds the heap until it fires.
 */
const PARK_LIMIT_MS = 60_000;

/** A runtime timer handle that can stop and resume keeping the process alive. */
interface Unrefable {
  ref(): unknown;
  unref(): unknown;
}

function canUnref(handle: unknown): handle is Unrefable {
  return typeof handle === "object" && handle !== null &&
    typeof (handle as Partial<Unrefable>).unref === "function" &&
    typeof (handle as Partial<Unrefable>).ref === "function";
}

// Friend function: TimerHeap's static block defines it so that RepeatingTask
// can schedule on a planned deadline.
let scheduleAt: <T>(
  heap: TimerHeap,
  deadline: number,
  now: number,
  callback: (arg: T) => void,
  arg: T,
) => Timer<T>;

/**
 * Schedules callbacks on deadlines. All timers live in one binary min-heap
 * (ties broken by schedule order), and one runtime timer is armed for the
 * earliest deadline: scheduling and cancelling cost O(log n) and no runtime
 * timer each, so thousands of request timeouts stay cheap.
 *
 * When the runtime timer fires, every timer due within 1 ms runs, then the
 * runtime timer is armed for the next deadline. Cancelling the earliest timer
 * does not re-arm (the armed timer fires early and finds nothing due). When
 * the last timer is cancelled, a runtime timer that can be unreferenced (its
 * handle has `unref()` and `ref()`, as Node's and Bun's have) and fires within
 * a minute stays armed but stops keeping the process alive; the next
 * {@linkcode TimerHeap.schedule} references it again and keeps it if it
 * fires no later than the new deadline, so a timer scheduled and cancelled
 * per request arms no runtime timer each time. Other handles (Deno's
 * numbers) are disarmed at once. Either way an idle heap never keeps the
 * process alive.
 *
 * @example Request timeouts
 * ```ts
 * import { TimerHeap } from "listenrain/advanced";
 *
 * const timers = new TimerHeap();
 * const timedOut: number[] = [];
 * const onTimeout = (id: number) => timedOut.push(id);
 * timers.schedule(10, onTimeout, 1);
 * const answered = timers.schedule(20, onTimeout, 2);
 * console.log(timers.size, timers.peekDeadline()! > 0); // 2 true
 * answered.cancel(); // request 2 got its reply in time
 * await new Promise((resolve) => timers.runAfter(30, () => resolve(undefined)));
 * console.log(timedOut); // [ 1 ]
 * console.log(timers.size); // 0
 * ```
 */
export class TimerHeap {
  #nodes: Timer[] = [];
  #seq = 0;
  #now: () => number;
  #setTimer: (callback: () => void, delayMs: number) => unknown;
  #clearTimer: (handle: unknown) => void;
  #onError: (error: unknown) => void;
  #handle: unknown = undefined;
  #armed = false;
  /** When the armed runtime timer fires; `Infinity` when disarmed. */
  #armedAt = Infinity;
  /** Whether the armed runtime timer may stay armed, unreferenced, when the heap empties. */
  #parkable = false;
  /** The heap is empty and the armed runtime timer is unreferenced. */
  #parked = false;
  #firing = false;
  #onTimer = (): void => this.#fire();
  #report = (error: unknown): void => {
    try {
      this.#onError(error);
    } catch (failure) {
      queueMicrotask(() => {
        throw failure;
      });
    }
  };

  /**
   * Creates an empty heap; no runtime timer is armed until a timer is
   * scheduled.
   *
   * @param options The clock, the runtime timer functions and the error sink.
   * @throws {TypeError} If an option is not a function, or only one of
   *   `setTimer` and `clearTimer` is given.
   */
  constructor(options: TimerHeapOptions = {}) {
    const { now, setTimer, clearTimer, onError } = options;
    checkFunction("option now", now, false);
    checkFunction("option setTimer", setTimer, false);
    checkFunction("option clearTimer", clearTimer, false);
    checkFunction("option onError", onError, false);
    if ((setTimer === undefined) !== (clearTimer === undefined)) {
      throw new TypeError(
        "Invalid TimerHeap options: setTimer and clearTimer must be given together",
      );
    }
    this.#now = now ?? (() => performance.now());
    this.#setTimer = setTimer ??
      ((callback, delayMs) => setTimeout(callback, delayMs));
    this.#clearTimer = clearTimer ??
      ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
    this.#onError = onError ?? defaultOnError;
  }

  /**
   * The heap's clock: a deadline `now() + ms` is what
   * {@linkcode TimerHeap.schedule}`(ms, …)` fires at.
   *
   * @returns The current time in milliseconds.
   */
  now(): number {
    return this.#now();
  }

  /** The number of active timers. */
  get size(): number {
    return this.#nodes.length;
  }

  /**
   * Calls `callback(arg)` once, after `delayMs`. Passing the state as `arg`
   * saves a closure per timer.
   *
   * @param delayMs The delay in milliseconds: finite and `>= 0`.
   * @param callback Called with `arg` when the timer fires.
   * @param arg The value passed to `callback`.
   * @returns The timer, which can be cancelled.
   * @throws {RangeError} If `delayMs` is negative, `NaN` or infinite.
   * @throws {TypeError} If `delayMs` is not a number or `callback` not a function.
   */
  schedule<T>(delayMs: number, callback: (arg: T) => void, arg: T): Timer<T> {
    checkDelay("delayMs", delayMs, false);
    checkFunction("callback", callback, true);
    const now = this.#now();
    return this.#insert(now + delayMs, now, callback, arg);
  }

  /**
   * Runs `task` once, after `delayMs`.
   *
   * @param delayMs The delay in milliseconds: finite and `>= 0`.
   * @param task The function to run.
   * @returns A handle that cancels the task.
   * @throws {RangeError} If `delayMs` is negative, `NaN` or infinite.
   * @throws {TypeError} If `delayMs` is not a number or `task` not a function.
   */
  runAfter(delayMs: number, task: () => void): TimerHandle {
    checkFunction("task", task, true);
    return this.schedule(delayMs, callTask, task);
  }

  /**
   * Runs `task` every `intervalMs` until cancelled. Each run is planned from
   * the previous planned time, not from when it actually ran, so runs do not
   * drift; runs missed while the event loop was blocked are skipped. A task
   * that throws keeps running (the error goes to `onError`).
   *
   * @param intervalMs The period in milliseconds: finite and `> 0`.
   * @param task The function to run.
   * @returns A handle that stops the runs.
   * @throws {RangeError} If `intervalMs` is not positive or not finite.
   * @throws {TypeError} If `intervalMs` is not a number or `task` not a function.
   */
  runEvery(intervalMs: number, task: () => void): TimerHandle {
    checkDelay("intervalMs", intervalMs, true);
    checkFunction("task", task, true);
    return new RepeatingTask(this, this.#now, intervalMs, task);
  }

  /**
   * Looks at the earliest deadline without removing anything.
   *
   * @returns The earliest deadline of an active timer, or `undefined` if none.
   */
  peekDeadline(): number | undefined {
    return this.#nodes.length > 0 ? this.#nodes[0].deadline : undefined;
  }

  /**
   * Cancels every timer and disarms the runtime timer (a parked one too).
   * The heap stays usable.
   */
  clear(): void {
    dropAll(this.#nodes);
    this.#disarm();
  }

  #insert<T>(
    deadline: number,
    now: number,
    callback: (arg: T) => void,
    arg: T,
  ): Timer<T> {
    const timer = createTimer(this, deadline, this.#seq++, callback, arg);
    pushTimer(this.#nodes, timer as Timer);
    if (this.#firing) return timer;
    if (deadline < this.#armedAt) this.#arm(deadline, now);
    else if (this.#parked) {
      // The parked runtime timer fires first: it keeps the process alive again.
      this.#parked = false;
      (this.#handle as Unrefable).ref();
    }
    return timer;
  }

  #arm(deadline: number, now: number): void {
    if (this.#armed) this.#clearTimer(this.#handle);
    const delay = Math.min(Math.max(0, deadline - now), MAX_TIMER_DELAY);
    this.#armed = true;
    this.#parked = false;
    this.#armedAt = now + delay;
    const handle = this.#setTimer(this.#onTimer, delay);
    this.#handle = handle;
    this.#parkable = delay <= PARK_LIMIT_MS && canUnref(handle);
  }

  /** The heap emptied: park the runtime timer if it can be, else disarm. */
  #emptied(): void {
    if (!this.#armed) return;
    if (this.#parkable) {
      this.#parked = true;
      (this.#handle as Unrefable).unref();
    } else this.#disarm();
  }

  #disarm(): void {
    if (!this.#armed) return;
    this.#armed = false;
    this.#parked = false;
    this.#armedAt = Infinity;
    const handle = this.#handle;
    this.#handle = undefined;
    this.#clearTimer(handle);
  }

  #fire(): void {
    this.#armed = false;
    this.#parked = false;
    this.#armedAt = Infinity;
    this.#handle = undefined;
    const nodes = this.#nodes;
    this.#firing = true;
    try {
      runDue(nodes, this.#now() + SLACK_MS, this.#seq, this.#report);
    } finally {
      this.#firing = false;
    }
    if (nodes.length > 0) this.#arm(nodes[0].deadline, this.#now());
  }

  static {
    setRemoveFromHeap((heap, timer) => {
      removeTimer(heap.#nodes, timer);
      if (heap.#nodes.length === 0) heap.#emptied();
    });
    scheduleAt = (heap, deadline, now, callback, arg) =>
      heap.#insert(deadline, now, callback, arg);
  }
}

/** The handle of {@linkcode TimerHeap.runEvery}. */
class RepeatingTask implements TimerHandle {
  #heap: TimerHeap;
  #now: () => number;
  #interval: number;
  #task: () => void;
  #timer: Timer<RepeatingTask> | undefined;

  constructor(
    heap: TimerHeap,
    now: () => number,
    interval: number,
    task: () => void,
  ) {
    this.#heap = heap;
    this.#now = now;
    this.#interval = interval;
    this.#task = task;
    const start = now();
    this.#timer = scheduleAt(
      heap,
      start + interval,
      start,
      RepeatingTask.#run,
      this,
    );
  }

  get active(): boolean {
    return this.#timer !== undefined && this.#timer.active;
  }

  cancel(): boolean {
    const timer = this.#timer;
    this.#timer = undefined;
    return timer !== undefined && timer.cancel();
  }

  static #run(self: RepeatingTask): void {
    const planned = self.#timer!.deadline;
    const interval = self.#interval;
    const now = self.#now();
    let next = planned + interval;
    if (next <= now) {
      next = planned + (Math.floor((now - planned) / interval) + 1) * interval;
    }
    // Scheduled before the task runs, so the task may cancel it and a task
    // that throws still runs again.
    self.#timer = scheduleAt(self.#heap, next, now, RepeatingTask.#run, self);
    self.#task();
  }
}

function callTask(task: () => void): void {
  task();
}
