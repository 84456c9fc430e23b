/**
 * Abort support for dialing, shared by the socket adapters. Runtime-neutral.
 * Private to `adapters/`.
 *
 * @module
 */

import { AbortedError } from "../src/errors.ts";

/**
 * Throws an {@linkcode AbortedError} if `signal` is already aborted.
 *
 * @param signal The caller's signal, if any.
 * @param what What was being attempted, for the message (`"dial tcp://…"`).
 * @throws {AbortedError} With the signal's reason as `cause`.
 *
 * @example
 * ```ts
 * import { throwIfAborted } from "./_abort.ts";
 * throwIfAborted(AbortSignal.timeout(1000), "dial tcp://127.0.0.1:1"); // no throw yet
 * ```
 */
export function throwIfAborted(
  signal: AbortSignal | undefined,
  what: string,
): void {
  if (signal?.aborted) {
    throw new AbortedError(`Cannot ${what}: aborted`, { cause: signal.reason });
  }
}

/**
 * Races an attempt against a signal. If the signal wins, the promise rejects
 * with an {@linkcode AbortedError}, `onAbort` runs (to stop the attempt) and a
 * result that still arrives later is handed to `discard`.
 *
 * @param attempt The pending attempt.
 * @param signal The caller's signal, if any.
 * @param what What is being attempted, for the message.
 * @param discard Releases a result that arrives after the abort.
 * @param onAbort Stops the attempt, if the runtime can.
 * @returns The attempt's result.
 * @throws {AbortedError} If the signal aborts first.
 *
 * @example
 * ```ts
 * import { raceAbort } from "./_abort.ts";
 * const value = await raceAbort(Promise.resolve(1), undefined, "count", () => {});
 * console.log(value); // 1
 * ```
 */
export function raceAbort<T>(
  attempt: Promise<T>,
  signal: AbortSignal | undefined,
  what: string,
  discard: (late: T) => void,
  onAbort?: () => void,
): Promise<T> {
  if (signal === undefined) return attempt;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const abort = () => {
      if (settled) return;
      settled = true;
      onAbort?.();
      reject(
        new AbortedError(`Cannot ${what}: aborted`, { cause: signal.reason }),
      );
    };
    if (signal.aborted) abort();
    else signal.addEventListener("abort", abort, { once: true });
    attempt.then(
      (value) => {
        signal.removeEventListener("abort", abort);
        if (settled) discard(value);
        else {
          settled = true;
          resolve(value);
        }
      },
      (error) => {
        signal.removeEventListener("abort", abort);
        if (!settled) {
          settled = true;
          reject(error);
        }
      },
    );
  });
}
