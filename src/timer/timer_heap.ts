/**
 * The {@linkcode TimerHeap}: every deadline of a transport in one binary
 * min-heap, with one runtime timer armed for the earliest (as libevent does).
 *
 * @module
 */

/**
 * Timers due within this many milliseconds of the clock run in the same pass,
 * which also absorbs runtime timers that fire a little early (delays are
 * rounded to whole milliseconds by most runtimes).
 */
const SLACK_MS = 1;

/** The longest delay runtimes accept; longer delays are armed in steps. */
const MAX_TIMER_DELAY = 2_147_483_647;

/**
 * Options of {@linkcode TimerHeap}.
 *
 * @example A fake clock for tests
 * ```ts
 * import { TimerHeap } from "./timer_heap.ts";
 *
 * let time = 0;
 * const armed = new Map<number, () => void>();
 * let nextHandle = 0;
 * const timers = new TimerHeap({
 *   now: () => time,
 *   setTimer: (callback) => {
 *     armed.set(++nextHandle, callback);
 *     return nextHandle;
 *   },
 *   clearTimer: (handle) => armed.delete(handle as number),
 *   onError: (error) => console.error("timer failed:", error),
 * });
 * timers.schedule(100, (what: string) => console.log(what), "fired");
 * time = 100;
 * for (const callback of armed.values()) callback(); // logs "fired"
 * ```
 */
export interface TimerHeapOptions {
  /**
   * The clock, in milliseconds. Tests inject a fake clock.
   * @default {() => performance.now()}
   */
  now?: () => number;
  /**
   * Arms the runtime timer. Given together with `clearTimer`.
   * @default {globalThis.setTimeout}
   */
  setTimer?: (callback: () => void, delayMs: number) => unknown;
  /**
   * Disarms a handle returned by `setTimer`. Given together with `setTimer`.
   * @default {globalThis.clearTimeout}
   */
  clearTimer?: (handle: unknown) => void;
  /**
   * Receives an error thrown by a timer callback; the other due timers still
   * run. By default the error goes to `globalThis.reportError` where it
   * exists (an uncaught error, as if thrown by `setTimeout`), else to
   * `console.error`.
   */
  onError?: (error: unknown) => void;
}

/**
 * A scheduled task that can be cancelled, as returned by
 * {@linkcode TimerHeap.runAfter} and {@linkcode TimerHeap.runEvery}.
 *
 * @example A heartbeat that stops itself
 * ```ts
 * import { type TimerHandle, TimerHeap } from "./timer_heap.ts";
 *
 * const timers = new TimerHeap();
 * let beats = 0;
 * await new Promise<void>((resolve) => {
 *   const heartbeat: TimerHandle = timers.runEvery(5, () => {
 *     if (++beats === 3) {
 *       heartbeat.cancel();
 *       resolve();
 *     }
 *   });
 * });
 * console.log(beats); // 3
 * ```
 */
export interface TimerHandle {
  /** Stops the task. Returns `false` if it had already run or been cancelled. */
  cancel(): boolean;
  /** `true` until the task has run (once) or been cancelled. */
  readonly active: boolean;
}

// Friend functions: Timer's static block defines them so that TimerHeap can
// work on a node's private fields, and TimerHeap's on the heap's.
let createTimer: <T>(
  heap: TimerHeap,
  deadline: number,
  seq: number,
  callback: (arg: T) => void,
  arg: T,
) => Timer<T>;
let pushTimer: (nodes: Timer[], timer: Timer) => void;
let runDue: (
  nodes: Timer[],
  limit: number,
  seqLimit: number,
  report: (error: unknown) => void,
) => void;
let dropAll: (nodes: Timer[]) => void;
let removeTimer: (nodes: Timer[], timer: Timer) => void;
let removeFromHeap: (heap: TimerHeap, timer: Timer) => void;
let scheduleAt: <T>(
  heap: TimerHeap,
  deadline: number,
  now: number,
  callback: (arg: T) => void,
  arg: T,
) => Timer<T>;
let creating = false;

/**
 * One scheduled callback: a node of a {@linkcode TimerHeap}, returned by
 * {@linkcode TimerHeap.schedule}. It knows its place in the heap, so
 * {@linkcode Timer.cancel} removes it in O(log n).
 *
 * @typeParam T The type of the argument passed to the callback.
 *
 * @example Cancelling a request timeout when the reply comes
 * ```ts
 * import { TimerHeap } from "./timer_heap.ts";
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

/**
 * Schedules callbacks on deadlines. All timers live in one binary min-heap
 * (ties broken by schedule order), and one runtime timer is armed for the
 * earliest deadline: scheduling and cancelling cost O(log n) and no runtime
 * timer each, so thousands of request timeouts stay cheap.
 *
 * When the runtime timer fires, every timer due within 1 ms runs, then the
 * runtime timer is armed for the next deadline. Cancelling the earliest timer
 * does not re-arm (the armed timer fires early and finds nothing due), except
 * that an empty heap disarms at once, so the process can exit.
 *
 * @example Request timeouts
 * ```ts
 * import { TimerHeap } from "./timer_heap.ts";
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

  /** Cancels every timer and disarms the runtime timer. The heap stays usable. */
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
    if (!this.#firing && deadline < this.#armedAt) this.#arm(deadline, now);
    return timer;
  }

  #arm(deadline: number, now: number): void {
    if (this.#armed) this.#clearTimer(this.#handle);
    const delay = Math.min(Math.max(0, deadline - now), MAX_TIMER_DELAY);
    this.#armed = true;
    this.#armedAt = now + delay;
    this.#handle = this.#setTimer(this.#onTimer, delay);
  }

  #disarm(): void {
    if (!this.#armed) return;
    this.#armed = false;
    this.#armedAt = Infinity;
    const handle = this.#handle;
    this.#handle = undefined;
    this.#clearTimer(handle);
  }

  #fire(): void {
    this.#armed = false;
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
    removeFromHeap = (heap, timer) => {
      removeTimer(heap.#nodes, timer);
      if (heap.#nodes.length === 0) heap.#disarm();
    };
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

function checkDelay(name: string, value: number, positive: boolean): void {
  if (typeof value !== "number") {
    throw new TypeError(
      `Invalid ${name}: expected a number, got ${typeof value}`,
    );
  }
  if (!(positive ? value > 0 : value >= 0) || value === Infinity) {
    throw new RangeError(
      `Invalid ${name}: expected a finite number ${
        positive ? "> 0" : ">= 0"
      }, got ${value}`,
    );
  }
}

function checkFunction(name: string, value: unknown, required: boolean): void {
  if (typeof value !== "function" && (required || value !== undefined)) {
    throw new TypeError(
      `Invalid ${name}: expected a function, got ${typeof value}`,
    );
  }
}

function defaultOnError(error: unknown): void {
  const global = globalThis as { reportError?: (error: unknown) => void };
  if (typeof global.reportError === "function") global.reportError(error);
  else console.error(error);
}
