/** Helpers shared by the framing tests: encode, cut, decode, check errors. */

import assert from "node:assert/strict";
import { FrameTooLargeError, ProtocolError } from "../../src/errors.ts";
import type {
  FrameDecoder,
  PacketCodec,
} from "../../src/framing/packet_codec.ts";

/** Encodes `payloads` with `codec`, back to back, into one fresh array. */
export function encodeAll(
  codec: PacketCodec,
  payloads: readonly Uint8Array[],
): Uint8Array {
  const bytes: number[] = [];
  for (const payload of payloads) {
    for (const part of codec.encode([payload], payload.byteLength)) {
      bytes.push(...part);
    }
  }
  return new Uint8Array(bytes);
}

/** Feeds every chunk and returns copies of the frames, in order. */
export function decodeAll(
  decoder: FrameDecoder,
  chunks: readonly Uint8Array[],
): number[][] {
  const frames: number[][] = [];
  for (const chunk of chunks) {
    decoder.decode(chunk, (frame) => frames.push([...frame]));
  }
  return frames;
}

/** Cuts `bytes` at the given offsets (any order, any repeats) into fresh arrays. */
export function cut(
  bytes: Uint8Array,
  points: readonly number[],
): Uint8Array[] {
  const sorted = [...new Set(points)].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...sorted, bytes.byteLength]) {
    chunks.push(bytes.slice(start, point));
    start = point;
  }
  return chunks;
}

/** `length` bytes of a repeating pattern. */
export function pattern(length: number, seed = 0): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

/** Asserts `error` is the FrameTooLargeError for `length` over `max`. */
export function assertTooLarge(
  error: unknown,
  length: number,
  max: number,
  action = "decode",
): true {
  assert.ok(error instanceof FrameTooLargeError, String(error));
  assert.ok(error instanceof ProtocolError);
  assert.equal(error.code, "ERR_FRAME_TOO_LARGE");
  assert.equal(error.name, "FrameTooLargeError");
  assert.equal(error.length, length);
  assert.equal(error.maxFrameSize, max);
  assert.equal(
    error.message,
    `Cannot ${action} frame: length ${length} exceeds maxFrameSize ${max}`,
  );
  return true;
}
