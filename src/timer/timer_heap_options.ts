/**
 * The options of a {@linkcode TimerHeap}.
 *
 * @module
 */

/**
 * Options of {@linkcode TimerHeap}.
 *
 * @example A fake clock for tests
 * ```ts
 * import { TimerHeap } from "listenrain/advanced";
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
   * Arms the runtime timer. Given together with `clearTimer`. If the handle
   * it returns has `unref()` and `ref()` (Node's and Bun's timers), an
   * emptied heap keeps it armed but unreferenced instead of clearing it.
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
