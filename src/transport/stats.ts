/**
 * Counters of one transport.
 *
 * @module
 */

/**
 * What a transport has done so far. All counters only grow, except
 * `pending`, `handling`, `handlingBytes` and `queuedBytes`, which are
 * current values.
 *
 * @example Reading a peer's counters
 * ```ts
 * import { Connection, Router } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("echo", (body: Uint8Array) => body);
 * const server = new Connection(a, { router });
 * const client = new Connection(b);
 * await client.request("echo", new Uint8Array([1, 2, 3]));
 * const { requestsSent, repliesReceived, pending } = client.stats;
 * console.log(requestsSent, repliesReceived, pending); // 1 1 0
 * await client.close();
 * await server.close();
 * ```
 */
export interface ConnectionStats {
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
  /** Requests, sent or handled, that took longer than `slowRequestThreshold`. */
  slowRequests: number;
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
  /**
   * Bytes of the received requests and notifications being handled now
   * (bounded by `maxHandlingBytes`).
   */
  handlingBytes: number;
  /** Bytes in the send queue now. */
  queuedBytes: number;
}

/** The counters that are current values, not totals. */
const GAUGES = new Set<string>([
  "pending",
  "handling",
  "handlingBytes",
  "queuedBytes",
]);

/**
 * Adds the counters of `stats` to `total`; the current values
 * (`pending`, `handling`, `queuedBytes`) only if `gauges` is true.
 *
 * @internal
 */
export function addStats(
  total: ConnectionStats,
  stats: ConnectionStats,
  gauges: boolean,
): void {
  const into = total as unknown as Record<string, number>;
  const from = stats as unknown as Record<string, number>;
  for (const name in from) {
    if (gauges || !GAUGES.has(name)) into[name] += from[name];
  }
}

/** @internal */
export function createStats(): ConnectionStats {
  return {
    requestsSent: 0,
    repliesReceived: 0,
    errorsReceived: 0,
    timeouts: 0,
    aborts: 0,
    closedWhilePending: 0,
    lateReplies: 0,
    slowRequests: 0,
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
    handlingBytes: 0,
    queuedBytes: 0,
  };
}
