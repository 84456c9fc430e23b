/**
 * The envelope's metadata block, byte by byte (docs/PROTOCOL.md):
 *
 * ```
 * 2  u16 length m of the entries that follow
 * m  entries, each: u8 key length k, k bytes of key (lower-case ASCII),
 *    u8 type (0 text in UTF-8, 1 bytes), u16 value length v, v bytes of value
 * ```
 *
 * @module
 */

import { CodecError, ProtocolError } from "../errors.ts";
import { Metadata, type MetadataValue } from "./metadata.ts";
import { cacheBlock, cachedBlock } from "./_metadata_cache.ts";

/** The default of `maxMetadataSize`: the metadata block's bytes at most. */
export const DEFAULT_MAX_METADATA_SIZE = 8192;

const TEXT = 0;
const BYTES = 1;
const MAX_BLOCK = 0xffff;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const keyDecoder = new TextDecoder("latin1");

/**
 * The metadata block of `metadata`, built once per message.
 *
 * @param metadata The metadata.
 * @param max The largest block allowed, in bytes.
 * @returns The block's bytes, the length prefix included.
 * @throws {CodecError} If it is larger than `max`.
 */
export function metadataBlock(metadata: Metadata, max: number): Uint8Array {
  const cached = cachedBlock(metadata);
  if (cached !== undefined) return cached;
  const keys: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  let size = 2;
  for (const [key, value] of metadata) {
    const k = encoder.encode(key);
    const v = typeof value === "string" ? encoder.encode(value) : value;
    keys.push(k);
    values.push(v);
    size += 4 + k.byteLength + v.byteLength;
  }
  const limit = Math.min(max, MAX_BLOCK + 2);
  if (size > limit) {
    throw new CodecError(
      `Cannot encode metadata: ${size} bytes exceeds maxMetadataSize ${limit}`,
    );
  }
  const block = new Uint8Array(size);
  const view = new DataView(block.buffer);
  view.setUint16(0, size - 2);
  let at = 2;
  let i = 0;
  for (const [, value] of metadata) {
    const k = keys[i], v = values[i++];
    block[at++] = k.byteLength;
    block.set(k, at);
    at += k.byteLength;
    block[at++] = typeof value === "string" ? TEXT : BYTES;
    view.setUint16(at, v.byteLength);
    at += 2;
    block.set(v, at);
    at += v.byteLength;
  }
  cacheBlock(metadata, block);
  return block;
}

/**
 * Reads a metadata block at `payload[at]`.
 *
 * @param payload The envelope.
 * @param at Where the block starts.
 * @param max The largest block allowed, in bytes.
 * @returns The metadata and where the body starts.
 * @throws {ProtocolError} If the block is truncated, too large or malformed.
 */
export function readMetadata(
  payload: Uint8Array,
  at: number,
  max: number,
): [Metadata, number] {
  if (at + 2 > payload.byteLength) fail("its length is cut off");
  const length = (payload[at] << 8) | payload[at + 1];
  if (length + 2 > max) {
    fail(`${length + 2} bytes exceeds maxMetadataSize ${max}`);
  }
  const end = at + 2 + length;
  if (end > payload.byteLength) fail("it is cut off");
  const pairs: [string, MetadataValue][] = [];
  let i = at + 2;
  while (i < end) {
    const k = payload[i++];
    if (k === 0 || i + k + 3 > end) fail("an entry is cut off");
    const key = keyDecoder.decode(payload.subarray(i, i + k));
    i += k;
    const type = payload[i++];
    const v = (payload[i] << 8) | payload[i + 1];
    i += 2;
    if (i + v > end) fail(`the value of ${JSON.stringify(key)} is cut off`);
    const bytes = payload.subarray(i, i + v);
    i += v;
    if (type === TEXT) {
      let text: string;
      try {
        text = decoder.decode(bytes);
      } catch {
        fail(`the value of ${JSON.stringify(key)} is not UTF-8`);
      }
      pairs.push([key, text!]);
    } else if (type === BYTES) pairs.push([key, bytes.slice()]);
    else fail(`unknown value type ${type}`);
  }
  let metadata: Metadata;
  try {
    metadata = new Metadata(pairs);
  } catch (error) {
    fail((error as Error).message);
  }
  return [metadata!, end];
}

function fail(why: string): never {
  throw new ProtocolError(`Cannot decode envelope metadata: ${why}`);
}
