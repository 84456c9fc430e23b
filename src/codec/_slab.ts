/**
 * A bump allocator for small byte arrays. In V8, every `new Uint8Array(n)`
 * above 64 bytes allocates its own backing store, which costs as much as
 * encoding a small message; views of a shared slab do not. Each view is its
 * own region, so callers may keep them as long as they like (a view keeps
 * its slab alive).
 *
 * @module
 */

const SLAB_SIZE = 16 * 1024;
/** Arrays larger than this get their own buffer. */
export const SLAB_MAX = 1024;

let slab = new Uint8Array(SLAB_SIZE);
let offset = 0;

/**
 * @internal
 * @param length Bytes wanted.
 * @returns A zero-filled array of `length` bytes, from the slab when small.
 */
export function allocate(length: number): Uint8Array {
  if (length > SLAB_MAX) return new Uint8Array(length);
  if (offset + length > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    offset = 0;
  }
  const view = slab.subarray(offset, offset + length);
  offset += (length + 7) & ~7;
  return view;
}
