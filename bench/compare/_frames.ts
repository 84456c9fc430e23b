/**
 * The raw peers' framing: a 4-byte big-endian length, then the payload, the
 * same bytes listenrain's `LengthPrefixedCodec` puts on the wire. A small
 * incremental reader that hands out frames as views of the chunk they lie in,
 * and assembles a frame split over several chunks into one buffer of its own
 * (which a pull-based reader can read into directly: {@linkcode FrameReader.target}).
 * Runtime-neutral.
 *
 * @module
 */

/** Bytes of the length prefix. */
export const HEADER = 4;

/**
 * Called with each whole frame: `frame` is header and payload, `payload` the
 * payload alone. Both are views that are only valid during the call.
 */
export type OnFrame = (frame: Uint8Array, payload: Uint8Array) => void;

/** Splits a byte stream into frames. */
export class FrameReader {
  /** A frame being assembled (header + payload), and how much of it is in. */
  #partial: Uint8Array | undefined;
  #have = 0;
  /** Header bytes of a frame whose header itself was split. */
  #head = new Uint8Array(HEADER);
  #headHave = 0;
  #max: number;

  /** @param maxFrame The largest payload accepted. */
  constructor(maxFrame = 64 * 1024 * 1024) {
    this.#max = maxFrame;
  }

  /**
   * Where the rest of a large split frame should be read to, so a pull-based
   * reader can skip a copy: a view of the assembly buffer, or `undefined`
   * when no frame is being assembled or less than `min` bytes are missing.
   * After reading `n` bytes into it, call {@linkcode FrameReader.advance}.
   *
   * @param min The fewest missing bytes worth a direct read.
   * @returns The view to read into, or `undefined`.
   */
  target(min: number): Uint8Array | undefined {
    const partial = this.#partial;
    if (partial === undefined || partial.length - this.#have < min) {
      return undefined;
    }
    return partial.subarray(this.#have);
  }

  /**
   * Counts `n` bytes read into {@linkcode FrameReader.target}; completes the
   * frame when it is whole.
   *
   * @param n Bytes read.
   * @param onFrame Called once if the frame is now whole.
   */
  advance(n: number, onFrame: OnFrame): void {
    const partial = this.#partial!;
    this.#have += n;
    if (this.#have === partial.length) {
      this.#partial = undefined;
      onFrame(partial, partial.subarray(HEADER));
    }
  }

  /**
   * Consumes one chunk.
   *
   * @param chunk The bytes read.
   * @param onFrame Called once per whole frame, in order.
   * @throws {RangeError} On a frame longer than the reader's maximum.
   */
  push(chunk: Uint8Array, onFrame: OnFrame): void {
    let at = 0;
    const end = chunk.length;
    if (this.#partial !== undefined) {
      const partial = this.#partial;
      const take = Math.min(partial.length - this.#have, end);
      partial.set(chunk.subarray(0, take), this.#have);
      this.#have += take;
      at = take;
      if (this.#have < partial.length) return;
      this.#partial = undefined;
      onFrame(partial, partial.subarray(HEADER));
    }
    if (this.#headHave > 0) {
      const take = Math.min(HEADER - this.#headHave, end - at);
      this.#head.set(chunk.subarray(at, at + take), this.#headHave);
      this.#headHave += take;
      at += take;
      if (this.#headHave < HEADER) return;
      this.#headHave = 0;
      const length = this.#length(this.#head, 0);
      const frame = new Uint8Array(HEADER + length);
      frame.set(this.#head);
      this.#partial = frame;
      this.#have = HEADER;
      return this.push(chunk.subarray(at), onFrame);
    }
    while (end - at >= HEADER) {
      const length = this.#length(chunk, at);
      const stop = at + HEADER + length;
      if (stop > end) {
        const frame = new Uint8Array(HEADER + length);
        frame.set(chunk.subarray(at));
        this.#partial = frame;
        this.#have = end - at;
        return;
      }
      onFrame(chunk.subarray(at, stop), chunk.subarray(at + HEADER, stop));
      at = stop;
    }
    if (at < end) {
      this.#head.set(chunk.subarray(at));
      this.#headHave = end - at;
    }
  }

  #length(bytes: Uint8Array, at: number): number {
    const length = ((bytes[at] << 24) | (bytes[at + 1] << 16) |
      (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
    if (length > this.#max) {
      throw new RangeError(
        `Frame of ${length} bytes exceeds the maximum ${this.#max}`,
      );
    }
    return length;
  }
}

/** Parts larger than this go out as their own chunk, without a copy. */
export const COPY_LIMIT = 64 * 1024;

/**
 * The frames of one tick, to be written at once: small parts are copied into
 * one chunk, larger ones follow uncopied (the way listenrain's `SendQueue`
 * batches, written out by hand).
 */
export class Batch {
  #parts: (Uint8Array | number)[] = [];
  #bytes = 0;

  /** Bytes in the batch. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Adds bytes that are already a frame (or several).
   *
   * @param frame The bytes; kept by reference until `take()` if large.
   */
  add(frame: Uint8Array): void {
    this.#parts.push(frame);
    this.#bytes += frame.length;
  }

  /**
   * Adds a frame made of a header and `payload`.
   *
   * @param payload The payload; kept by reference until `take()` if large.
   */
  addFrame(payload: Uint8Array): void {
    this.#parts.push(payload.length, payload);
    this.#bytes += HEADER + payload.length;
  }

  /**
   * Empties the batch.
   *
   * @returns The chunks to write, in order: usually one.
   */
  take(): Uint8Array[] {
    const parts = this.#parts;
    const chunks: Uint8Array[] = [];
    let run = 0;
    let start = 0;
    const copyRun = (end: number) => {
      if (run === 0) return;
      if (end - start === 1 && typeof parts[start] !== "number") {
        chunks.push(parts[start] as Uint8Array);
      } else {
        const out = new Uint8Array(run);
        let at = 0;
        for (let i = start; i < end; i++) {
          const part = parts[i];
          if (typeof part === "number") {
            out[at] = part >>> 24;
            out[at + 1] = part >>> 16;
            out[at + 2] = part >>> 8;
            out[at + 3] = part;
            at += HEADER;
          } else {
            out.set(part, at);
            at += part.length;
          }
        }
        chunks.push(out);
      }
      run = 0;
    };
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (typeof part === "number") {
        if (run === 0) start = i;
        run += HEADER;
      } else if (part.length > COPY_LIMIT) {
        copyRun(i);
        chunks.push(part);
      } else {
        if (run === 0) start = i;
        run += part.length;
      }
    }
    copyRun(parts.length);
    this.#parts = [];
    this.#bytes = 0;
    return chunks;
  }
}
