/**
 * The default protocol's envelope: kind, u32 id, route, optional deadline and
 * body. The wire format is in docs/PROTOCOL.md, byte by byte.
 *
 * @module
 */

import { ProtocolError, RemoteError } from "../errors.ts";
import { allocate, SLAB_MAX } from "./_slab.ts";
import type {
  ErrorInfo,
  MessageCodec,
  MessageId,
  MessageKind,
} from "./message_codec.ts";

/**
 * The kinds of envelope, as on the wire (byte 0).
 *
 * @example The first byte of an encoded envelope
 * ```ts
 * import { ENVELOPE_KINDS, EnvelopeCodec } from "./envelope.ts";
 *
 * const codec = new EnvelopeCodec();
 * const [bytes] = codec.encode({ kind: "notify", id: 0, route: "log", body: new Uint8Array() });
 * console.log(ENVELOPE_KINDS.notify, bytes[0]); // 4 4
 * ```
 */
export const ENVELOPE_KINDS = {
  request: 1,
  reply: 2,
  error: 3,
  notify: 4,
  cancel: 5,
  ping: 6,
  pong: 7,
  goaway: 8,
} as const;

/**
 * An envelope's kind.
 *
 * @example A kind from its wire byte
 * ```ts
 * import { ENVELOPE_KINDS, type EnvelopeKind } from "./envelope.ts";
 *
 * function kindOf(byte: number): EnvelopeKind | undefined {
 *   const kinds = Object.keys(ENVELOPE_KINDS) as EnvelopeKind[];
 *   return kinds.find((kind) => ENVELOPE_KINDS[kind] === byte);
 * }
 * console.log(kindOf(3), kindOf(99)); // "error" undefined
 * ```
 */
export type EnvelopeKind = keyof typeof ENVELOPE_KINDS;

/** Flag bit: the route is a u32 command, not a name. */
export const FLAG_NUMERIC_ROUTE = 0x01;
/** Flag bit: a u32 timeout in milliseconds follows the route. */
export const FLAG_TIMEOUT = 0x02;
/** The smallest envelope: kind, flags, id and an empty route name. */
export const ENVELOPE_MIN_SIZE = 7;

const KIND_NAMES: readonly (EnvelopeKind | undefined)[] = [
  undefined,
  "request",
  "reply",
  "error",
  "notify",
  "cancel",
  "ping",
  "pong",
  "goaway",
];
const EMPTY: Uint8Array = new Uint8Array(0);
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
// ignoreBOM: a route that starts with U+FEFF keeps it, so routes round-trip.
const routeDecoder = new TextDecoder("utf-8", {
  fatal: true,
  ignoreBOM: true,
});
/** Goaway reasons are for logs: bytes that are not UTF-8 become U+FFFD. */
const reasonDecoder = new TextDecoder();

/**
 * One message of the default protocol.
 *
 * @example A request to a numeric route, with a deadline
 * ```ts
 * import { type Envelope, EnvelopeCodec } from "./envelope.ts";
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
}

/**
 * The default protocol's {@linkcode MessageCodec}: every feature of the
 * transport (error replies, cancel, deadlines, heartbeat, goaway) is on.
 *
 * @example Encoding a request
 * ```ts
 * import { EnvelopeCodec } from "./envelope.ts";
 *
 * const codec = new EnvelopeCodec();
 * const [bytes] = codec.encode({
 *   kind: "request", id: 7, route: "echo", body: new Uint8Array([42]),
 * });
 * console.log(bytes); // kind 1, flags 0, id 7, route length 4, "echo", body 42
 * console.log(codec.decode(bytes).route); // "echo"
 * ```
 */
export class EnvelopeCodec implements MessageCodec<Envelope> {
  /**
   * Encodes a message into payload parts.
   *
   * @param message The envelope.
   * @returns One part when the body is small, two (header, body) when the
   * body is large and passed on uncopied.
   * @throws {RangeError} If the route, id or timeout does not fit the wire format.
   */
  encode(message: Envelope): Uint8Array[] {
    const header = headerLength(message);
    const body = message.body;
    const inline = header + body.byteLength <= SLAB_MAX;
    const out = allocate(inline ? header + body.byteLength : header);
    const at = writeHeader(message, out, 0);
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
    return headerLength(message) + message.body.byteLength;
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
    target.set(message.body, writeHeader(message, target, offset));
  }

  /**
   * Decodes one payload into a message.
   *
   * @param payload One frame's payload.
   * @returns The envelope; its body is a view of `payload`.
   * @throws {ProtocolError} If the payload is not a valid envelope.
   */
  decode(payload: Uint8Array): Envelope {
    const length = payload.byteLength;
    if (length < ENVELOPE_MIN_SIZE) {
      throw new ProtocolError(
        `Cannot decode envelope: ${length} bytes is shorter than the ${ENVELOPE_MIN_SIZE}-byte header`,
      );
    }
    const kind = KIND_NAMES[payload[0]];
    if (kind === undefined) {
      throw new ProtocolError(
        `Cannot decode envelope: unknown kind ${payload[0]}`,
      );
    }
    const flags = payload[1];
    if (flags & ~(FLAG_NUMERIC_ROUTE | FLAG_TIMEOUT)) {
      throw new ProtocolError(
        `Cannot decode envelope: unknown flags 0x${flags.toString(16)}`,
      );
    }
    const id = u32(payload, 2);
    let at = 6;
    let route: string | number = "";
    if (flags & FLAG_NUMERIC_ROUTE) {
      need(payload, at + 4, "route command");
      route = u32(payload, at);
      at += 4;
    } else {
      const routeLength = payload[at++];
      if (routeLength > 0) {
        need(payload, at + routeLength, "route");
        route = decodeRoute(payload.subarray(at, at + routeLength));
        at += routeLength;
      }
    }
    let timeout: number | undefined;
    if (flags & FLAG_TIMEOUT) {
      need(payload, at + 4, "timeout");
      timeout = u32(payload, at);
      at += 4;
    }
    const body = payload.subarray(at);
    return timeout === undefined
      ? { kind, id, route, body }
      : { kind, id, route, timeout, body };
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
  errorReply(id: MessageId, error: ErrorInfo): Envelope {
    const body = encoder.encode(
      JSON.stringify({ code: error.code, message: error.message }),
    );
    return { kind: "error", id: id as number, route: "", body };
  }

  /**
   * Turns an error reply into an error.
   * @returns A {@linkcode RemoteError} from an error envelope's body.
   */
  toError(message: Envelope): Error {
    try {
      const info = JSON.parse(decoder.decode(message.body));
      if (typeof info?.code === "string" && typeof info?.message === "string") {
        return new RemoteError(info.code, info.message);
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

/** The size of an envelope's header (all but the body); checks every field. */
function headerLength(message: Envelope): number {
  if (ENVELOPE_KINDS[message.kind] === undefined) {
    throw new RangeError(
      `Cannot encode envelope: unknown kind "${message.kind}"`,
    );
  }
  checkU32(message.id, "id");
  let size = ENVELOPE_MIN_SIZE;
  const route = message.route;
  if (typeof route === "number") {
    checkU32(route, "route command");
    size += 3;
  } else if (route.length > 0) {
    size += encodeRoute(route).byteLength;
  }
  if (message.timeout !== undefined) size += 4;
  return size;
}

/** Writes an envelope's header at `out[offset]`; returns where the body goes. */
function writeHeader(
  message: Envelope,
  out: Uint8Array,
  offset: number,
): number {
  const { route, timeout } = message;
  const numeric = typeof route === "number";
  out[offset] = ENVELOPE_KINDS[message.kind];
  out[offset + 1] = (numeric ? FLAG_NUMERIC_ROUTE : 0) |
    (timeout !== undefined ? FLAG_TIMEOUT : 0);
  putU32(out, offset + 2, message.id);
  let at = offset + 6;
  if (numeric) {
    putU32(out, at, route);
    at += 4;
  } else if (route.length === 0) {
    out[at++] = 0;
  } else {
    const bytes = encodeRoute(route);
    out[at++] = bytes.byteLength;
    out.set(bytes, at);
    at += bytes.byteLength;
  }
  if (timeout !== undefined) {
    putU32(out, at, Math.min(Math.max(0, Math.ceil(timeout)), 0xffff_ffff));
    at += 4;
  }
  return at;
}

function u32(bytes: Uint8Array, at: number): number {
  return bytes[at] * 0x1000000 +
    ((bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]);
}

function putU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = value >>> 16;
  bytes[at + 2] = value >>> 8;
  bytes[at + 3] = value;
}

function need(payload: Uint8Array, end: number, what: string): void {
  if (end > payload.byteLength) {
    throw new ProtocolError(
      `Cannot decode envelope: ${what} runs past the end (${payload.byteLength} bytes)`,
    );
  }
}

function checkU32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new RangeError(`${what} must be a u32, got ${value}`);
  }
}

const routeCache = new Map<string, Uint8Array>();

function encodeRoute(route: string): Uint8Array {
  let bytes = routeCache.get(route);
  if (bytes === undefined) {
    bytes = encoder.encode(route);
    if (bytes.byteLength > 255) {
      throw new RangeError(
        `route must be at most 255 UTF-8 bytes, got ${bytes.byteLength}`,
      );
    }
    if (routeCache.size < 1024) routeCache.set(route, bytes);
  }
  return bytes;
}

function decodeRoute(bytes: Uint8Array): string {
  // Short ASCII routes (the usual case) skip the TextDecoder.
  if (bytes.byteLength <= 32) {
    let ascii = "";
    for (let i = 0; i < bytes.byteLength; i++) {
      const byte = bytes[i];
      if (byte >= 0x80) {
        ascii = "";
        break;
      }
      ascii += String.fromCharCode(byte);
      if (i === bytes.byteLength - 1) return ascii;
    }
  }
  try {
    return routeDecoder.decode(bytes);
  } catch (cause) {
    throw new ProtocolError("Cannot decode envelope: route is not UTF-8", {
      cause,
    });
  }
}
