/**
 * The options of a {@linkcode BoundedExecutor}, and its defaults.
 *
 * @module
 */

/**
 * Options of {@linkcode BoundedExecutor}.
 *
 * @example One task at a time, no queue, errors logged
 * ```ts
 * import {
 *   BoundedExecutor,
 *   type BoundedExecutorOptions,
 * } from "listenrain/advanced";
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
 * import { Connection, Router } from "listenrain";
 * import { BoundedExecutor } from "listenrain/advanced";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * // The default: 1024 handlers at once per connection, unless told.
 * let running = 0, most = 0;
 * const router = new Router().handle("work", async (body: Uint8Array) => {
 *   most = Math.max(most, ++running);
 *   await new Promise((resolve) => setTimeout(resolve, 1));
 *   running--;
 *   return body;
 * });
 * const [a, b] = createMemoryPipe();
 * const server = new Connection(a, { router, executor: new BoundedExecutor({ concurrency: 2 }) });
 * const client = new Connection<typeof router>(b);
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
 * import { BoundedExecutor } from "listenrain/advanced";
 *
 * // The default: 65536.
 * const executor = new BoundedExecutor({ concurrency: 1, maxQueue: 1 });
 * const { promise: busy, resolve: release } = Promise.withResolvers<void>();
 * console.log(executor.execute(() => busy)); // true: runs
 * console.log(executor.execute(() => {}), executor.execute(() => {})); // true false: queued, refused
 * release();
 * await executor.drain();
 * ```
 */
export const DEFAULT_MAX_QUEUE = 65536;
