/**
 * Counters of one transport.
 *
 * @module
 */

/**
 * What a transport has done so far. All counters only grow, except
 * `pending`, `handling` and `queuedBytes`, which are current values.
 */
export interface TransportStats {
  /** Requests sent (sync and async). */
  requestsSent: number;
  /** Replies that settled a pending request (including error replies). */
  repliesReceived: number;
  /** Error replies among them. */
  errorsReceived: number;
  /** Requests that timed out. */
  timeouts: number;
  /** Requests aborted by their signal. */
  aborts: number;
  /** Requests rejected because the connection closed. */
  closedWhilePending: number;
  /** Replies that matched no pending request (late after a timeout, or unknown). */
  lateReplies: number;
  /** Requests received. */
  requestsReceived: number;
  /** Replies sent (including error replies). */
  repliesSent: number;
  /** Error replies sent. */
  errorRepliesSent: number;
  /** Notifications sent and received. */
  notifiesSent: number;
  /** Notifications received. */
  notifiesReceived: number;
  /** Cancel messages received for requests this side was handling. */
  cancelsReceived: number;
  /** Frames and bytes read. */
  framesIn: number;
  /** Bytes read from the channel. */
  bytesIn: number;
  /** Frames queued for writing. */
  framesOut: number;
  /** Bytes queued for writing. */
  bytesOut: number;
  /** Requests waiting for a reply now. */
  pending: number;
  /** Incoming requests being handled now. */
  handling: number;
  /** Bytes in the send queue now. */
  queuedBytes: number;
}

/** @internal */
export function createStats(): TransportStats {
  return {
    requestsSent: 0,
    repliesReceived: 0,
    errorsReceived: 0,
    timeouts: 0,
    aborts: 0,
    closedWhilePending: 0,
    lateReplies: 0,
    requestsReceived: 0,
    repliesSent: 0,
    errorRepliesSent: 0,
    notifiesSent: 0,
    notifiesReceived: 0,
    cancelsReceived: 0,
    framesIn: 0,
    bytesIn: 0,
    framesOut: 0,
    bytesOut: 0,
    pending: 0,
    handling: 0,
    queuedBytes: 0,
  };
}
