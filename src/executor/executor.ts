/**
 * The {@linkcode Executor}: runs handlers and callbacks with bounded
 * concurrency and a bounded queue. {@linkcode BoundedExecutor} is the one
 * the transport makes by default.
 *
 * @module
 */

/**
 * A unit of work. It may return a promise; it counts as active until that
 * settles.
 *
 * @example Sync and async tasks
 * ```ts
 * import type { Task } from "listenrain/advanced";
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
 * import { BoundedExecutor, type Executor } from "listenrain/advanced";
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

export { BoundedExecutor } from "./bounded_executor.ts";
export {
  type BoundedExecutorOptions,
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_QUEUE,
} from "./bounded_executor_options.ts";
