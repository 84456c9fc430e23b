/**
 * The default protocol's envelope: kind, u32 id, route, optional deadline and
 * body. The wire format is in docs/PROTOCOL.md, byte by byte.
 *
 * @module
 */

import { RemoteError } from "../errors.ts";
import type { Metadata } from "./metadata.ts";
import { DEFAULT_MAX_METADATA_SIZE } from "./_metadata_wire.ts";
import { allocate, SLAB_MAX } from "./_slab.ts";
import { headerLength, writeHeader } from "./_envelope_wire.ts";
import type { EnvelopeKind } from "./envelope_format.ts";
import { decodeEnvelope } from "./_envelope_decode.ts";
import { DECODE_RANGE, type RangeMessageDecoder } from "./_decode_range.ts";
import { envelopeStreams } from "./_envelope_streams.ts";
import type {
  ErrorInfo,
  MessageCodec,
  MessageId,
  MessageKind,
  StreamCodec,
  StreamShape,
} from "./message_codec.ts";

export {
  ENVELOPE_KINDS,
  ENVELOPE_MIN_SIZE,
  type EnvelopeKind,
  FLAG_METADATA,
  FLAG_NUMERIC_ROUTE,
  FLAG_STREAM,
  FLAG_TIMEOUT,
} from "./envelope_format.ts";

const EMPTY: Uint8Array = new Uint8Array(0);
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
/** Goaway reasons are for logs: bytes that are not UTF-8 become U+FFFD. */
const reasonDecoder = new TextDecoder();

/**
 * One message of the default protocol.
 *
 * @example A request to a numeric route, with a deadline
 * ```ts
 * import { type Envelope, EnvelopeCodec } from "listenrain/framing";
 *
 * const request: Envelope = {
 *   kind: "request",
 *   id: 1,
 *   route: 42,
 *   timeout: 500,
 *   body: new TextEncoder().encode("hi"),
 * };
 * const codec = new EnvelopeCodec();
 * const decoded = codec.decode(codec.encode(request)[0]);
 * console.log(decoded.route, decoded.timeout, decoded.body); // 42 500 Uint8Array(2) [ 104, 105 ]
 * ```
 */
export interface Envelope {
  /** What the message is. */
  kind: EnvelopeKind;
  /** u32 id; 0 for notify and goaway. */
  id: number;
  /** The route: a name (at most 255 UTF-8 bytes) or a u32 command; `""` for none. */
  route: string | number;
  /** The caller's deadline in milliseconds (requests only). */
  timeout?: number;
  /** The body, encoded by a body codec. */
  body: Uint8Array;
  /** Metadata (request, reply, error and notify); none when absent or empty. */
  metadata?: Metadata;
  /** The shape of the stream a request opens (flag `FLAG_STREAM`). */
  stream?: StreamShape;
  /** With `stream`: how many messages the acceptor may send before more credit. */
  window?: number;
}

/**
 * Options of {@linkcode EnvelopeCodec}.
 *
 * @example A larger metadata limit
 * ```ts
 * import { envelopeProtocol } from "listenrain";
 * import { EnvelopeCodec, type EnvelopeCodecOptions } from "listenrain/framing";
 *
 * const options: EnvelopeCodecOptions = { maxMetadataSize: 32 * 1024 };
 * const protocol = { ...envelopeProtocol, codec: new EnvelopeCodec(options) };
 * console.log(protocol.codec instanceof EnvelopeCodec); // true
 * ```
 */
export interface EnvelopeCodecOptions {
  /**
   * The metadata block's bytes at most, both ways: sending more fails with a
   * `CodecError` (nothing is sent), receiving more is a `ProtocolError`.
   * @default {8192}
   */
  maxMetadataSize?: number;
}

/**
 * The default protocol's {@linkcode MessageCodec}: every feature of the
 * transport (error replies, cancel, deadlines, heartbeat, goaway) is on.
 *
 * @example Encoding a request
 * ```ts
 * import { EnvelopeCodec } from "listenrain/framing";
 *
 * const codec = new EnvelopeCodec();
 * const [bytes] = codec.encode({
 *   kind: "request", id: 7, route: "echo", body: new Uint8Array([42]),
 * });
 * console.log(bytes); // kind 1, flags 0, id 7, route length 4, "echo", body 42
 * console.log(codec.decode(bytes).route); // "echo"
 * ```
 */
export class EnvelopeCodec
  implements MessageCodec<Envelope>, RangeMessageDecoder<Envelope> {
  /** The metadata block's bytes at most, both ways (the option `maxMetadataSize`). */
  readonly maxMetadataSize: number;
  /** The stream messages: `stream_end`, credits, and opening a stream. */
  readonly streams: StreamCodec<Envelope> = envelopeStreams;

  /**
   * Creates the codec.
   *
   * @param options The metadata limit.
   * @throws {RangeError} If `maxMetadataSize` is not a positive integer.
   */
  constructor(options: EnvelopeCodecOptions = {}) {
    const max = options.maxMetadataSize ?? DEFAULT_MAX_METADATA_SIZE;
    if (!Number.isInteger(max) || max < 2) {
      throw new RangeError(
        `maxMetadataSize must be an integer >= 2, got ${max}`,
      );
    }
    this.maxMetadataSize = max;
  }

  /**
   * Encodes a message into payload parts.
   *
   * @param message The envelope.
   * @returns One part when the body is small, two (header, body) when the
   * body is large and passed on uncopied.
   * @throws {RangeError} If the route, id or timeout does not fit the wire format.
   */
  encode(message: Envelope): Uint8Array[] {
    const header = headerLength(message, this.maxMetadataSize);
    const body = message.body;
    const inline = header + body.byteLength <= SLAB_MAX;
    const out = allocate(inline ? header + body.byteLength : header);
    const at = writeHeader(message, out, 0, this.maxMetadataSize);
    if (!inline) return [out, body];
    out.set(body, at);
    return [out];
  }

  /**
   * The size of `message` encoded, for {@linkcode EnvelopeCodec.encodeInto}.
   *
   * @param message The envelope.
   * @returns Its size in bytes.
   * @throws {RangeError} If the route, id or timeout does not fit the wire format.
   */
  encodedLength(message: Envelope): number {
    return headerLength(message, this.maxMetadataSize) +
      message.body.byteLength;
  }

  /**
   * Writes `message` at `target[offset]`, in
   * {@linkcode EnvelopeCodec.encodedLength}`(message)` bytes (checked by
   * that call, made first).
   *
   * @param message The envelope.
   * @param target Where to write.
   * @param offset Where in `target`.
   */
  encodeInto(message: Envelope, target: Uint8Array, offset: number): void {
    target.set(
      message.body,
      writeHeader(message, target, offset, this.maxMetadataSize),
    );
  }

  /**
   * Decodes one payload into a message.
   *
   * @param payload One frame's payload.
   * @returns The envelope; its body is a view of `payload`.
   * @throws {ProtocolError} If the payload is not a valid envelope.
   */
  decode(payload: Uint8Array): Envelope {
    return decodeEnvelope(payload, 0, payload.byteLength, this.maxMetadataSize);
  }

  /** `decode(bytes.subarray(start, end))` without the view: see `DECODE_RANGE`. */
  [DECODE_RANGE](bytes: Uint8Array, start: number, end: number): Envelope {
    return decodeEnvelope(bytes, start, end, this.maxMetadataSize);
  }

  /**
   * Tells what a message is.
   * @returns The envelope's kind.
   */
  kind(message: Envelope): MessageKind {
    return message.kind;
  }

  /**
   * Reads a message's id.
   * @returns The envelope's id.
   */
  id(message: Envelope): MessageId {
    return message.id;
  }

  /**
   * Sets a message's id.
   * @returns The same envelope with `id` set.
   */
  withId(message: Envelope, id: MessageId): Envelope {
    message.id = id as number;
    return message;
  }

  /**
   * Builds an error reply.
   * @returns An error envelope whose body is `{"code","message"}` JSON.
   */
  errorReply(id: MessageId, error: ErrorInfo, metadata?: Metadata): Envelope {
    const body = encoder.encode(
      JSON.stringify({ code: error.code, message: error.message }),
    );
    return metadata === undefined || metadata.size === 0
      ? { kind: "error", id: id as number, route: "", body }
      : { kind: "error", id: id as number, route: "", body, metadata };
  }

  /**
   * Turns an error reply into an error.
   * @returns A {@linkcode RemoteError} from an error envelope's body.
   */
  toError(message: Envelope): Error {
    try {
      const info = JSON.parse(decoder.decode(message.body));
      if (typeof info?.code === "string" && typeof info?.message === "string") {
        const error = new RemoteError(info.code, info.message);
        if (message.metadata) error.metadata = message.metadata;
        return error;
      }
    } catch { /* fall through */ }
    return new RemoteError("UNKNOWN", "The peer sent a malformed error reply");
  }

  /**
   * Builds a cancel message.
   * @returns A cancel envelope for request `id`.
   */
  cancel(id: MessageId): Envelope {
    return { kind: "cancel", id: id as number, route: "", body: EMPTY };
  }

  /**
   * Builds a heartbeat ping or pong.
   * @returns A ping or pong envelope.
   */
  ping(id: MessageId, pong: boolean): Envelope {
    return {
      kind: pong ? "pong" : "ping",
      id: id as number,
      route: "",
      body: EMPTY,
    };
  }

  /**
   * Builds a goaway message.
   * @returns A goaway envelope with a UTF-8 reason.
   */
  goaway(reason: string): Envelope {
    return { kind: "goaway", id: 0, route: "", body: encoder.encode(reason) };
  }

  /**
   * Reads the reason a goaway envelope carries.
   * @returns Its body as UTF-8 text (bytes that are not UTF-8 become U+FFFD).
   */
  goawayReason(message: Envelope): string {
    return reasonDecoder.decode(message.body);
  }

  /**
   * Sets the deadline a request carries to the peer.
   * @returns The envelope with its `timeout` set.
   */
  withTimeout(message: Envelope, ms: number): Envelope {
    message.timeout = ms;
    return message;
  }

  /**
   * Reads the deadline a request carries.
   * @returns The envelope's timeout.
   */
  timeoutOf(message: Envelope): number | undefined {
    return message.timeout;
  }
}
