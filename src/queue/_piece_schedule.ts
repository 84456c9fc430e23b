/**
 * When the {@linkcode SendQueue} writes the frames of a turn before the turn
 * ends: in pieces. Private to `src/queue/`.
 *
 * A batch that grows large is written in pieces: the peer starts on the
 * first while this side makes the next, so both ends work at once instead of
 * taking turns (measured: 64 B × 256 in flight, 0.32-0.42 → 0.52-0.70 × the
 * raw echo on Node and Deno; docs/benchmarks.md). Each piece of a turn is
 * twice the one before: the first starts the peer early, the later ones cost
 * fewer writes (a write to a socket costs the more, the smaller the frames).
 *
 * @module
 */

import { MAX_ARENA_SIZE } from "./_arena_pool.ts";

/** A turn's first piece is written once it holds this many frames... */
export const PIECE_FRAMES = 32;
/** ...or this many copied bytes, without waiting for the end of the turn. */
export const PIECE_BYTES = 64 * 1024;

/**
 * Counts a turn's frames and says when a piece is due.
 *
 * @example The 32nd frame of a turn makes the first piece
 * ```ts
 * import { PieceSchedule } from "./_piece_schedule.ts";
 * const pieces = new PieceSchedule();
 * let due = 0;
 * for (let i = 0; i < 32; i++) if (pieces.frameQueued(64 * i)) due++;
 * console.log(due); // 1
 * ```
 */
export class PieceSchedule {
  /** Frames queued since the last write began. */
  #frames = 0;
  /** The frames and bytes of the next piece: doubled by each piece of a turn. */
  #pieceFrames = PIECE_FRAMES;
  #pieceBytes = PIECE_BYTES;

  /**
   * A frame was queued.
   *
   * @param bytes Bytes copied into the batch since its last write.
   * @returns Whether to write a piece now.
   */
  frameQueued(bytes: number): boolean {
    if (++this.#frames < this.#pieceFrames && bytes < this.#pieceBytes) {
      return false;
    }
    this.#pieceFrames *= 2;
    this.#pieceBytes = Math.min(this.#pieceBytes * 2, MAX_ARENA_SIZE);
    return true;
  }

  /** A write began: its frames no longer count. */
  writeBegan(): void {
    this.#frames = 0;
  }

  /** The turn ended: the next turn's pieces start small again. */
  turnEnded(): void {
    this.#pieceFrames = PIECE_FRAMES;
    this.#pieceBytes = PIECE_BYTES;
  }
}
