/**
 * The errors that end one request: its deadline passed, its signal aborted,
 * the send queue or the pending bound was full, or the peer answered with an
 * error reply.
 *
 * @module
 */

import type { Metadata } from "../codec/metadata.ts";
import { ListenRainError } from "./_listen_rain_error.ts";

/**
 * A request got no reply before its deadline.
 *
 * @example Creating a TimeoutError
 * ```ts
 * import { TimeoutError } from "listenrain";
 * const error = new TimeoutError("Request 1 timed out after 100 ms");
 * console.log(error.name); // "TimeoutError"
 * ```
 */
export class TimeoutError extends ListenRainError {
  /**
   * Creates the error.
   *
   * @param message Which operation timed out, after how long.
   * @param options `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_TIMEOUT", message, options);
  }
}

/**
 * The caller's `AbortSignal` aborted the operation. The signal's reason is the
 * `cause`.
 *
 * @example Creating an AbortedError
 * ```ts
 * import { AbortedError } from "listenrain";
 * const error = new AbortedError("Request 3 aborted", { cause: "user left" });
 * console.log(error.code); // "ERR_ABORTED"
 * ```
 */
export class AbortedError extends ListenRainError {
  /**
   * Creates the error.
   *
   * @param message Which operation was aborted.
   * @param options `cause`, the signal's reason.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_ABORTED", message, options);
  }
}

/**
 * The send queue is full and the queue was configured to fail rather than wait
 * (`overflow: "error"`).
 *
 * @example Creating a QueueFullError
 * ```ts
 * import { QueueFullError } from "listenrain";
 * const error = new QueueFullError(1 << 20, 4096);
 * console.log(error.message);
 * ```
 */
export class QueueFullError extends ListenRainError {
  /**
   * Creates the error.
   *
   * @param limit The queue's bound in bytes.
   * @param size The size of the frame that did not fit, if known.
   */
  constructor(limit: number, size?: number) {
    super(
      "ERR_QUEUE_FULL",
      `Cannot queue frame${
        size === undefined ? "" : ` of ${size} bytes`
      }: send queue is full (maxQueueBytes ${limit})`,
    );
  }
}

/**
 * Too many requests are already waiting for replies on this transport
 * (`maxPendingRequests`).
 *
 * @example Creating a TooManyPendingError
 * ```ts
 * import { TooManyPendingError } from "listenrain";
 * console.log(new TooManyPendingError(10000).code); // "ERR_TOO_MANY_PENDING"
 * ```
 */
export class TooManyPendingError extends ListenRainError {
  /**
   * Creates the error.
   * @param limit The `maxPendingRequests` bound.
   */
  constructor(limit: number) {
    super(
      "ERR_TOO_MANY_PENDING",
      `Cannot send request: ${limit} requests are already pending (maxPendingRequests)`,
    );
  }
}

/**
 * The peer answered a request with an error reply. `remoteCode` is the code
 * the peer sent (for example `"UNKNOWN_ROUTE"` or `"HANDLER_ERROR"`).
 *
 * @example Creating a RemoteError
 * ```ts
 * import { RemoteError } from "listenrain";
 * const error = new RemoteError("UNKNOWN_ROUTE", "No handler for route \"x\"");
 * console.log(error.remoteCode); // "UNKNOWN_ROUTE"
 * ```
 */
export class RemoteError extends ListenRainError {
  /** The error code the peer sent. */
  readonly remoteCode: string;
  /**
   * The metadata the peer sent with the error (its handler's
   * `ctx.replyMetadata`), if the protocol carries metadata.
   */
  metadata?: Metadata;

  /**
   * Creates the error.
   *
   * @param remoteCode The code the peer sent.
   * @param message The message the peer sent.
   * @param options `cause`.
   */
  constructor(remoteCode: string, message: string, options?: ErrorOptions) {
    super("ERR_REMOTE", message, options);
    this.remoteCode = remoteCode;
  }
}
