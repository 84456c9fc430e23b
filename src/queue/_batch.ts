/**
 * The bytes a `SendQueue` holds until they are written: small
 * frames copied one after another into an arena, large parts kept as they
 * are. Private to the queue.
 *
 * @module
 */

import {
  MAX_ARENA_SIZE,
  MIN_ARENA_SIZE,
  releaseArena,
  takeArena,
} from "./_arena_pool.ts";

/**
 * The chunks to write next, and the arena the current batch is copied into.
 * The queue copies a frame to `arena()[fill]` and adds its length to
 * `fill`; `seal()` ends the batch as a chunk (before a large part, which
 * becomes a chunk of its own, and before each write).
 *
 * @example Two frames copied, sealed as one chunk
 * ```ts
 * import { Batch } from "./_batch.ts";
 * const batch = new Batch();
 * for (const frame of [new Uint8Array([1, 2]), new Uint8Array([3])]) {
 *   batch.room(frame.byteLength).set(frame, batch.fill);
 *   batch.fill += frame.byteLength;
 * }
 * batch.seal();
 * console.log(batch.chunks); // [ Uint8Array(3) [ 1, 2, 3 ] ]
 * ```
 */
export class Batch {
  /** Sealed chunks ready to write. */
  chunks: Uint8Array[] = [];
  /** Full arenas whose chunks are queued or being written. */
  retired: Uint8Array[] = [];
  /** The chunks `take()` took last, being written (empty until then). */
  taken: Uint8Array[] = [];
  /** The retired arenas `take()` took with them. */
  takenRetired: Uint8Array[] = [];
  /**
   * The arrays of the write before, emptied, for the next `take()`: a new
   * pair per write would be two arrays and a backing store per batch
   * (measured: 55 → 33 B per request in `SendQueue`'s write loop, 64 B ×
   * 16 in flight).
   */
  #spareChunks: Uint8Array[] | undefined = [];
  #spareRetired: Uint8Array[] | undefined = [];
  /** Where the batch being copied starts in the arena. */
  start = 0;
  /** Where the next frame is copied to in the arena. */
  fill = 0;
  /** The arena frames are copied into; none while the queue is idle. */
  #arena: Uint8Array | undefined;
  /** The size of the next arena (how it changes: see `_arena_pool.ts`). */
  #arenaSize = MIN_ARENA_SIZE;
  /** Bytes copied into the arenas retired since the queue was last idle. */
  #retiredBytes = 0;

  /** The arena, with `bytes` of room at `fill` (a new one if needed). */
  room(bytes: number): Uint8Array {
    let arena = this.#arena;
    if (arena === undefined) {
      arena = this.#arena = this.#takeArena(bytes);
    } else if (this.fill + bytes > arena.byteLength) {
      this.seal();
      this.retired.push(arena);
      this.#retiredBytes += this.fill;
      // The batch outgrew its arena: the next one is twice as large.
      this.#arenaSize = Math.min(this.#arenaSize * 2, MAX_ARENA_SIZE);
      arena = this.#arena = this.#takeArena(bytes);
      this.start = this.fill = 0;
    }
    return arena;
  }

  /** Ends the current batch: its bytes become a chunk of their own. */
  seal(): void {
    if (this.fill > this.start) {
      this.chunks.push(this.#arena!.subarray(this.start, this.fill));
      this.start = this.fill;
    }
  }

  /**
   * Takes the sealed chunks and the retired arenas for a write: `chunks`
   * and `retired` start again empty. `chunks` must not be read again after
   * `written` was called.
   */
  take(): void {
    this.taken = this.chunks;
    this.takenRetired = this.retired;
    this.chunks = this.#spareChunks ?? [];
    this.retired = this.#spareRetired ?? [];
    this.#spareChunks = this.#spareRetired = undefined;
  }

  /**
   * The write of `taken` completed: the channel holds none of its chunks
   * (the Channel contract), so the arenas retired before it go back to the
   * pool, and its arrays, emptied, serve the next `take`.
   */
  written(): void {
    const chunks = this.taken;
    const retired = this.takenRetired;
    for (const arena of retired) releaseArena(arena);
    // Emptied by `pop`: `length = 0` would free the backing store too.
    while (chunks.length > 0) chunks.pop();
    while (retired.length > 0) retired.pop();
    this.#spareChunks = chunks;
    this.#spareRetired = retired;
  }

  /**
   * Everything was written: the arena goes back to the shared pool (and
   * the next one is half as large if this busy spell, in all its arenas,
   * used less than a quarter of it). Counting only the last arena's bytes
   * made a spell that outgrows an arena of N bytes by less than N / 2
   * (64 B × 256 in flight when writes complete later, as on Deno: 21 KiB
   * into 16 KiB) take 2N, then halve back to N at the end, so that every
   * spell was written as two chunks (a vectored write, which Deno's
   * channel emulates with a copy of both).
   */
  release(): void {
    const arena = this.#arena;
    if (arena) {
      if ((this.#retiredBytes + this.fill) * 4 < arena.byteLength) {
        this.#arenaSize = Math.max(this.#arenaSize / 2, MIN_ARENA_SIZE);
      }
      releaseArena(arena);
    }
    this.#arena = undefined;
    this.#retiredBytes = 0;
    this.start = this.fill = 0;
  }

  /** Forgets everything (a write may still hold the arena: no reuse). */
  drop(): void {
    this.chunks = [];
    this.retired = [];
    this.#arena = undefined;
    this.#retiredBytes = 0;
    this.start = this.fill = 0;
  }

  /**
   * An arena of the current size, or larger: twice `bytes` where it can, so
   * that the frames after a large one still join its batch.
   */
  #takeArena(bytes: number): Uint8Array {
    while (this.#arenaSize < bytes * 2 && this.#arenaSize < MAX_ARENA_SIZE) {
      this.#arenaSize *= 2;
    }
    return takeArena(this.#arenaSize);
  }
}
