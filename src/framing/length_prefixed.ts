/**
 * Length-prefixed framing: each frame is a length header then the payload.
 * The default is the Go seed's: a 4-byte big-endian length.
 *
 * @module
 */

import { FrameTooLargeError, ProtocolError } from "../errors.ts";
import type { FrameDecoder, PacketCodec } from "./packet_codec.ts";
import { FrameAssembler } from "./_frame_assembler.ts";
import {
  DECODE_RANGES,
  type RangeCallback,
  type RangeFrameDecoder,
} from "./_frame_ranges.ts";

/**
 * The default largest payload of a frame: 16 MiB. @default {16777216}
 *
 * @example The default limit, and a lower one
 * ```ts
 * import assert from "node:assert/strict";
 * import { FrameTooLargeError } from "listenrain";
 * import { LengthPrefixedCodec } from "listenrain/framing";
 *
 * // The default: 16 MiB.
 * assert.equal(new LengthPrefixedCodec().maxFrameSize, 16 * 1024 * 1024);
 * const small = new LengthPrefixedCodec({ maxFrameSize: 1024 });
 * assert.throws(() => small.encode([new Uint8Array(2048)], 2048), FrameTooLargeError);
 * ```
 */
export const DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;

/**
 * Options of {@linkcode LengthPrefixedCodec}.
 *
 * @example A 2-byte little-endian length that counts itself
 * ```ts
 * import {
 *   LengthPrefixedCodec,
 *   type LengthPrefixedOptions,
 * } from "listenrain/framing";
 *
 * const options: LengthPrefixedOptions = {
 *   headerSize: 2,
 *   littleEndian: true,
 *   includeHeader: true,
 *   maxFrameSize: 4096,
 * };
 * const [header] = new LengthPrefixedCodec(options).encode([new Uint8Array(3)], 3);
 * console.log(header); // Uint8Array(2) [ 5, 0 ]: 3 bytes of payload + 2 of header
 * ```
 */
export interface LengthPrefixedOptions {
  /** Bytes in the length header: 1, 2, 4 or 8. @default {4} */
  headerSize?: 1 | 2 | 4 | 8;
  /** Read and write the length little-endian. @default {false} */
  littleEndian?: boolean;
  /** The length counts the header itself too. @default {false} */
  includeHeader?: boolean;
  /** The largest payload accepted or sent. @default {16777216} */
  maxFrameSize?: number;
}

/**
 * Length-prefixed {@linkcode PacketCodec}. With no options it is
 * byte-compatible with the Go seed: `u32 big-endian length ‖ payload`.
 *
 * @example Encoding a frame
 * ```ts
 * import { LengthPrefixedCodec } from "listenrain/framing";
 *
 * const codec = new LengthPrefixedCodec();
 * const [header, payload] = codec.encode([new Uint8Array([1, 2, 3])], 3);
 * console.log(header, payload); // Uint8Array(4) [ 0, 0, 0, 3 ] Uint8Array(3) [ 1, 2, 3 ]
 * ```
 */
export class LengthPrefixedCodec implements PacketCodec {
  readonly maxFrameSize: number;
  /** Bytes in the length header. */
  readonly headerSize: 1 | 2 | 4 | 8;
  /** Whether the length is little-endian. */
  readonly littleEndian: boolean;
  /** Whether the length counts the header itself. */
  readonly includeHeader: boolean;
  #header: Uint8Array;
  #view: DataView;

  /**
   * Creates a length-prefixed codec.
   *
   * @param options Header size, byte order and limit.
   * @throws {RangeError} If an option is out of range.
   */
  constructor(options: LengthPrefixedOptions = {}) {
    this.headerSize = options.headerSize ?? 4;
    if (![1, 2, 4, 8].includes(this.headerSize)) {
      throw new RangeError(
        `headerSize must be 1, 2, 4 or 8, got ${this.headerSize}`,
      );
    }
    this.littleEndian = options.littleEndian ?? false;
    this.includeHeader = options.includeHeader ?? false;
    const room = maxLength(this.headerSize) -
      (this.includeHeader ? this.headerSize : 0);
    this.maxFrameSize = options.maxFrameSize ??
      Math.min(DEFAULT_MAX_FRAME_SIZE, room);
    if (
      !Number.isSafeInteger(this.maxFrameSize) || this.maxFrameSize < 0 ||
      this.maxFrameSize > room
    ) {
      throw new RangeError(
        `maxFrameSize must be an integer from 0 to ${room} for a ${this.headerSize}-byte header, got ${this.maxFrameSize}`,
      );
    }
    this.#header = new Uint8Array(this.headerSize);
    this.#view = new DataView(this.#header.buffer);
  }

  /**
   * Frames a payload: `[header, ...payload]`. The header buffer is reused by
   * the next call.
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
    const value = this.includeHeader ? length + this.headerSize : length;
    writeLength(this.#view, this.headerSize, value, this.littleEndian);
    const parts = [this.#header];
    for (let i = 0; i < payload.length; i++) parts.push(payload[i]);
    return parts;
  }

  /**
   * The header's size, {@linkcode LengthPrefixedCodec.headerSize}, after
   * checking `length`.
   *
   * @param length The payload's length.
   * @returns The header's size in bytes.
   * @throws {FrameTooLargeError} If `length` exceeds `maxFrameSize`.
   */
  headerLength(length: number): number {
    if (length > this.maxFrameSize) {
      throw new FrameTooLargeError(length, this.maxFrameSize, "encode");
    }
    return this.headerSize;
  }

  /**
   * Writes the length header of a `length`-byte payload at `target[offset]`.
   *
   * @param target Where to write.
   * @param offset Where in `target`.
   * @param length The payload's length.
   */
  writeHeader(target: Uint8Array, offset: number, length: number): void {
    const value = this.includeHeader ? length + this.headerSize : length;
    if (this.headerSize === 4 && !this.littleEndian) {
      target[offset] = value >>> 24;
      target[offset + 1] = value >>> 16;
      target[offset + 2] = value >>> 8;
      target[offset + 3] = value;
      return;
    }
    writeLength(this.#view, this.headerSize, value, this.littleEndian);
    target.set(this.#header, offset);
  }

  /**
   * Creates a decoder for one stream.
   * @returns A decoder for one stream.
   */
  createDecoder(): FrameDecoder {
    return new LengthPrefixedDecoder(this);
  }
}

function maxLength(headerSize: number): number {
  return headerSize === 8 ? Number.MAX_SAFE_INTEGER : 2 ** (8 * headerSize) - 1;
}

function writeLength(
  view: DataView,
  size: number,
  value: number,
  le: boolean,
): void {
  if (size === 4) view.setUint32(0, value, le);
  else if (size === 2) view.setUint16(0, value, le);
  else if (size === 1) view.setUint8(0, value);
  else view.setBigUint64(0, BigInt(value), le);
}

function readLength(
  bytes: Uint8Array,
  at: number,
  size: number,
  le: boolean,
): number {
  if (size === 4 && !le) {
    return bytes[at] * 0x1000000 +
      ((bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, size);
  if (size === 4) return view.getUint32(0, le);
  if (size === 2) return view.getUint16(0, le);
  if (size === 1) return view.getUint8(0);
  const big = view.getBigUint64(0, le);
  return big > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(big);
}

class LengthPrefixedDecoder implements FrameDecoder, RangeFrameDecoder {
  #max: number;
  #size: number;
  #le: boolean;
  #adjust: number;
  /** A header split across chunks; made the first time one is. */
  #header: Uint8Array | undefined;
  #headerFill = 0;
  #frame = new FrameAssembler();

  constructor(codec: LengthPrefixedCodec) {
    this.#max = codec.maxFrameSize;
    this.#size = codec.headerSize;
    this.#le = codec.littleEndian;
    this.#adjust = codec.includeHeader ? codec.headerSize : 0;
  }

  get bufferedBytes(): number {
    return this.#headerFill + this.#frame.filled;
  }

  target(min: number): Uint8Array | undefined {
    return this.#frame.target(min);
  }

  advance(count: number, onFrame: (payload: Uint8Array) => void): void {
    this.#frame.advance(count, onFrame);
  }

  decode(chunk: Uint8Array, onFrame: (payload: Uint8Array) => void): void {
    this.#decode(chunk, onFrame, undefined);
  }

  [DECODE_RANGES](
    chunk: Uint8Array,
    onFrame: (payload: Uint8Array) => void,
    onRange: RangeCallback,
  ): void {
    this.#decode(chunk, onFrame, onRange);
  }

  #decode(
    chunk: Uint8Array,
    onFrame: (payload: Uint8Array) => void,
    onRange: RangeCallback | undefined,
  ): void {
    const size = this.#size;
    const end = chunk.byteLength;
    let at = 0;
    while (at < end) {
      if (this.#frame.active) {
        at = this.#frame.fill(chunk, at, onFrame);
        continue;
      }
      let length: number;
      if (this.#headerFill === 0 && end - at >= size) {
        length = this.#check(readLength(chunk, at, size, this.#le));
        at += size;
      } else {
        const take = Math.min(size - this.#headerFill, end - at);
        const header = this.#header ??= new Uint8Array(size);
        header.set(chunk.subarray(at, at + take), this.#headerFill);
        this.#headerFill += take;
        at += take;
        if (this.#headerFill < size) return;
        this.#headerFill = 0;
        length = this.#check(readLength(header, 0, size, this.#le));
      }
      if (end - at >= length) {
        if (onRange === undefined) onFrame(chunk.subarray(at, at + length));
        else onRange(chunk, at, at + length);
        at += length;
      } else {
        this.#frame.start(length);
      }
    }
  }

  #check(value: number): number {
    const length = value - this.#adjust;
    if (length < 0) {
      throw new ProtocolError(
        `Cannot decode frame: length ${value} is smaller than its ${this.#size}-byte header`,
      );
    }
    if (length > this.#max) throw new FrameTooLargeError(length, this.#max);
    return length;
  }
}
