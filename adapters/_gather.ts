/**
 * A vectored write for sockets that have none (Deno's `conn.write`, Bun's
 * `socket.write`): {@linkcode gather}. Runtime-neutral. Private to
 * `adapters/`.
 *
 * @module
 */

/** How many bytes of a large chunk are copied behind the small ones before it. */
export const GATHER_HEAD = 16 * 1024;

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
    let small = 0;
    let j = i;
    while (j < chunks.length && chunks[j].length <= GATHER_HEAD) {
      small += chunks[j++].length;
    }
    const large: Uint8Array | undefined = chunks[j];
    if (j === i) {
      writes.push(large);
      i++;
      continue;
    }
    const head = large === undefined ? 0 : Math.min(large.length, GATHER_HEAD);
    const gathered = new Uint8Array(small + head);
    let at = 0;
    for (let k = i; k < j; k++) {
      gathered.set(chunks[k], at);
      at += chunks[k].length;
    }
    if (head > 0) gathered.set(large.subarray(0, head), at);
    writes.push(gathered);
    if (large !== undefined && head < large.length) {
      writes.push(large.subarray(head));
    }
    i = large === undefined ? j : j + 1;
  }
  return writes;
}
