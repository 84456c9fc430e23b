/**
 * Error classes of listenrain. Each has a stable {@linkcode ListenRainError.code}
 * string, a `name` equal to its class name, and accepts `{ cause }`.
 *
 * @module
 */

import type { Metadata } from "./codec/metadata.ts";

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

/**
 * The peer sent bytes that break the protocol: a malformed frame or envelope.
 * The stream can no longer be trusted, so the connection is closed.
 *
 * @example Creating a ProtocolError
 * ```ts
 * import { ProtocolError } from "listenrain";
 * const error = new ProtocolError("Cannot decode envelope: unknown kind 99");
 * console.log(error.code); // "ERR_PROTOCOL"
 * ```
 */
export class ProtocolError extends ListenRainError {
  /**
   * Creates the error.
   *
   * @param message What was wrong with the input.
   * @param options `cause`, the underlying error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_PROTOCOL", message, options);
  }
}

/**
 * A frame's length field exceeds the codec's `maxFrameSize`, on receive or on
 * send. A subclass of {@linkcode ProtocolError}.
 *
 * @example Creating a FrameTooLargeError
 * ```ts
 * import { FrameTooLargeError } from "listenrain";
 * const error = new FrameTooLargeError(70000, 65536);
 * console.log(error.message);
 * // "Cannot decode frame: length 70000 exceeds maxFrameSize 65536"
 * ```
 */
export class FrameTooLargeError extends ProtocolError {
  /** The length the frame declared or would have had. */
  readonly length: number;
  /** The limit it crossed. */
  readonly maxFrameSize: number;

  /**
   * Creates the error.
   *
   * @param length The declared or actual frame length.
   * @param maxFrameSize The limit.
   * @param action `"decode"` for incoming frames, `"encode"` for outgoing.
   */
  constructor(
    length: number,
    maxFrameSize: number,
    action: "decode" | "encode" = "decode",
  ) {
    super(
      `Cannot ${action} frame: length ${length} exceeds maxFrameSize ${maxFrameSize}`,
    );
    Object.defineProperty(this, "code", { value: "ERR_FRAME_TOO_LARGE" });
    this.length = length;
    this.maxFrameSize = maxFrameSize;
  }
}

/**
 * A message or body could not be encoded or decoded. When a request's body is
 * at fault, the error travels back to the caller as an error reply and the
 * connection stays up.
 *
 * @example Creating a CodecError
 * ```ts
 * import { CodecError } from "listenrain";
 * const error = new CodecError("Cannot decode JSON body: Unexpected token");
 * console.log(error.code); // "ERR_CODEC"
 * ```
 */
export class CodecError extends ListenRainError {
  /**
   * Creates the error.
   *
   * @param message What could not be encoded or decoded, and why.
   * @param options `cause`, the underlying error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_CODEC", message, options);
  }
}

/**
 * The connection closed before the operation completed. Every request pending
 * on a transport that closes rejects with this error.
 *
 * @example Creating a ConnectionClosedError
 * ```ts
 * import { ConnectionClosedError } from "listenrain";
 * const error = new ConnectionClosedError("Transport closed: peer reset");
 * console.log(error.code); // "ERR_CONNECTION_CLOSED"
 * ```
 */
export class ConnectionClosedError extends ListenRainError {
  /**
   * Creates the error.
   *
   * @param message Why the connection closed.
   * @param options `cause`, the error that closed it, if any.
   */
  constructor(message = "Connection closed", options?: ErrorOptions) {
    super("ERR_CONNECTION_CLOSED", message, options);
  }
}

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

/**
 * A channel could not be opened: the endpoint refused or was unreachable, the
 * connect timeout passed, or every endpoint of a failover dialer failed. The
 * underlying error is the `cause`. Nothing was sent, so a request that fails
 * with it may always be sent again.
 *
 * @example Creating a ConnectError
 * ```ts
 * import { ConnectError } from "listenrain";
 * const error = new ConnectError("Cannot connect to tcp://10.0.0.1:7000: timed out after 1000 ms");
 * console.log(error.code); // "ERR_CONNECT"
 * ```
 */
export class ConnectError extends ListenRainError {
  /**
   * Creates the error.
   *
   * @param message Which endpoint, and why it failed.
   * @param options `cause`, the underlying error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_CONNECT", message, options);
  }
}

/**
 * A listener could not bind its address because another listener holds it.
 *
 * @example Creating an AddressInUseError
 * ```ts
 * import { AddressInUseError } from "listenrain";
 * const error = new AddressInUseError("Cannot listen on mem://api: address in use");
 * console.log(error.code); // "ERR_ADDRESS_IN_USE"
 * ```
 */
export class AddressInUseError extends ListenRainError {
  /**
   * Creates the error.
   *
   * @param message Which address, and who holds it.
   * @param options `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_ADDRESS_IN_USE", message, options);
  }
}

/**
 * A WebSocket message was larger than the channel's `maxMessageSize`: on the
 * end that received it, and on the end whose message the peer refused (close
 * code 4009, or 1009 from the runtime's own payload limit). The channel is
 * closed. A subclass of {@linkcode ProtocolError}.
 *
 * @example Telling an oversized message from other failures
 * ```ts
 * import { MessageTooLargeError } from "listenrain/advanced";
 * const error = new MessageTooLargeError("a message of 2000000 bytes is over maxMessageSize 1048576", {
 *   length: 2_000_000,
 *   maxMessageSize: 1_048_576,
 * });
 * console.log(error.code, error.maxMessageSize); // "ERR_MESSAGE_TOO_LARGE" 1048576
 * ```
 */
export class MessageTooLargeError extends ProtocolError {
  /** The size of the refused message, where known. */
  readonly length: number | undefined;
  /** The limit it crossed, where known. */
  readonly maxMessageSize: number | undefined;

  /**
   * Creates the error.
   *
   * @param message What was refused.
   * @param options The message's `length` and the `maxMessageSize` it
   *   crossed, where known, and `cause`.
   */
  constructor(
    message: string,
    options: ErrorOptions & { length?: number; maxMessageSize?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : options);
    Object.defineProperty(this, "code", { value: "ERR_MESSAGE_TOO_LARGE" });
    this.length = options.length;
    this.maxMessageSize = options.maxMessageSize;
  }
}

/**
 * This runtime, its version, its flags or its platform lack what was asked
 * for: `reusePort` on Node older than 22.12 or on Deno without
 * `--unstable-net`, or one server per core outside the runtimes and
 * platforms that support it. The message says what is missing and what
 * would provide it.
 *
 * @example Falling back to one process when the runtime cannot do more
 * ```ts
 * import { UnsupportedRuntimeError } from "listenrain/adapters/node";
 * const error = new UnsupportedRuntimeError("reusePort needs Node 22.12 or later");
 * console.log(error.code); // "ERR_UNSUPPORTED_RUNTIME"
 * ```
 */
export class UnsupportedRuntimeError extends ListenRainError {
  /**
   * Creates the error.
   *
   * @param message What is missing, and what would provide it.
   * @param options `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_UNSUPPORTED_RUNTIME", message, options);
  }
}
