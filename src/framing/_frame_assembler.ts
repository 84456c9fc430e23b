/**
 * Collects the pieces of one frame that is split across chunks, and joins
 * them once, at the end. It holds at most about twice the bytes that arrived
 * (a peer that announces a large frame and then stalls or trickles it costs
 * what it sent, not what it announced, nor an array per byte):
 *
 * - A large piece that fills at least half of its `ArrayBuffer` (a whole
 *   read, as runtimes hand them out) is kept as a view: a big frame is copied
 *   once, when it is joined.
 * - So is the frame's first piece when it came in a small array (a frame
 *   that lies in one chunk but whose end arrives later stays a view).
 * - Other pieces are copied into one growing buffer, so the arrays they
 *   came in are not pinned until the frame completes. That buffer starts
 *   small and doubles, never past what the frame can still need: an
 *   announced length is never allocated up front. A frame that arrived whole
 *   into it is emitted without another copy.
 * - A frame no larger than the largest one this assembler already completed
 *   (so the peer has sent that much in one frame before) gets its whole
 *   buffer at once, and each piece is copied into it as it arrives: the
 *   pieces' arrays die young instead of being held until the frame is
 *   joined (held, they outlive the young generation and cost old-space
 *   collections: on Node, 256 KiB echoed with one in flight went from
 *   0.4-0.6 to 0.8-0.9 × the raw echo; bench/large_frames_bench.ts), and
 *   the frame is still copied once. Such a frame holds its length, which is
 *   at most what the peer already sent in one frame. A reader that can read
 *   into a buffer of its choosing reads the rest of such a frame straight
 *   into it ({@linkcode FrameAssembler.target}): no chunk, no copy.
 *
 * @module
 */

/** Pieces at least this large (and at least half their buffer) are kept as views. */
export const MIN_VIEW_SIZE = 4 * 1024;
/** The first capacity of the buffer small pieces are copied into. */
export const FIRST_COPY_SIZE = 256;

/** @internal */
export class FrameAssembler {
  /** Finished segments, in order: kept views and filled copy buffers. */
  #parts: Uint8Array[] = [];
  /** Memory the finished segments hold. */
  #partsRetained = 0;
  /** The buffer small pieces are copied into, after `#parts`. */
  #open: Uint8Array | undefined;
  #used = 0;
  #filled = 0;
  #need = 0;
  /** The frame's whole buffer, for a frame no larger than `#largest`. */
  #whole: Uint8Array | undefined;
  /** The largest frame completed by `fill`: frames up to it get `#whole`. */
  #largest = 0;

  /** True while a frame started by {@linkcode FrameAssembler.start} is incomplete. */
  get active(): boolean {
    return this.#need > 0;
  }

  /** Bytes collected so far. */
  get filled(): number {
    return this.#filled;
  }

  /**
   * Bytes of memory the collected pieces hold: the kept views' whole
   * buffers and the copy buffers' capacity.
   */
  get retainedBytes(): number {
    return this.#partsRetained + (this.#open?.byteLength ?? 0) +
      (this.#whole?.byteLength ?? 0);
  }

  /** Starts a frame of `length` bytes (`length` > 0). */
  start(length: number): void {
    this.#need = length;
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
    const filled = this.#filled;
    const want = this.#need - filled;
    const take = Math.min(want, chunk.byteLength - at);
    const end = at + take;
    let whole = this.#whole;
    // A frame no larger than one completed before gets its whole buffer
    // with its first piece (unless that piece is all of it: a view).
    if (whole === undefined && filled === 0 && take < want) {
      if (this.#need <= this.#largest) {
        whole = this.#whole = new Uint8Array(this.#need);
      }
    }
    if (whole !== undefined) {
      whole.set(
        take === chunk.byteLength ? chunk : chunk.subarray(at, end),
        filled,
      );
      if (take < want) {
        this.#filled = filled + take;
        return end;
      }
      this.#whole = undefined;
      this.#filled = this.#need = 0;
      onFrame(whole);
      return end;
    }
    if (take < want) {
      this.append(chunk.subarray(at, end), want);
      return end;
    }
    if (this.#need > this.#largest) this.#largest = this.#need;
    const frame = this.join(this.#need, chunk.subarray(at, end));
    onFrame(frame);
    return end;
  }

  /**
   * Where the rest of the frame can be read to directly: a view of its whole
   * buffer (a frame no larger than one completed before, once its first
   * piece arrived), when at least `min` bytes are missing.
   *
   * @param min The fewest missing bytes worth it.
   * @returns The view, or `undefined`.
   */
  target(min: number): Uint8Array | undefined {
    const whole = this.#whole;
    const filled = this.#filled;
    if (whole === undefined || this.#need - filled < min) return undefined;
    return whole.subarray(filled);
  }

  /**
   * Counts `count` bytes read into {@linkcode FrameAssembler.target}'s view;
   * emits the frame once it is whole.
   *
   * @param count Bytes read, at most what the view holds.
   * @param onFrame Called with the frame if it is now whole.
   */
  advance(count: number, onFrame: (payload: Uint8Array) => void): void {
    const filled = this.#filled + count;
    if (filled < this.#need) {
      this.#filled = filled;
      return;
    }
    const whole = this.#whole!;
    this.#whole = undefined;
    this.#filled = this.#need = 0;
    onFrame(whole);
  }

  /**
   * Collects `piece` (which may be a view of a larger buffer).
   *
   * @param piece The bytes.
   * @param room The most bytes that can still be collected for this frame,
   * `piece` included: copy buffers never grow past it.
   */
  append(piece: Uint8Array, room: number): void {
    const size = piece.byteLength;
    if (size === 0) return;
    this.#filled += size;
    const open = this.#open;
    const used = this.#used;
    if (open !== undefined && used + size <= open.byteLength) {
      open.set(piece, used);
      this.#used = used + size;
      return;
    }
    if (this.#keepsView(piece, size)) {
      this.#close();
      this.#parts.push(piece);
      this.#partsRetained += piece.buffer.byteLength;
      return;
    }
    const capacity = Math.min(
      used + Math.max(room, size),
      Math.max(
        (open?.byteLength ?? 0) * 2,
        used + size * 2,
        FIRST_COPY_SIZE,
      ),
    );
    const grown = new Uint8Array(capacity);
    if (open !== undefined) grown.set(open.subarray(0, used));
    grown.set(piece, used);
    this.#open = grown;
    this.#used = used + size;
  }

  /**
   * Returns the first `length` bytes of what was collected followed by
   * `last` (which is not kept), as one array, and clears the assembler.
   *
   * @param length The frame's length: at most what was collected plus `last`.
   * @param last The frame's final piece.
   */
  join(length: number, last: Uint8Array): Uint8Array {
    const parts = this.#parts;
    const open = this.#open;
    const used = this.#used;
    this.#parts = [];
    this.#partsRetained = 0;
    this.#open = undefined;
    this.#used = 0;
    this.#filled = 0;
    this.#need = 0;
    if (parts.length === 0 && open === undefined) {
      return last.subarray(0, length);
    }
    if (parts.length === 0 && length <= open!.byteLength) {
      if (length > used) open!.set(last.subarray(0, length - used), used);
      return length === open!.byteLength ? open! : open!.subarray(0, length);
    }
    if (parts.length > 0 && length <= parts[0].byteLength) {
      return parts[0].subarray(0, length);
    }
    if (open !== undefined) parts.push(open.subarray(0, used));
    const frame = new Uint8Array(length);
    let offset = 0;
    for (const part of parts) {
      const take = Math.min(part.byteLength, length - offset);
      frame.set(
        take === part.byteLength ? part : part.subarray(0, take),
        offset,
      );
      offset += take;
      if (offset === length) return frame;
    }
    frame.set(last.subarray(0, length - offset), offset);
    return frame;
  }

  /**
   * Whether `piece` is kept as a view: a large piece that fills at least half
   * of its buffer, or the frame's first piece if its buffer wastes at most
   * {@linkcode MIN_VIEW_SIZE} more than that (so a frame that lies in one
   * chunk but whose end arrives in the next is passed on as a view of it).
   */
  #keepsView(piece: Uint8Array, size: number): boolean {
    const buffer = piece.buffer.byteLength;
    if (this.#filled === size) return buffer <= size * 2 + MIN_VIEW_SIZE;
    return size >= MIN_VIEW_SIZE && buffer <= size * 2;
  }

  /** Moves the copy buffer, if any, to the finished segments. */
  #close(): void {
    const open = this.#open;
    if (open === undefined) return;
    this.#parts.push(open.subarray(0, this.#used));
    this.#partsRetained += open.byteLength;
    this.#open = undefined;
    this.#used = 0;
  }
}
