/**
 * The last metadata block the envelope built, kept for the next call with
 * the same `Metadata` (encode() asks for the header's length, then writes
 * it; a client's default metadata is sent with every request). A
 * `Metadata` that changes drops it.
 *
 * @module
 */

let owner: object | undefined;
let block: Uint8Array | undefined;

/**
 * The block cached for `metadata`, if any.
 *
 * @param metadata The metadata.
 * @returns Its block, or `undefined`.
 */
export function cachedBlock(metadata: object): Uint8Array | undefined {
  return owner === metadata ? block : undefined;
}

/**
 * Caches `bytes` as the block of `metadata`.
 *
 * @param metadata The metadata.
 * @param bytes Its block.
 */
export function cacheBlock(metadata: object, bytes: Uint8Array): void {
  owner = metadata;
  block = bytes;
}

/**
 * Drops the cached block of `metadata` (it changed).
 *
 * @param metadata The metadata.
 */
export function invalidateBlock(metadata: object): void {
  if (owner === metadata) owner = block = undefined;
}
