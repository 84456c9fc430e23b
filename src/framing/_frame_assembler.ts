/**
 * Collects the pieces of one frame that is split across chunks, holding only
 * the bytes that arrived (a peer that announces a large frame and then stalls
 * costs what it sent, not what it announced), and joins them once, at the end.
 *
 * @module
 */

/** @internal */
export class FrameAssembler {
  #parts: Uint8Array[] = [];
  #need = 0;
  #filled = 0;

  /** True while a frame is incomplete. */
  get active(): boolean {
    return this.#need > 0;
  }

  /** Bytes collected so far. */
  get filled(): number {
    return this.#filled;
  }

  /** Starts a frame of `length` bytes (`length` > 0). */
  start(length: number): void {
    this.#need = length;
    this.#filled = 0;
  }

  /**
   * Takes what the frame still needs from `chunk` starting at `at`, emits the
   * frame when complete, and returns the offset after what it took.
   */
  fill(
    chunk: Uint8Array,
    at: number,
    onFrame: (payload: Uint8Array) => void,
  ): number {
    const take = Math.min(this.#need - this.#filled, chunk.byteLength - at);
    this.#parts.push(chunk.subarray(at, at + take));
    this.#filled += take;
    if (this.#filled === this.#need) onFrame(this.#join());
    return at + take;
  }

  #join(): Uint8Array {
    const parts = this.#parts;
    const frame = parts.length === 1 ? parts[0] : new Uint8Array(this.#need);
    if (parts.length > 1) {
      let offset = 0;
      for (const part of parts) {
        frame.set(part, offset);
        offset += part.byteLength;
      }
    }
    this.#parts = [];
    this.#need = 0;
    this.#filled = 0;
    return frame;
  }
}
