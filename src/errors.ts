/**
 * Error classes of listenrain. Each has a stable {@linkcode ListenRainError.code}
 * string, a `name` equal to its class name, and accepts `{ cause }`.
 *
 * This file is where the rest of listenrain imports them from. The classes
 * live by family in `errors/`: the base class and its codes, the protocol
 * and codec errors, the channel and listener errors, the request errors.
 * The codes of error replies, {@linkcode ERROR_REPLY_CODES}, are here.
 *
 * @module
 */

import type { ErrorCode } from "./errors/_listen_rain_error.ts";

export type { ErrorCode } from "./errors/_listen_rain_error.ts";
export { ListenRainError } from "./errors/_listen_rain_error.ts";
export {
  CodecError,
  FrameTooLargeError,
  MessageTooLargeError,
  ProtocolError,
} from "./errors/_protocol_errors.ts";
export {
  AddressInUseError,
  ConnectError,
  ConnectionClosedError,
  UnsupportedRuntimeError,
} from "./errors/_network_errors.ts";
export {
  AbortedError,
  QueueFullError,
  RemoteError,
  TimeoutError,
  TooManyPendingError,
} from "./errors/_request_errors.ts";

/**
 * The code of the error reply a caller gets (its
 * {@linkcode RemoteError.remoteCode}) when a handler fails with one of
 * listenrain's own errors: a handler whose own request to another service
 * timed out answers `TIMEOUT`, say. A {@linkcode RemoteError} a handler
 * throws answers with its own `remoteCode`, and any other error with
 * `HANDLER_ERROR`.
 *
 * @example The caller learns that the handler's own request timed out
 * ```ts
 * import { Connection, type RemoteError, Router, TimeoutError } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("quote", () => {
 *   throw new TimeoutError("Request 3 timed out after 100 ms"); // the handler's own request
 * });
 * const server = new Connection(a, { router });
 * const client = new Connection<typeof router>(b);
 * const error = await client.request("quote", new Uint8Array()).catch((e: RemoteError) => e);
 * console.log(error.remoteCode); // "TIMEOUT"
 * await client.close();
 * await server.close();
 * ```
 */
export const ERROR_REPLY_CODES: Readonly<Record<ErrorCode, string>> = {
  ERR_PROTOCOL: "PROTOCOL",
  ERR_FRAME_TOO_LARGE: "FRAME_TOO_LARGE",
  ERR_MESSAGE_TOO_LARGE: "MESSAGE_TOO_LARGE",
  ERR_CODEC: "CODEC_ERROR",
  ERR_CONNECTION_CLOSED: "CONNECTION_CLOSED",
  ERR_TIMEOUT: "TIMEOUT",
  ERR_ABORTED: "ABORTED",
  ERR_QUEUE_FULL: "QUEUE_FULL",
  ERR_TOO_MANY_PENDING: "TOO_MANY_PENDING",
  ERR_REMOTE: "REMOTE",
  ERR_CONNECT: "CONNECT",
  ERR_ADDRESS_IN_USE: "ADDRESS_IN_USE",
  ERR_UNSUPPORTED_RUNTIME: "UNSUPPORTED_RUNTIME",
};
