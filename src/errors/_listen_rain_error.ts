/**
 * The base of listenrain's errors: {@linkcode ListenRainError} and the stable
 * {@linkcode ErrorCode} strings its subclasses carry.
 *
 * @module
 */

/**
 * The stable codes carried by {@linkcode ListenRainError.code}.
 *
 * @example Mapping codes to HTTP statuses in a gateway
 * ```ts
 * import { ConnectError, TimeoutError } from "listenrain";
 * import type { ErrorCode } from "listenrain/advanced";
 *
 * function httpStatus(code: ErrorCode): number {
 *   if (code === "ERR_TIMEOUT") return 504;
 *   if (code === "ERR_CONNECT" || code === "ERR_CONNECTION_CLOSED") return 502;
 *   return 500;
 * }
 * console.log(httpStatus(new TimeoutError("Request 1 timed out after 100 ms").code)); // 504
 * console.log(httpStatus(new ConnectError("Cannot connect to mem://api").code)); // 502
 * ```
 */
export type ErrorCode =
  | "ERR_PROTOCOL"
  | "ERR_FRAME_TOO_LARGE"
  | "ERR_MESSAGE_TOO_LARGE"
  | "ERR_CODEC"
  | "ERR_CONNECTION_CLOSED"
  | "ERR_TIMEOUT"
  | "ERR_ABORTED"
  | "ERR_QUEUE_FULL"
  | "ERR_TOO_MANY_PENDING"
  | "ERR_REMOTE"
  | "ERR_CONNECT"
  | "ERR_ADDRESS_IN_USE"
  | "ERR_UNSUPPORTED_RUNTIME";

/**
 * The base class of every error listenrain creates on purpose.
 *
 * @example Telling listenrain's errors apart
 * ```ts
 * import { ListenRainError, TimeoutError } from "listenrain";
 *
 * const error: unknown = new TimeoutError("Request 7 timed out after 50 ms");
 * if (error instanceof ListenRainError) console.log(error.code); // "ERR_TIMEOUT"
 * ```
 */
export class ListenRainError extends Error {
  /** A stable string that names the kind of failure. */
  readonly code: ErrorCode;

  /**
   * Creates the error.
   *
   * @param code The stable code.
   * @param message What failed and why.
   * @param options `cause`, the underlying error.
   */
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
