/**
 * The errors of bytes that break the protocol or cannot be encoded or
 * decoded: {@linkcode ProtocolError} and its subclasses for frames and
 * WebSocket messages over their limits, and {@linkcode CodecError}.
 *
 * @module
 */

import { ListenRainError } from "./_listen_rain_error.ts";

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
