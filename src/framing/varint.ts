/**
 * Varint-prefixed framing, as Protocol Buffers delimits messages on a stream
 * (`writeDelimitedTo` in Java, `serializeDelimitedToOstream` in C++): each
 * frame is the payload's length as an unsigned LEB128 varint, then the
 * payload.
 *
 * @module
 */

import { FrameTooLargeError, ProtocolError } from "../errors.ts";
import { FrameAssembler } from "./_frame_assembler.ts";
import { DEFAULT_MAX_FRAME_SIZE } from "./length_prefixed.ts";
import type { FrameDecoder, PacketCodec } from "./packet_codec.ts";

/**
 * The longest varint accepted: 10 bytes hold any 64-bit length.
 *
 * @example A length that does not end within 10 bytes breaks the protocol
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProtocolError } from "listenrain";
 * import { VarintPrefixedCodec } from "listenrain/framing";
 *
 * // A varint is 10 bytes at most.
 * const decoder = new VarintPrefixedCodec().createDecoder();
 * const endless = new Uint8Array(11).fill(0x80); // 11 bytes, every one says "more"
 * assert.throws(() => decoder.decode(endless, () => {}), ProtocolError);
 * ```
 */
export const MAX_VARINT_SIZE = 10;

/**
 * Options of {@linkcode VarintPrefixedCodec}.
 *
 * @example Refusing a frame by its declared length
 * ```ts
 * import assert from "node:assert/strict";
 * import { FrameTooLargeError } from "listenrain";
 * import {
 *   VarintPrefixedCodec,
 *   type VarintPrefixedOptions,
 * } from "listenrain/framing";
 *
 * const options: VarintPrefixedOptions = { maxFrameSize: 64 * 1024 };
 * const decoder = new VarintPrefixedCodec(options).createDecoder();
 * const header = new Uint8Array([0x80, 0x80, 0x08]); // a length of 131072
 * assert.throws(() => decoder.decode(header, () => {}), FrameTooLargeError);
 * ```
 */
export interface VarintPrefixedOptions {
  /** The largest payload accepted or sent. @default {16777216} */
  maxFrameSize?: number;
}

/**
 * Varint-prefixed {@linkcode PacketCodec}: `varint(length) ‖ payload`, where
 * the varint is unsigned LEB128 (7 bits a byte, least significant first, the
 * high bit set on every byte but the last). Lengths below 128 cost one byte of
 * header, below 16 384 two.
 *
 * The decoder reads the whole varint (at most {@linkcode MAX_VARINT_SIZE}
 * bytes) and checks the length against `maxFrameSize` before it keeps any
 * payload byte.
 *
 * @example Encoding a frame
 * ```ts
 * import { VarintPrefixedCodec } from "listenrain/framing";
 *
 * const codec = new VarintPrefixedCodec();
 * const [header] = codec.encode([new Uint8Array(300)], 300);
 * console.log(header); // Uint8Array(2) [ 172, 2 ]  (300 = 0b10_0101100)
 * ```
 */
export class VarintPrefixedCodec implements PacketCodec {
  readonly maxFrameSize: number;
  #header = new Uint8Array(MAX_VARINT_SIZE);

  /**
   * Creates the codec.
   *
   * @param options The limit.
   * @throws {RangeError} If `maxFrameSize` is not a safe integer ≥ 0.
   */
  constructor(options: VarintPrefixedOptions = {}) {
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    if (!Number.isSafeInteger(this.maxFrameSize) || this.maxFrameSize < 0) {
      throw new RangeError(
        `maxFrameSize must be a safe integer >= 0, got ${this.maxFrameSize}`,
      );
    }
  }

  /**
   * Frames a payload: `[varint header, ...payload]`. The header is a view of
   * a buffer that the next call reuses.
   *
   * @param payload The payload's parts.
   * @param length The payload's total length.
   * @returns The frame's parts.
   * @throws {FrameTooLargeError} If `length` exceeds `maxFrameSize`.
   */
  encode(payload: readonly Uint8Array[], length: number): Uint8Array[] {
    if (length > this.maxFrameSize) {
      throw new FrameTooLargeError(length, this.maxFrameSize, "encode");
    }
    const size = writeVarint(this.#header, length);
    return [this.#header.subarray(0, size), ...payload];
  }

  /**
   * Creates a decoder for one stream.
   *
   * @returns The decoder.
   */
  createDecoder(): FrameDecoder {
    return new VarintPrefixedDecoder(this.maxFrameSize);
  }
}

/** Writes `value` as a varint at the start of `out`; returns its size. */
function writeVarint(out: Uint8Array, value: number): number {
  let at = 0;
  while (value >= 0x80) {
    out[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[at++] = value;
  return at;
}

class VarintPrefixedDecoder implements FrameDecoder {
  #max: number;
  /** The varint read so far, and how many of its bytes. */
  #value = 0;
  #bytes = 0;
  #frame = new FrameAssembler();

  constructor(max: number) {
    this.#max = max;
  }

  get bufferedBytes(): number {
    return this.#bytes + this.#frame.filled;
  }

  decode(chunk: Uint8Array, onFrame: (payload: Uint8Array) => void): void {
    const end = chunk.byteLength;
    let at = 0;
    while (at < end) {
      if (this.#frame.active) {
        at = this.#frame.fill(chunk, at, onFrame);
        continue;
      }
      // Fast path: a one-byte varint (payloads under 128 bytes).
      let length: number;
      const first = chunk[at];
      if (this.#bytes === 0 && first < 0x80) {
        length = this.#check(first);
        at++;
      } else {
        at = this.#readVarint(chunk, at);
        if (this.#bytes > 0) return; // the varint continues in the next chunk
        length = this.#check(this.#value);
        this.#value = 0;
      }
      if (end - at >= length) {
        onFrame(chunk.subarray(at, at + length));
        at += length;
      } else {
        this.#frame.start(length);
      }
    }
  }

  /**
   * Reads varint bytes from `chunk` at `at` into `#value`. Leaves `#bytes` at
   * 0 when the varint is complete, and returns the offset after what it read.
   */
  #readVarint(chunk: Uint8Array, at: number): number {
    const end = chunk.byteLength;
    while (at < end) {
      const byte = chunk[at++];
      if (this.#bytes === MAX_VARINT_SIZE) {
        throw new ProtocolError(
          `Cannot decode frame: varint length is longer than ${MAX_VARINT_SIZE} bytes`,
        );
      }
      this.#value += (byte & 0x7f) * 2 ** (7 * this.#bytes);
      this.#bytes++;
      if (byte < 0x80) {
        this.#bytes = 0;
        return at;
      }
    }
    return at;
  }

  #check(length: number): number {
    if (length > this.#max) throw new FrameTooLargeError(length, this.#max);
    return length;
  }
}
