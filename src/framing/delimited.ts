/**
 * Delimiter-based framing: each frame is the payload then a delimiter, such as
 * `\n` (newline-delimited JSON, JSON-RPC over TCP), `\r\n` (text protocols) or
 * any byte sequence.
 *
 * @module
 */

import { FrameTooLargeError, ProtocolError } from "../errors.ts";
import { DEFAULT_MAX_FRAME_SIZE } from "./length_prefixed.ts";
import type { FrameDecoder, PacketCodec } from "./packet_codec.ts";
import { FrameAssembler } from "./_frame_assembler.ts";

/**
 * Options of {@linkcode DelimitedCodec}.
 *
 * @example CRLF-terminated lines, blank lines skipped
 * ```ts
 * import { DelimitedCodec, type DelimitedOptions } from "listenrain/framing";
 *
 * const options: DelimitedOptions = { delimiter: "\r\n", skipEmpty: true, maxFrameSize: 1024 };
 * const decoder = new DelimitedCodec(options).createDecoder();
 * const lines: string[] = [];
 * const input = new TextEncoder().encode("HELO\r\n\r\nQUIT\r\n");
 * decoder.decode(input, (line) => lines.push(new TextDecoder().decode(line)));
 * console.log(lines); // [ "HELO", "QUIT" ]
 * ```
 */
export interface DelimitedOptions {
  /** What ends a frame: a string (as UTF-8) or bytes, at least one byte. @default {"\n"} */
  delimiter?: string | Uint8Array;
  /** The longest frame accepted or sent, not counting the delimiter. @default {16777216} */
  maxFrameSize?: number;
  /** Drop empty frames (two delimiters in a row) instead of passing them on. @default {false} */
  skipEmpty?: boolean;
  /**
   * Check on encode that a payload does not contain the delimiter (which
   * would split it in two on the other side). Costs a scan of each payload.
   * @default {true}
   */
  checkPayload?: boolean;
}

const encoder = new TextEncoder();

/**
 * Delimiter-based {@linkcode PacketCodec}: `payload ‖ delimiter`. Payloads
 * must not contain the delimiter (checked on encode unless `checkPayload` is
 * off); the delimiter is not part of the decoded payload.
 *
 * The decoder scans for the delimiter (with `indexOf` for one byte, a
 * Knuth–Morris–Pratt matcher that carries its state across chunks for longer
 * ones), passes frames that lie inside one chunk as views, and fails with
 * {@linkcode FrameTooLargeError} as soon as the bytes of an unfinished frame
 * exceed `maxFrameSize`, before keeping them.
 *
 * @example Newline-delimited frames
 * ```ts
 * import { DelimitedCodec } from "listenrain/framing";
 *
 * const codec = new DelimitedCodec({ delimiter: "\r\n" });
 * const frames: string[] = [];
 * const decoder = codec.createDecoder();
 * const text = new TextEncoder().encode("PING\r\nPONG\r");
 * decoder.decode(text, (f) => frames.push(new TextDecoder().decode(f)));
 * decoder.decode(new Uint8Array([10]), (f) => frames.push(new TextDecoder().decode(f)));
 * console.log(frames); // [ "PING", "PONG" ]
 * ```
 */
export class DelimitedCodec implements PacketCodec {
  readonly maxFrameSize: number;
  /** The delimiter's bytes (do not change them). */
  readonly delimiter: Uint8Array;
  /** Whether empty frames are skipped when decoding. */
  readonly skipEmpty: boolean;
  /** Whether `encode` rejects payloads that contain the delimiter. */
  readonly checkPayload: boolean;
  /** KMP failure function of the delimiter. */
  #fail: Uint32Array;

  /**
   * Creates the codec.
   *
   * @param options Delimiter, limit and checks.
   * @throws {RangeError} If the delimiter is empty or `maxFrameSize` is not
   * a safe integer ≥ 0.
   */
  constructor(options: DelimitedOptions = {}) {
    const delimiter = options.delimiter ?? "\n";
    this.delimiter = typeof delimiter === "string"
      ? encoder.encode(delimiter)
      : delimiter.slice();
    if (this.delimiter.byteLength === 0) {
      throw new RangeError("delimiter must be at least one byte");
    }
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    if (!Number.isSafeInteger(this.maxFrameSize) || this.maxFrameSize < 0) {
      throw new RangeError(
        `maxFrameSize must be a safe integer >= 0, got ${this.maxFrameSize}`,
      );
    }
    this.skipEmpty = options.skipEmpty ?? false;
    this.checkPayload = options.checkPayload ?? true;
    this.#fail = failureFunction(this.delimiter);
  }

  /**
   * Frames a payload: `[...payload, delimiter]`.
   *
   * @param payload The payload's parts.
   * @param length The payload's total length.
   * @returns The frame's parts; the last is the codec's own delimiter.
   * @throws {FrameTooLargeError} If `length` exceeds `maxFrameSize`.
   * @throws {ProtocolError} If `checkPayload` is on and the payload contains
   * the delimiter, or ends with bytes that run into it (so that the
   * delimiter would be found too early).
   */
  encode(payload: readonly Uint8Array[], length: number): Uint8Array[] {
    if (length > this.maxFrameSize) {
      throw new FrameTooLargeError(length, this.maxFrameSize, "encode");
    }
    if (this.checkPayload) this.#check(payload);
    return [...payload, this.delimiter];
  }

  /**
   * Creates a decoder for one stream.
   *
   * @returns The decoder.
   */
  createDecoder(): FrameDecoder {
    return new DelimitedDecoder(this, this.#fail);
  }

  #check(payload: readonly Uint8Array[]): void {
    const delimiter = this.delimiter;
    const matcher = new Matcher(delimiter, this.#fail);
    let offset = 0;
    for (const part of payload) {
      const found = matcher.scan(part, 0);
      if (found !== -1) {
        throw new ProtocolError(
          `Cannot encode frame: the payload contains the delimiter (ending at byte ${
            offset + found
          })`,
        );
      }
      offset += part.byteLength;
    }
    // The delimiter must be found exactly at its own end, not earlier.
    if (matcher.scan(delimiter, 0) !== delimiter.byteLength) {
      throw new ProtocolError(
        "Cannot encode frame: the payload ends with bytes that run into the delimiter",
      );
    }
  }
}

/** Knuth–Morris–Pratt: `fail[k]` is the longest proper border of `d[0..k]`. */
function failureFunction(delimiter: Uint8Array): Uint32Array {
  const fail = new Uint32Array(delimiter.byteLength);
  let k = 0;
  for (let i = 1; i < delimiter.byteLength; i++) {
    while (k > 0 && delimiter[i] !== delimiter[k]) k = fail[k - 1];
    if (delimiter[i] === delimiter[k]) k++;
    fail[i] = k;
  }
  return fail;
}

/** A streaming delimiter search whose state (bytes matched) spans chunks. */
class Matcher {
  /** Delimiter bytes matched at the end of what was scanned. */
  state = 0;
  #d: Uint8Array;
  #fail: Uint32Array;

  constructor(delimiter: Uint8Array, fail: Uint32Array) {
    this.#d = delimiter;
    this.#fail = fail;
  }

  /**
   * Scans `chunk` from `from`; returns the offset just after the next
   * complete delimiter (and resets the state), or -1 if none.
   */
  scan(chunk: Uint8Array, from: number): number {
    const d = this.#d;
    const size = d.byteLength;
    if (size === 1) {
      const at = chunk.indexOf(d[0], from);
      return at === -1 ? -1 : at + 1;
    }
    const fail = this.#fail;
    const end = chunk.byteLength;
    let state = this.state;
    let i = from;
    while (i < end) {
      if (state === 0) {
        // Skip to the next possible start natively.
        const at = chunk.indexOf(d[0], i);
        if (at === -1) break;
        i = at;
      }
      const byte = chunk[i++];
      while (state > 0 && byte !== d[state]) state = fail[state - 1];
      if (byte === d[state]) state++;
      if (state === size) {
        this.state = 0;
        return i;
      }
    }
    this.state = state;
    return -1;
  }
}

class DelimitedDecoder implements FrameDecoder {
  #max: number;
  #size: number;
  #skipEmpty: boolean;
  #matcher: Matcher;
  /** The unfinished frame (possibly ending in delimiter bytes). */
  #frame = new FrameAssembler();

  constructor(codec: DelimitedCodec, fail: Uint32Array) {
    this.#max = codec.maxFrameSize;
    this.#size = codec.delimiter.byteLength;
    this.#skipEmpty = codec.skipEmpty;
    this.#matcher = new Matcher(codec.delimiter, fail);
  }

  get bufferedBytes(): number {
    return this.#frame.filled;
  }

  decode(chunk: Uint8Array, onFrame: (payload: Uint8Array) => void): void {
    const end = chunk.byteLength;
    let start = 0;
    for (;;) {
      const after = this.#matcher.scan(chunk, start);
      const buffered = this.#frame.filled;
      if (after === -1) {
        const pending = buffered + end - start;
        // Matched delimiter bytes at the end may still end the frame.
        const least = pending - this.#matcher.state;
        if (least > this.#max) throw new FrameTooLargeError(least, this.#max);
        // At most `max` bytes of payload and a delimiter but its last byte.
        const room = this.#max + this.#size - 1 - buffered;
        this.#frame.append(chunk.subarray(start, end), room);
        return;
      }
      const length = buffered + after - start - this.#size;
      if (length > this.#max) throw new FrameTooLargeError(length, this.#max);
      const frame = buffered === 0
        ? chunk.subarray(start, start + length)
        : this.#frame.join(
          length,
          chunk.subarray(start, Math.max(start, start + length - buffered)),
        );
      if (length > 0 || !this.#skipEmpty) onFrame(frame);
      start = after;
    }
  }
}
