/**
 * Decoding the default protocol's envelope from a range of bytes:
 * {@linkcode decodeEnvelope}.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import type { Envelope } from "./envelope.ts";
import {
  ENVELOPE_MIN_SIZE,
  FLAG_METADATA,
  FLAG_NUMERIC_ROUTE,
  FLAG_STREAM,
  FLAG_TIMEOUT,
} from "./envelope_format.ts";
import { decodeRoute, KIND_NAMES, SHAPE_NAMES, u32 } from "./_envelope_wire.ts";
import type { Metadata } from "./metadata.ts";
import { readMetadata } from "./_metadata_wire.ts";

const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * Decodes the envelope in `bytes[start]` to `bytes[stop]`. Its body is a
 * view of `bytes`: the only view made.
 *
 * @throws {ProtocolError} If the bytes are not a valid envelope.
 * @internal
 */
export function decodeEnvelope(
  bytes: Uint8Array,
  start: number,
  stop: number,
  maxMetadata: number,
): Envelope {
  const length = stop - start;
  if (length < ENVELOPE_MIN_SIZE) {
    throw new ProtocolError(
      `Cannot decode envelope: ${length} bytes is shorter than the ${ENVELOPE_MIN_SIZE}-byte header`,
    );
  }
  const kind = KIND_NAMES[bytes[start]];
  if (kind === undefined) {
    throw new ProtocolError(
      `Cannot decode envelope: unknown kind ${bytes[start]}`,
    );
  }
  const flags = bytes[start + 1];
  if (
    flags & ~(FLAG_NUMERIC_ROUTE | FLAG_TIMEOUT | FLAG_METADATA | FLAG_STREAM)
  ) {
    throw new ProtocolError(
      `Cannot decode envelope: unknown flags 0x${flags.toString(16)}`,
    );
  }
  const id = u32(bytes, start + 2);
  let at = start + 6;
  let route: string | number = "";
  if (flags & FLAG_NUMERIC_ROUTE) {
    need(at + 4, stop, length, "route command");
    route = u32(bytes, at);
    at += 4;
  } else {
    const routeLength = bytes[at++];
    if (routeLength > 0) {
      need(at + routeLength, stop, length, "route");
      route = decodeRoute(bytes, at, routeLength);
      at += routeLength;
    }
  }
  let timeout: number | undefined;
  if (flags & FLAG_TIMEOUT) {
    need(at + 4, stop, length, "timeout");
    timeout = u32(bytes, at);
    at += 4;
  }
  if (flags & FLAG_STREAM) {
    const message: Envelope = { kind, id, route, body: EMPTY };
    if (timeout !== undefined) message.timeout = timeout;
    return decodeStream(message, bytes, start, at, stop, maxMetadata);
  }
  if (flags & FLAG_METADATA) {
    let metadata: Metadata;
    [metadata, at] = readMetadata(bytes, at, maxMetadata, stop);
    const body = bytes.subarray(at, stop);
    return timeout === undefined
      ? { kind, id, route, body, metadata }
      : { kind, id, route, timeout, body, metadata };
  }
  const body = bytes.subarray(at, stop);
  return timeout === undefined
    ? { kind, id, route, body }
    : { kind, id, route, timeout, body };
}

/**
 * The rest of a request that opens a stream, from `at` (the shape byte),
 * into `message`.
 */
function decodeStream(
  message: Envelope,
  bytes: Uint8Array,
  start: number,
  at: number,
  stop: number,
  maxMetadata: number,
): Envelope {
  need(at + 5, stop, stop - start, "stream");
  const stream = SHAPE_NAMES[bytes[at]];
  if (message.kind !== "request" || stream === undefined) {
    throw new ProtocolError(
      `Cannot decode envelope: stream shape ${bytes[at]} on a ${message.kind}`,
    );
  }
  message.stream = stream;
  message.window = u32(bytes, at + 1);
  at += 5;
  if (bytes[start + 1] & FLAG_METADATA) {
    [message.metadata, at] = readMetadata(bytes, at, maxMetadata, stop);
  }
  message.body = bytes.subarray(at, stop);
  return message;
}

/** Throws a {@linkcode ProtocolError} if `at` is past `stop`. */
function need(at: number, stop: number, length: number, what: string): void {
  if (at > stop) {
    throw new ProtocolError(
      `Cannot decode envelope: ${what} runs past the end (${length} bytes)`,
    );
  }
}
