/**
 * The arenas a {@linkcode SendQueue} copies small frames into, shared by every
 * queue of the process.
 *
 * @module
 */

/**
 * A queue's first arena. The size of a queue's next arena starts here, is
 * doubled (up to {@linkcode MAX_ARENA_SIZE}) when a batch outgrows its arena,
 * and halved when the queue goes idle having used less than a quarter of it.
 * A connection that sends little holds little while its write is in flight
 * (Deno's writes complete later).
 */
export const MIN_ARENA_SIZE = 16 * 1024;
/** The largest arena size. */
export const MAX_ARENA_SIZE = 256 * 1024;
/**
 * Arenas whose chunks were all written, by size, shared by every queue of
 * the process (one thread), so that an idle connection holds none.
 */
const freeArenas = new Map<number, Uint8Array[]>();
/** Free arenas kept of each size. */
const MAX_FREE_ARENAS = 8;

/** A free arena of `size` bytes, or a new one. */
export function takeArena(size: number): Uint8Array {
  return freeArenas.get(size)?.pop() ?? new Uint8Array(size);
}

/** Gives an arena whose chunks were all written back to the pool. */
export function releaseArena(arena: Uint8Array): void {
  const size = arena.byteLength;
  let free = freeArenas.get(size);
  if (free === undefined) freeArenas.set(size, free = []);
  if (free.length < MAX_FREE_ARENAS) free.push(arena);
}
