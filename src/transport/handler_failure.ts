/**
 * What a server learns when one of its handlers fails, and what the caller
 * is told: {@linkcode HandlerFailure}.
 *
 * @module
 */

import type { ErrorInfo } from "../codec/message_codec.ts";
import { ERROR_REPLY_CODES, ListenRainError, RemoteError } from "../errors.ts";
import type { RequestContext } from "./request_context.ts";

/**
 * A handler threw or rejected. The transport's `onHandlerError` option
 * receives one per failure (`RemoteError`s included); the caller got the
 * error reply `reply`, which quotes `errorId` unless the error was meant for
 * it.
 *
 * @example Logging failures on the server; the caller sees a reference only
 * ```ts
 * import { Connection, Router } from "listenrain";
 * import type { HandlerFailure } from "listenrain/advanced";
 * import type { Envelope } from "listenrain/framing";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const failures: HandlerFailure<Envelope>[] = [];
 * const router = new Router().handle("login", () => {
 *   throw new Error("db password rejected");
 * });
 * const [a, b] = createMemoryPipe();
 * const server = new Connection(a, {
 *   router,
 *   onHandlerError: (f: HandlerFailure<Envelope>) => failures.push(f),
 * });
 * const client = new Connection(b);
 * const error = await client.request("login", new Uint8Array()).catch((e) => e);
 * console.log(error.remoteCode); // "HANDLER_ERROR"
 * console.log(error.message.includes("db password")); // false
 * console.log(error.message.includes(failures[0].errorId)); // true
 * console.log(failures[0].context.message.route, failures[0].error.message); // "login" "db password rejected"
 * console.log(failures[0].context.remoteAddr.transport); // "mem"
 * await client.close();
 * await server.close();
 * ```
 */
export interface HandlerFailure<M> {
  /** What the handler threw. */
  readonly error: Error;
  /** The request (or notification) and its context. */
  readonly context: RequestContext<M>;
  /** A random reference, quoted in the caller's error message. */
  readonly errorId: string;
  /** The error reply sent to the caller (`undefined` for a notification). */
  readonly reply: ErrorInfo | undefined;
}

/**
 * The error reply for a handler's error. A {@linkcode RemoteError} is meant
 * for the caller: its code and message go as they are. Anything else gets a
 * code (`HANDLER_ERROR`, or for listenrain's own errors the code
 * {@linkcode ERROR_REPLY_CODES} names) and, unless `expose`
 * is set, a message that quotes only `errorId`, so nothing of the server's
 * internals reaches the caller.
 *
 * @internal
 */
export function errorReplyOf(
  error: Error,
  errorId: string,
  expose: boolean,
): ErrorInfo {
  if (error instanceof RemoteError) {
    return { code: error.remoteCode, message: error.message };
  }
  const code = error instanceof ListenRainError
    ? ERROR_REPLY_CODES[error.code] ?? "HANDLER_ERROR"
    : "HANDLER_ERROR";
  const message = expose
    ? error.message
    : `The handler failed (error id ${errorId})`;
  return { code, message };
}

/** A short random reference for one failure: 8 hex digits. @internal */
export function newErrorId(): string {
  return crypto.getRandomValues(new Uint32Array(1))[0].toString(16).padStart(
    8,
    "0",
  );
}
