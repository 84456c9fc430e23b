/**
 * What was thrown, as an `Error`.
 *
 * @module
 */

/**
 * `error` itself if it is an `Error`, else an `Error` with its text.
 *
 * @internal
 */
export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
