/**
 * What a transport reports about a request that took longer than its
 * `slowRequestThreshold`.
 *
 * @module
 */

import type { MessageId } from "../codec/message_codec.ts";

/**
 * A request that took longer than the transport's `slowRequestThreshold`,
 * reported once to `onSlowRequest` when it ends.
 *
 * - `"outgoing"`: a request this side sent, timed from sending to its reply,
 *   error reply or timeout.
 * - `"incoming"`: a request this side handled, timed from its arrival until
 *   the handler's reply (or error reply) was queued.
 *
 * @example Logging slow requests
 * ```ts
 * import type { SlowRequest } from "listenrain/advanced";
 *
 * const onSlowRequest = (slow: SlowRequest<unknown>) =>
 *   console.warn(`${slow.direction} request ${slow.id}: ${slow.elapsed.toFixed(0)} ms (${slow.outcome})`);
 * onSlowRequest({ direction: "outgoing", id: 7, request: {}, elapsed: 1250, outcome: "reply" });
 * ```
 */
export interface SlowRequest<M> {
  /** Sent by this side (`"outgoing"`) or handled here (`"incoming"`). */
  readonly direction: "outgoing" | "incoming";
  /** The request's id. */
  readonly id: MessageId;
  /** The request as it was sent or received. */
  readonly request: M;
  /** How long it took, in ms. */
  readonly elapsed: number;
  /** How it ended: a reply, an error reply, or (outgoing only) the deadline. */
  readonly outcome: "reply" | "error" | "timeout";
}
