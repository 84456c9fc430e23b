/**
 * Fixed-size framing: every frame is exactly `frameSize` bytes, with no
 * header, as in many device and market-data protocols.
 *
 * @module
 */

import { FrameTooLargeError } from "../errors.ts";
import { FrameAssembler } from "./_frame_assembler.ts";
import type { FrameDecoder, PacketCodec } from "./packet_codec.ts";

/**
 * Options of {@linkcode FixedSizeCodec}.
 *
 * @example 8-byte records, padded with spaces
 * ```ts
 * import { FixedSizeCodec, type FixedSizeOptions } from "listenrain/framing";
 *
 * const options: FixedSizeOptions = { frameSize: 8, padding: 0x20 };
 * const codec = new FixedSizeCodec(options);
 * const parts = codec.encode([new TextEncoder().encode("BUY")], 3);
 * console.log(parts.map((part) => new TextDecoder().decode(part)).join("")); // "BUY     "
 * ```
 */
export interface FixedSizeOptions {
  /** Bytes in every frame (at least 1). */
  frameSize: number;
  /**
   * Pad shorter payloads with this byte (0–255) up to `frameSize` on encode.
   * Without it, a payload must be exactly `frameSize` bytes. Decoded frames
   * keep the padding: the message codec knows where its data ends.
   */
  padding?: number;
}

/**
 * Fixed-size {@linkcode PacketCodec}: the stream is cut every `frameSize`
 * bytes. `maxFrameSize` equals `frameSize`. Frames inside one chunk are
 * passed as views.
 *
 * @example 4-byte frames, padded with zeros
 * ```ts
 * import { FixedSizeCodec } from "listenrain/framing";
 *
 * const codec = new FixedSizeCodec({ frameSize: 4, padding: 0 });
 * const parts = codec.encode([new Uint8Array([1, 2])], 2);
 * console.log(parts); // [ Uint8Array(2) [ 1, 2 ], Uint8Array(2) [ 0, 0 ] ]
 * const frames: Uint8Array[] = [];
 * codec.createDecoder().decode(new Uint8Array(8), (f) => frames.push(f));
 * console.log(frames.length); // 2
 * ```
 */
export class FixedSizeCodec implements PacketCodec {
  readonly maxFrameSize: number;
  /** Bytes in every frame. */
  readonly frameSize: number;
  /** The padding byte, if shorter payloads are padded. */
  readonly padding: number | undefined;
  #pad: Uint8Array | undefined;

  /**
   * Creates the codec.
   *
   * @param options The frame size and padding.
   * @throws {RangeError} If `frameSize` is not a safe integer ≥ 1 or
   * `padding` is not a byte.
   */
  constructor(options: FixedSizeOptions) {
    const { frameSize, padding } = options;
    if (!Number.isSafeInteger(frameSize) || frameSize < 1) {
      throw new RangeError(
        `frameSize must be a safe integer >= 1, got ${frameSize}`,
      );
    }
    if (
      padding !== undefined &&
      (!Number.isInteger(padding) || padding < 0 || padding > 255)
    ) {
      throw new RangeError(
        `padding must be a byte from 0 to 255, got ${padding}`,
      );
    }
    this.frameSize = frameSize;
    this.maxFrameSize = frameSize;
    this.padding = padding;
  }

  /**
   * Frames a payload: the payload's parts, then padding if it is short.
   *
   * @param payload The payload's parts.
   * @param length The payload's total length.
   * @returns The frame's parts. The padding part is shared between calls.
   * @throws {FrameTooLargeError} If `length` exceeds `frameSize`.
   * @throws {RangeError} If `length` is less than `frameSize` and there is no
   * `padding`.
   */
  encode(payload: readonly Uint8Array[], length: number): Uint8Array[] {
    const size = this.frameSize;
    if (length > size) throw new FrameTooLargeError(length, size, "encode");
    if (length === size) return [...payload];
    if (this.padding === undefined) {
      throw new RangeError(
        `Cannot encode frame: payload of ${length} bytes is not frameSize ${size}, and no padding is set`,
      );
    }
    this.#pad ??= new Uint8Array(size).fill(this.padding);
    return [...payload, this.#pad.subarray(0, size - length)];
  }

  /**
   * Creates a decoder for one stream.
   *
   * @returns The decoder.
   */
  createDecoder(): FrameDecoder {
    return new FixedSizeDecoder(this.frameSize);
  }
}

class FixedSizeDecoder implements FrameDecoder {
  #size: number;
  #frame = new FrameAssembler();

  constructor(size: number) {
    this.#size = size;
  }

  get bufferedBytes(): number {
    return this.#frame.filled;
  }

  decode(chunk: Uint8Array, onFrame: (payload: Uint8Array) => void): void {
    const size = this.#size;
    const end = chunk.byteLength;
    let at = 0;
    if (this.#frame.active) at = this.#frame.fill(chunk, 0, onFrame);
    while (end - at >= size) {
      onFrame(chunk.subarray(at, at + size));
      at += size;
    }
    if (at < end) {
      this.#frame.start(size);
      this.#frame.fill(chunk, at, onFrame);
    }
  }
}
