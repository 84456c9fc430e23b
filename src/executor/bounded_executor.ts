/**
 * The {@linkcode BoundedExecutor}: an {@linkcode Executor} with bounded
 * concurrency and a bounded ring-buffer queue.
 *
 * @module
 */

import { checkCount, defaultOnError } from "./_executor_checks.ts";
import {
  type BoundedExecutorOptions,
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_QUEUE,
} from "./bounded_executor_options.ts";
import type { Executor, Task } from "./executor.ts";

const INITIAL_CAPACITY = 16;
/** The ring of an executor that never queued: empty, never written. */
const NO_RING: readonly (Task | undefined)[] = [];

/**
 * Runs `run(a, b)` as a task of `executor` if it would start at once (a free
 * slot, nothing queued, not closed) and returns true; otherwise runs nothing
 * and returns false. The same as `execute(() => run(a, b))`, without the
 * closure and its context per task (the transport's hot path: one per
 * request handled).
 *
 * @internal
 */
export let executeNow: <A, B>(
  executor: BoundedExecutor,
  run: (a: A, b: B) => unknown,
  a: A,
  b: B,
) => boolean;

/**
 * What a task started by {@linkcode executeNow} returns when it tells the
 * executor itself that it ended, with {@linkcode taskEnded}: it keeps its
 * slot until then, without a promise (and the derived promise of `then`)
 * for the executor to wait on. A `Settling` given an owner ends this way.
 *
 * @internal
 */
export const ENDS_LATER: unique symbol = Symbol("ends later");

/**
 * Ends a task that returned {@linkcode ENDS_LATER}: frees its slot (starting
 * the next queued task) and, if it `failed`, gives `error` to `onError`, as
 * a task's rejected promise would.
 *
 * @internal
 */
export let taskEnded: (
  executor: BoundedExecutor,
  failed: boolean,
  error: unknown,
) => void;

/** Calls a queued task: `#start`'s `run` for `execute`. */
function callTask(task: Task): unknown {
  return task();
}

interface Waiter {
  promise: Promise<void>;
  resolve: () => void;
}

/**
 * An {@linkcode Executor} that runs up to `concurrency` tasks at once and
 * queues up to `maxQueue` more, first in, first out. The queue is a ring
 * buffer (O(1) push and shift). A task that returns a non-promise finishes at
 * once, so the next queued task may start synchronously.
 *
 * @example Two at a time
 * ```ts
 * import { BoundedExecutor } from "listenrain/advanced";
 *
 * const executor = new BoundedExecutor({ concurrency: 2, maxQueue: 10 });
 * const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
 * for (let i = 0; i < 5; i++) {
 *   executor.execute(async () => {
 *     await sleep(5);
 *     console.log(`task ${i} done`);
 *   });
 * }
 * console.log(executor.active, executor.queued); // 2 3
 * await executor.drain();
 * console.log(executor.active, executor.queued); // 0 0
 * ```
 *
 * @example Read backpressure
 * ```ts
 * import { BoundedExecutor } from "listenrain/advanced";
 *
 * const executor = new BoundedExecutor({ concurrency: 1, maxQueue: 1 });
 * const handle = (n: number) => () => new Promise((resolve) => setTimeout(resolve, 1, n));
 * for (let n = 0; n < 4; n++) {
 *   await executor.whenReady(); // undefined when there is room: no wait
 *   executor.execute(handle(n));
 * }
 * await executor.drain();
 * executor.close();
 * console.log(executor.execute(() => {})); // false
 * ```
 */
export class BoundedExecutor implements Executor {
  #concurrency: number;
  #maxQueue: number;
  #onError: (error: unknown) => void;
  #active = 0;
  #closed = false;
  #pumping = false;
  /** Queued tasks; none (a shared empty ring) until the first one waits. */
  #ring: readonly (Task | undefined)[] | (Task | undefined)[] = NO_RING;
  #head = 0;
  #size = 0;
  #ready: Waiter | undefined = undefined;
  #drained: Waiter | undefined = undefined;
  #resolved = (): void => this.#finished();
  #rejected = (error: unknown): void => {
    this.#report(error);
    this.#finished();
  };

  /**
   * Creates an executor with the given bounds.
   *
   * @param options Concurrency, queue bound and the error sink.
   * @throws {RangeError} If `concurrency` is not a positive integer or
   *   `Infinity`, or `maxQueue` not a non-negative integer or `Infinity`.
   * @throws {TypeError} If an option has the wrong type.
   */
  constructor(options: BoundedExecutorOptions = {}) {
    const {
      concurrency = DEFAULT_CONCURRENCY,
      maxQueue = DEFAULT_MAX_QUEUE,
      onError,
    } = options;
    checkCount("concurrency", concurrency, 1);
    checkCount("maxQueue", maxQueue, 0);
    if (onError !== undefined && typeof onError !== "function") {
      throw new TypeError(
        `Invalid onError: expected a function, got ${typeof onError}`,
      );
    }
    this.#concurrency = concurrency;
    this.#maxQueue = maxQueue;
    this.#onError = onError ?? defaultOnError;
  }

  /** The number of tasks running (started and not yet settled). */
  get active(): number {
    return this.#active;
  }

  /** The number of tasks waiting in the queue. */
  get queued(): number {
    return this.#size;
  }

  /**
   * Runs the task now if fewer than `concurrency` tasks are active, else
   * queues it. Never throws because of the task: its errors (a synchronous
   * throw or a rejected promise) go to `onError`.
   *
   * @param task The task to run.
   * @returns `false` (and the task does not run) if the queue is full or the
   *   executor is closed; else `true`.
   * @throws {TypeError} If `task` is not a function.
   */
  execute(task: Task): boolean {
    if (typeof task !== "function") {
      throw new TypeError(
        `Invalid task: expected a function, got ${typeof task}`,
      );
    }
    if (this.#closed) return false;
    if (this.#active < this.#concurrency && this.#size === 0) {
      this.#start(callTask, task, undefined);
      return true;
    }
    if (this.#size >= this.#maxQueue) return false;
    this.#push(task);
    return true;
  }

  /**
   * Tells whether a task would be accepted now, for read backpressure. All
   * callers waiting at the same time share one promise.
   *
   * @returns `undefined` if `execute()` would accept a task now (or the
   *   executor is closed, so it never will); else a promise that resolves
   *   once it would.
   */
  whenReady(): Promise<void> | undefined {
    if (this.#closed || this.#hasRoom()) return undefined;
    return (this.#ready ??= waiter()).promise;
  }

  /**
   * Waits until the executor is idle. Tasks started meanwhile are waited for
   * too.
   *
   * @returns A promise that resolves when no task is active or queued.
   */
  drain(): Promise<void> {
    if (this.#active === 0 && this.#size === 0) return Promise.resolve();
    return (this.#drained ??= waiter()).promise;
  }

  /**
   * Stops accepting tasks: `execute()` returns `false` from now on. Queued
   * tasks still run, unless `discard` is set: then they are dropped. Pending
   * {@linkcode BoundedExecutor.whenReady} promises resolve.
   *
   * @param options `discard: true` drops the queued tasks.
   * @returns The number of tasks dropped.
   */
  close(options?: { discard?: boolean }): number {
    this.#closed = true;
    let dropped = 0;
    if (options?.discard === true) {
      dropped = this.#size;
      this.#ring = NO_RING;
      this.#head = this.#size = 0;
    }
    this.#settleWaiters();
    return dropped;
  }

  #hasRoom(): boolean {
    return this.#active < this.#concurrency || this.#size < this.#maxQueue;
  }

  static {
    executeNow = (executor, run, a, b) => {
      if (
        executor.#closed || executor.#active >= executor.#concurrency ||
        executor.#size !== 0
      ) return false;
      executor.#start(run, a, b);
      return true;
    };
    taskEnded = (executor, failed, error) => {
      if (failed) executor.#report(error);
      executor.#finished();
    };
  }

  /** Starts `run(a, b)` (a task: `callTask, task`) in a free slot. */
  #start<A, B>(run: (a: A, b: B) => unknown, a: A, b: B): void {
    this.#active++;
    let result: unknown;
    try {
      result = run(a, b);
      if (result === ENDS_LATER) return;
      if (typeof (result as PromiseLike<unknown> | null)?.then === "function") {
        // Promise.resolve() returns a native promise as it is, and makes a
        // foreign thenable settle once.
        Promise.resolve(result).then(this.#resolved, this.#rejected);
        return;
      }
    } catch (error) {
      this.#report(error);
    }
    this.#finished();
  }

  #finished(): void {
    this.#active--;
    if (this.#size > 0) this.#pump();
    this.#settleWaiters();
  }

  /** Starts queued tasks while there are free slots; never re-entered. */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#active < this.#concurrency && this.#size > 0) {
        this.#start(callTask, this.#shift(), undefined);
      }
    } finally {
      this.#pumping = false;
    }
  }

  #settleWaiters(): void {
    const ready = this.#ready;
    if (ready !== undefined && (this.#closed || this.#hasRoom())) {
      this.#ready = undefined;
      ready.resolve();
    }
    const drained = this.#drained;
    if (drained !== undefined && this.#active === 0 && this.#size === 0) {
      this.#drained = undefined;
      drained.resolve();
    }
  }

  #push(task: Task): void {
    let ring = this.#ring as (Task | undefined)[];
    if (this.#size === ring.length) {
      // Grow: unroll the ring into an array twice as long.
      const grown = emptyRing(Math.max(INITIAL_CAPACITY, ring.length * 2));
      for (let i = 0; i < this.#size; i++) {
        grown[i] = ring[(this.#head + i) & (ring.length - 1)];
      }
      this.#ring = ring = grown;
      this.#head = 0;
    }
    ring[(this.#head + this.#size) & (ring.length - 1)] = task;
    this.#size++;
  }

  #shift(): Task {
    const ring = this.#ring as (Task | undefined)[];
    const task = ring[this.#head]!;
    ring[this.#head] = undefined;
    this.#head = (this.#head + 1) & (ring.length - 1);
    this.#size--;
    return task;
  }

  #report(error: unknown): void {
    try {
      this.#onError(error);
    } catch (failure) {
      // A throwing onError must not break the executor; surface it unhandled.
      queueMicrotask(() => {
        throw failure;
      });
    }
  }
}

function emptyRing(capacity: number): (Task | undefined)[] {
  const ring: (Task | undefined)[] = [];
  for (let i = 0; i < capacity; i++) ring.push(undefined);
  return ring;
}

function waiter(): Waiter {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => resolve = r);
  return { promise, resolve };
}
