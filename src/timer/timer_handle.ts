/**
 * The {@linkcode TimerHandle}: a scheduled task that can be cancelled.
 *
 * @module
 */

/**
 * A scheduled task that can be cancelled, as returned by
 * {@linkcode TimerHeap.runAfter} and {@linkcode TimerHeap.runEvery}.
 *
 * @example A heartbeat that stops itself
 * ```ts
 * import { type TimerHandle, TimerHeap } from "listenrain/advanced";
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
