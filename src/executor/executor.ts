/**
 * The {@linkcode Executor}: runs handlers and callbacks with bounded
 * concurrency and a bounded queue.
 *
 * @module
 */

/**
 * A unit of work. It may return a promise; it counts as active until that
 * settles.
 *
 * @example Sync and async tasks
 * ```ts
 * import type { Task } from "./executor.ts";
 *
 * const now: Task = () => console.log("runs and finishes at once");
 * const later: Task = async () => {
 *   await new Promise((resolve) => setTimeout(resolve, 1));
 * };
 * now();
 * await later();
 * ```
 */
export type Task = () => unknown;

/**
 * Runs tasks with bounded concurrency and a bounded queue. A transport hands
 * every handler and callback to one, so a flood of requests cannot start
 * unbounded work; {@linkcode Executor.whenReady} lets its read loop stop
 * reading while the queue is full.
 *
 * @example A read loop with backpressure, for any executor
 * ```ts
 * import { BoundedExecutor, type Executor } from "./executor.ts";
 *
 * async function dispatch(executor: Executor, messages: Iterable<string>): Promise<void> {
 *   for (const message of messages) {
 *     await executor.whenReady(); // stop reading while the queue is full
 *     if (!executor.execute(() => console.log("handled", message))) break; // closed
 *   }
 *   await executor.drain();
 * }
 * await dispatch(new BoundedExecutor({ concurrency: 4, maxQueue: 16 }), ["a", "b"]);
 * ```
 */
export interface Executor {
  /**
   * Runs the task now if fewer than `concurrency` tasks are active, else
   * queues it. Never throws because of the task: its errors (a synchronous
   * throw or a rejected promise) go to `onError`.
   *
   * @param task The task to run.
   * @returns `false` (and the task does not run) if the queue is full or the
   *   executor is closed; else `true`.
   */
  execute(task: Task): boolean;
  /** The number of tasks running (started and not yet settled). */
  readonly active: number;
  /** The number of tasks waiting in the queue. */
  readonly queued: number;
  /**
   * Tells whether a task would be accepted now, for read backpressure.
   *
   * @returns `undefined` if `execute()` would accept a task now (or the
   *   executor is closed, so waiting is pointless); else a promise that
   *   resolves once it would.
   */
  whenReady(): Promise<void> | undefined;
  /**
   * Waits until the executor is idle.
   *
   * @returns A promise that resolves when no task is active or queued.
   */
  drain(): Promise<void>;
  /**
   * Stops accepting tasks. Queued tasks still run, unless `discard` is set:
   * then they are dropped.
   *
   * @param options `discard: true` drops the queued tasks.
   * @returns The number of tasks dropped.
   */
  close(options?: { discard?: boolean }): number;
}

/**
 * Options of {@linkcode BoundedExecutor}.
 *
 * @example One task at a time, no queue, errors logged
 * ```ts
 * import { BoundedExecutor, type BoundedExecutorOptions } from "./executor.ts";
 *
 * const options: BoundedExecutorOptions = {
 *   concurrency: 1,
 *   maxQueue: 0,
 *   onError: (error) => console.error("handler failed:", error),
 * };
 * const executor = new BoundedExecutor(options);
 * executor.execute(() => {
 *   throw new Error("boom"); // goes to onError
 * });
 * ```
 */
export interface BoundedExecutorOptions {
  /**
   * How many tasks may be active at once: a positive integer or `Infinity`.
   * @default {1024}
   */
  concurrency?: number;
  /**
   * How many tasks may wait: a non-negative integer or `Infinity`; `0` means
   * no queue.
   * @default {65536}
   */
  maxQueue?: number;
  /**
   * Receives a task's error. By default the error goes to
   * `globalThis.reportError` where it exists, else to `console.error`.
   */
  onError?: (error: unknown) => void;
}

/**
 * The default number of tasks a {@linkcode BoundedExecutor} runs at once. @default {1024}
 *
 * @example A server whose handlers run two at a time
 * ```ts
 * import { createMemoryPipe } from "../channel/memory_pipe.ts";
 * import { BoundedExecutor, DEFAULT_CONCURRENCY } from "./executor.ts";
 * import { Peer } from "../transport/peer.ts";
 * import { Router } from "../transport/router.ts";
 *
 * console.log(DEFAULT_CONCURRENCY); // 1024 handlers at once per transport, unless told
 * let running = 0, most = 0;
 * const router = new Router().handle("work", async (body: Uint8Array) => {
 *   most = Math.max(most, ++running);
 *   await new Promise((resolve) => setTimeout(resolve, 1));
 *   running--;
 *   return body;
 * });
 * const [a, b] = createMemoryPipe();
 * const server = new Peer(a, { router, executor: new BoundedExecutor({ concurrency: 2 }) });
 * const client = new Peer(b);
 * await Promise.all([1, 2, 3, 4].map(() => client.request("work", new Uint8Array())));
 * console.log(most); // 2
 * await client.close();
 * await server.close();
 * ```
 */
export const DEFAULT_CONCURRENCY = 1024;

/**
 * The default number of tasks a {@linkcode BoundedExecutor} queues. @default {65536}
 *
 * @example The default, and a queue of one
 * ```ts
 * import { BoundedExecutor, DEFAULT_MAX_QUEUE } from "./executor.ts";
 *
 * console.log(DEFAULT_MAX_QUEUE); // 65536
 * const executor = new BoundedExecutor({ concurrency: 1, maxQueue: 1 });
 * const { promise: busy, resolve: release } = Promise.withResolvers<void>();
 * console.log(executor.execute(() => busy)); // true: runs
 * console.log(executor.execute(() => {}), executor.execute(() => {})); // true false: queued, refused
 * release();
 * await executor.drain();
 * ```
 */
export const DEFAULT_MAX_QUEUE = 65536;

const INITIAL_CAPACITY = 16;
/** The ring of an executor that never queued: empty, never written. */
const NO_RING: readonly (Task | undefined)[] = [];

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
 * import { BoundedExecutor } from "./executor.ts";
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
 * import { BoundedExecutor } from "./executor.ts";
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
      this.#start(task);
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

  #start(task: Task): void {
    this.#active++;
    let result: unknown;
    try {
      result = task();
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
        this.#start(this.#shift());
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

function checkCount(name: string, value: number, min: number): void {
  if (typeof value !== "number") {
    throw new TypeError(
      `Invalid ${name}: expected a number, got ${typeof value}`,
    );
  }
  if (value !== Infinity && !(Number.isInteger(value) && value >= min)) {
    throw new RangeError(
      `Invalid ${name}: expected ${
        min === 0 ? "a non-negative" : "a positive"
      } integer or Infinity, got ${value}`,
    );
  }
}

function defaultOnError(error: unknown): void {
  const global = globalThis as { reportError?: (error: unknown) => void };
  if (typeof global.reportError === "function") global.reportError(error);
  else console.error(error);
}
