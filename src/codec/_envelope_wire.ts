/**
 * The envelope's header, byte by byte: its size, writing it, and the field
 * readers and checks of {@linkcode EnvelopeCodec}'s encode and decode.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import type { Envelope } from "./envelope.ts";
import {
  ENVELOPE_KINDS,
  ENVELOPE_MIN_SIZE,
  type EnvelopeKind,
  FLAG_METADATA,
  FLAG_NUMERIC_ROUTE,
  FLAG_STREAM,
  FLAG_TIMEOUT,
} from "./envelope_format.ts";
import type { StreamShape } from "./message_codec.ts";
import { metadataBlock } from "./_metadata_wire.ts";

/** The kind of each wire byte. */
export const KIND_NAMES: readonly (EnvelopeKind | undefined)[] = [
  undefined,
  "request",
  "reply",
  "error",
  "notify",
  "cancel",
  "ping",
  "pong",
  "goaway",
  "stream",
  "stream_end",
  "stream_credit",
  "stream_reply",
  "reply_credit",
];
/** The stream shapes, by their wire byte (FLAG_STREAM). */
export const SHAPE_NAMES: readonly (StreamShape | undefined)[] = [
  undefined,
  "server",
  "client",
  "bidi",
];
const SHAPE_BYTES = { server: 1, client: 2, bidi: 3 } as const;
const encoder = new TextEncoder();
// ignoreBOM: a route that starts with U+FEFF keeps it, so routes round-trip.
const routeDecoder = new TextDecoder("utf-8", {
  fatal: true,
  ignoreBOM: true,
});

/** The size of an envelope's header (all but the body); checks every field. */
export function headerLength(
  message: Envelope,
  maxMetadataSize: number,
): number {
  // A number: "toString" and the like are found on the object too.
  if (typeof ENVELOPE_KINDS[message.kind] !== "number") {
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
  if (message.stream !== undefined) {
    if (
      message.kind !== "request" || SHAPE_BYTES[message.stream] === undefined
    ) {
      throw new RangeError(
        `Cannot encode envelope: stream "${message.stream}" on a ${message.kind}`,
      );
    }
    checkU32(message.window ?? 0, "stream credit");
    size += 5;
  }
  const metadata = message.metadata;
  if (metadata !== undefined && metadata.size > 0) {
    size += metadataBlock(metadata, maxMetadataSize).byteLength;
  }
  return size;
}

/** Writes an envelope's header at `out[offset]`; returns where the body goes. */
export function writeHeader(
  message: Envelope,
  out: Uint8Array,
  offset: number,
  maxMetadataSize: number,
): number {
  const { route, timeout, metadata } = message;
  const numeric = typeof route === "number";
  const withMetadata = metadata !== undefined && metadata.size > 0;
  out[offset] = ENVELOPE_KINDS[message.kind];
  out[offset + 1] = (numeric ? FLAG_NUMERIC_ROUTE : 0) |
    (timeout !== undefined ? FLAG_TIMEOUT : 0) |
    (withMetadata ? FLAG_METADATA : 0) |
    (message.stream !== undefined ? FLAG_STREAM : 0);
  putU32(out, offset + 2, message.id);
  let at = offset + 6;
  if (numeric) {
    putU32(out, at, route);
    at += 4;
  } else if (route.length === 0) {
    out[at++] = 0;
  } else {
    const bytes = encodeRoute(route);
    const length = bytes.byteLength;
    out[at++] = length;
    // A route is short: a loop costs less than set()'s call.
    for (let i = 0; i < length; i++) out[at + i] = bytes[i];
    at += length;
  }
  if (timeout !== undefined) {
    putU32(out, at, Math.min(Math.max(0, Math.ceil(timeout)), 0xffff_ffff));
    at += 4;
  }
  if (message.stream !== undefined) {
    out[at] = SHAPE_BYTES[message.stream];
    putU32(out, at + 1, message.window ?? 0);
    at += 5;
  }
  if (withMetadata) {
    const block = metadataBlock(metadata, maxMetadataSize);
    out.set(block, at);
    at += block.byteLength;
  }
  return at;
}

/** Reads a big-endian u32 at `bytes[at]`. */
export function u32(bytes: Uint8Array, at: number): number {
  return bytes[at] * 0x1000000 +
    ((bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]);
}

/** Writes `value` as a big-endian u32 at `bytes[at]`. */
export function putU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = value >>> 16;
  bytes[at + 2] = value >>> 8;
  bytes[at + 3] = value;
}

/** Throws a `RangeError` if `value` is not a u32. */
export function checkU32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new RangeError(`${what} must be a u32, got ${value}`);
  }
}

const routeCache = new Map<string, Uint8Array>();
/** The route encoded last and its bytes: a frame's size and its header both ask. */
let lastRoute = "";
let lastBytes: Uint8Array = new Uint8Array(0);

/** A route name's UTF-8 bytes (cached); throws if over 255 bytes. */
export function encodeRoute(route: string): Uint8Array {
  if (route === lastRoute) return lastBytes;
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
  lastRoute = route;
  lastBytes = bytes;
  return bytes;
}

/** Routes decoded lately, by a hash of their bytes: see `decodeRoute`. */
const ROUTE_SLOTS = 64;
const routeSlots: ({ bytes: Uint8Array; route: string } | undefined)[] = Array
  .from({ length: ROUTE_SLOTS }, () => undefined);

/**
 * The route name in `payload[at]` to `payload[at + length]`; throws a
 * ProtocolError if not UTF-8. A route decoded lately (a service has few) is
 * found by its bytes and returned as the same string: nothing is allocated.
 */
export function decodeRoute(
  payload: Uint8Array,
  at: number,
  length: number,
): string {
  let hash = length;
  for (let i = 0; i < length; i++) hash = (hash * 31 + payload[at + i]) | 0;
  const slot = hash & (ROUTE_SLOTS - 1);
  const seen = routeSlots[slot];
  if (seen !== undefined && seen.bytes.byteLength === length) {
    const bytes = seen.bytes;
    let i = 0;
    while (i < length && bytes[i] === payload[at + i]) i++;
    if (i === length) return seen.route;
  }
  // A copy (not a view: the read buffer may be reused, and a Node Buffer's
  // slice() is a view).
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = payload[at + i];
  let route: string;
  try {
    route = routeDecoder.decode(bytes);
  } catch (cause) {
    throw new ProtocolError("Cannot decode envelope: route is not UTF-8", {
      cause,
    });
  }
  routeSlots[slot] = { bytes, route };
  return route;
}
