/**
 * Requests waiting for a resolver's first endpoints. Private to the client.
 *
 * @module
 */

import { AbortedError, TimeoutError } from "../errors.ts";

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
  waitForReady: boolean;
}

/** Waiters for the first set of endpoints. */
export class EndpointWaiters {
  #waiters = new Set<Waiter>();

  /**
   * Waits until `wake()`, `remaining` ms, `signal`, or (unless
   * `waitForReady`) `fail()`.
   */
  wait(
    remaining: number,
    signal: AbortSignal | undefined,
    waitForReady: boolean,
    error: () => Error,
  ): Promise<void> {
    if (signal?.aborted) {
      return Promise.reject(
        new AbortedError("Request aborted", { cause: signal.reason }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#waiters.delete(waiter);
      };
      const waiter: Waiter = {
        waitForReady,
        resolve: () => {
          done();
          resolve();
        },
        reject: (reason) => {
          done();
          reject(reason);
        },
      };
      const onAbort = () =>
        waiter.reject(
          new AbortedError("Request aborted", { cause: signal!.reason }),
        );
      const timer = remaining === Infinity ? undefined : setTimeout(
        () =>
          waiter.reject(
            new TimeoutError(
              `Request timed out after ${
                Math.round(remaining)
              } ms waiting for the resolver's endpoints`,
              { cause: error() },
            ),
          ),
        remaining,
      );
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** The endpoints are known. */
  wake(): void {
    for (const waiter of [...this.#waiters]) waiter.resolve();
  }

  /** Resolving failed: waiters that do not wait for ready fail with `error`. */
  fail(error: unknown, all = false): void {
    for (const waiter of [...this.#waiters]) {
      if (all || !waiter.waitForReady) waiter.reject(error);
    }
  }
}
