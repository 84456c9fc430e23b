/**
 * Read buffers that follow the traffic, for adapters that read by call
 * (`conn.read(buffer)`). Runtime-neutral. Private to `adapters/`.
 *
 * A pending read must own its buffer, so an idle connection costs the buffer
 * it waits with: a new connection's first read waits with 512 bytes. When a
 * read fills the buffer, the next one is twice as large (up to 1 MiB), so a
 * bulk transfer takes few calls and large frames mostly lie inside one chunk
 * (the frame decoder then passes views instead of joining copies). A read
 * that fills its buffer hands the buffer over without a copy; a smaller one
 * is copied out (a new buffer costs more than the copy: engines zero it) and
 * the buffer is reused. After 16 reads in a row that used less than a
 * quarter, it shrinks by half, down to 4 KiB.
 *
 * @module
 */

/** The buffer a new connection's first read waits with. */
export const FIRST_READ_SIZE = 512;
/** The size a buffer that grew shrinks back to, at the least. */
export const MIN_READ_SIZE = 4 * 1024;
/** The largest read buffer. */
export const MAX_READ_SIZE = 1024 * 1024;
/** Small reads in a row before the buffer shrinks by half. */
const SHRINK_AFTER = 16;

/**
 * An adaptive read buffer.
 *
 * @example
 * ```ts
 * import { ReadBuffer } from "./_read_buffer.ts";
 * const buffers = new ReadBuffer();
 * const target = buffers.next();
 * target.set([1, 2, 3]);
 * console.log(buffers.take(3)); // Uint8Array(3) [ 1, 2, 3 ]
 * ```
 */
export class ReadBuffer {
  #size = FIRST_READ_SIZE;
  #maxSize: number;
  #buffer: Uint8Array | undefined;
  /** Reads in a row that used less than a quarter of the buffer. */
  #small = 0;

  /**
   * @param maxSize The largest buffer it grows to (a power of two, at least
   *   {@linkcode MIN_READ_SIZE}).
   */
  constructor(maxSize: number = MAX_READ_SIZE) {
    this.#maxSize = maxSize;
  }

  /** @returns The buffer to read into next. */
  next(): Uint8Array {
    return this.#buffer ??= new Uint8Array(this.#size);
  }

  /**
   * Takes the bytes the last read put into {@linkcode ReadBuffer.next}'s
   * buffer.
   *
   * @param count How many bytes the read returned.
   * @returns The bytes, owned by the caller.
   */
  take(count: number): Uint8Array {
    const buffer = this.#buffer!;
    const size = buffer.byteLength;
    let chunk: Uint8Array;
    if (count === size) {
      chunk = buffer;
      this.#buffer = undefined;
      this.#size = Math.min(size * 2, this.#maxSize);
    } else {
      chunk = buffer.slice(0, count);
    }
    if (count * 4 >= size) this.#small = 0;
    else if (++this.#small >= SHRINK_AFTER && this.#size > MIN_READ_SIZE) {
      this.#small = 0;
      this.#size = Math.max(this.#size / 2, MIN_READ_SIZE);
      if (this.#buffer && this.#buffer.byteLength > this.#size) {
        this.#buffer = undefined;
      }
    }
    return chunk;
  }
}
