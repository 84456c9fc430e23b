/**
 * A vectored write for sockets that have none (Deno's `conn.write`, Bun's
 * `socket.write`): {@linkcode gather}, and the groups it is made of
 * ({@linkcode nextGroup}). Runtime-neutral. Private to `adapters/`.
 *
 * @module
 */

/** How many bytes of a large chunk are copied behind the small ones before it. */
export const GATHER_HEAD = 16 * 1024;

/**
 * One write's worth of `chunks` from index `from`: the small chunks (up to
 * {@linkcode GATHER_HEAD} bytes each) `from` ≤ i < `end`, copied together
 * with the first `head` bytes of `chunks[end]`, a large one (if any); the
 * rest of that large chunk follows as a view. When `end === from`, the
 * large chunk `chunks[from]` goes out alone, uncopied (`head` is 0). With
 * `whole` (see {@linkcode nextGroup}), large chunks that fit are among
 * those copied, and a group that ends after one has `head` 0.
 */
export interface Group {
  /** The index of the chunk after those copied whole (or `chunks.length`). */
  end: number;
  /** Bytes of `chunks[end]` copied behind the small chunks. */
  head: number;
  /** Bytes to copy: the small chunks' and `head`. */
  size: number;
}

/**
 * The group that starts at `chunks[from]` (see {@linkcode Group}).
 *
 * @param chunks The chunks, in order.
 * @param from The first chunk of the group (< `chunks.length`).
 * @param whole Large chunks are copied whole too while the group stays
 *   within this many bytes (0: only small chunks are); a group with one
 *   ends after the last one that fits (`head` 0), so the chunks after it
 *   (the next frame) start the next group.
 * @returns The group.
 *
 * @example A header and a large body
 * ```ts
 * import { nextGroup } from "./_gather.ts";
 * const group = nextGroup([new Uint8Array(4), new Uint8Array(100_000)], 0);
 * console.log(group); // { end: 1, head: 16384, size: 16388 }
 * ```
 */
export function nextGroup(
  chunks: readonly Uint8Array[],
  from: number,
  whole = 0,
): Group {
  let size = 0;
  let end = from;
  // After the last large chunk copied whole, and the group's size there.
  let afterWhole = from;
  let sizeThere = 0;
  while (end < chunks.length) {
    const length = chunks[end].length;
    if (length > GATHER_HEAD) {
      if (size + length > whole) {
        // The next frame does not fit: it starts the next group.
        if (afterWhole > from) {
          return { end: afterWhole, head: 0, size: sizeThere };
        }
        break;
      }
      afterWhole = end + 1;
      sizeThere = size + length;
    }
    size += length;
    end++;
  }
  const large: Uint8Array | undefined = chunks[end];
  const head = end === from || large === undefined
    ? 0
    : Math.min(large.length, GATHER_HEAD);
  return { end, head, size: size + head };
}

/**
 * Copies a group's small chunks and its large chunk's head into `into`.
 *
 * @param chunks The chunks, in order.
 * @param from The group's first chunk.
 * @param group The group, from {@linkcode nextGroup}.
 * @param into At least `group.size` bytes.
 * @returns `into`'s first `group.size` bytes.
 */
export function copyGroup(
  chunks: readonly Uint8Array[],
  from: number,
  group: Group,
  into: Uint8Array,
): Uint8Array {
  let at = 0;
  for (let k = from; k < group.end; k++) {
    into.set(chunks[k], at);
    at += chunks[k].length;
  }
  if (group.head > 0) into.set(chunks[group.end].subarray(0, group.head), at);
  return group.size === into.length ? into : into.subarray(0, group.size);
}

/**
 * The writes that send `chunks` in order with few calls and few copies: the
 * small chunks (up to {@linkcode GATHER_HEAD} bytes each) before a large one
 * are copied into one buffer with the large one's first
 * {@linkcode GATHER_HEAD} bytes, and the rest of the large one follows as a
 * view, uncopied. So a frame's header leaves with its body in one write (one
 * TCP segment fewer, and the peer's first read finds both), for a copy of
 * at most 16 KiB more.
 *
 * @param chunks The chunks, in order.
 * @returns The buffers to write, in order.
 *
 * @example A header and a large body
 * ```ts
 * import { gather } from "./_gather.ts";
 * const writes = gather([new Uint8Array(4), new Uint8Array(100_000)]);
 * console.log(writes.map((w) => w.length)); // [ 16388, 83616 ]
 * ```
 */
export function gather(chunks: readonly Uint8Array[]): Uint8Array[] {
  const writes: Uint8Array[] = [];
  let i = 0;
  while (i < chunks.length) {
    const group = nextGroup(chunks, i);
    const large: Uint8Array | undefined = chunks[group.end];
    if (group.end > i) {
      writes.push(copyGroup(chunks, i, group, new Uint8Array(group.size)));
    }
    if (large !== undefined && group.head < large.length) {
      writes.push(group.head === 0 ? large : large.subarray(group.head));
    }
    i = group.end + 1;
  }
  return writes;
}
