/**
 * Runs an outgoing request through the request interceptors, keeping the
 * call's deadline and signal over the whole chain and settling once.
 *
 * @module
 */

import { AbortedError, TimeoutError } from "../errors.ts";
import type {
  OutgoingRequest,
  ReplyWithMetadata,
  RequestInterceptor,
} from "./interceptor.ts";

/**
 * Sends `request` through `interceptors` (the first outermost) and finally
 * `send`. The deadline (`request.timeout`, in ms from now) and the signal
 * hold for the whole chain: `send` gets the time that is left, and a chain
 * that has not settled when the deadline passes (an interceptor waiting)
 * rejects with `TimeoutError`.
 *
 * @param interceptors The request interceptors.
 * @param request The request.
 * @param send Sends a request for real.
 * @returns The reply with its metadata.
 */
export function runRequestChain(
  interceptors: readonly RequestInterceptor[],
  request: OutgoingRequest,
  send: (request: OutgoingRequest) => Promise<ReplyWithMetadata>,
): Promise<ReplyWithMetadata> {
  const started = performance.now();
  const budget = request.timeout;
  const signal = request.signal;
  return new Promise<ReplyWithMetadata>((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () =>
      settle(() =>
        reject(
          new AbortedError(
            `Request to ${JSON.stringify(request.route)} aborted`,
            { cause: signal!.reason },
          ),
        )
      );
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      action();
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    if (budget !== Infinity) {
      timer = setTimeout(
        () =>
          settle(() =>
            reject(
              new TimeoutError(
                `Request to ${JSON.stringify(request.route)} timed out after ${
                  Math.round(budget)
                } ms`,
              ),
            )
          ),
        budget,
      );
    }
    const dispatch = (
      at: number,
      current: OutgoingRequest,
    ): Promise<ReplyWithMetadata> => {
      try {
        if (at < interceptors.length) {
          return Promise.resolve(
            interceptors[at](current, (next) => dispatch(at + 1, next)),
          );
        }
        // What is left of the call's deadline (an interceptor may have
        // lowered `timeout`; it counts from the start of the call too).
        const left = current.timeout - (performance.now() - started);
        if (current.timeout !== Infinity && left <= 0) {
          return Promise.reject(
            new TimeoutError(
              `Request to ${
                JSON.stringify(current.route)
              } timed out before it was sent`,
            ),
          );
        }
        return send({
          ...current,
          timeout: current.timeout === Infinity ? Infinity : left,
        });
      } catch (error) {
        return Promise.reject(error);
      }
    };
    dispatch(0, request).then(
      (reply) => settle(() => resolve(reply)),
      (error) => settle(() => reject(error)),
    );
  });
}
