/**
 * Async mode: a {@linkcode StateMachine} is called back when its request
 * settles (the seed's StatMachine). The transport keeps one per pending
 * request, keyed by message id (the seed's StatMachinePool).
 *
 * @module
 */

import type { TimeoutError } from "../errors.ts";

/**
 * Callbacks for one request. Exactly one of them is called, exactly once:
 * `onMessage` with the reply, `onTimeout` when the deadline passes, or
 * `onError` for everything else (an error reply, an abort, the connection
 * closing, a send that failed). Without `onTimeout`, a timeout goes to
 * `onError`. A callback that throws is reported to the transport's `onError`
 * option and changes nothing else.
 *
 * @example Counting replies
 * ```ts
 * import type { StateMachine } from "listenrain";
 *
 * let replies = 0;
 * const machine: StateMachine<unknown> = {
 *   onMessage() {
 *     replies++;
 *   },
 *   onError(error) {
 *     console.error("request failed:", error.message);
 *   },
 * };
 * machine.onMessage({});
 * console.log(replies); // 1
 * ```
 */
export interface StateMachine<M> {
  /** Called with the reply. */
  onMessage(reply: M): void;
  /** Called when the request's deadline passed. */
  onTimeout?(error: TimeoutError): void;
  /** Called when the request failed for any other reason. */
  onError?(error: Error): void;
}
