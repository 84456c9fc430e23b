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

/**
 * Whether `text` is all ASCII (then its UTF-8 bytes are its char codes).
 *
 * @param text The text.
 * @returns True if every code unit is below 0x80.
 */
function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return false;
  }
  return true;
}

/**
 * The metadata block of `metadata`, built once per message. Keys are ASCII
 * and so are most values (tokens, trace context): their bytes are written
 * from the char codes; only non-ASCII text goes through a `TextEncoder`.
 *
 * @param metadata The metadata.
 * @param max The largest block allowed, in bytes.
 * @returns The block's bytes, the length prefix included.
 * @throws {CodecError} If it is larger than `max`.
 */
export function metadataBlock(metadata: Metadata, max: number): Uint8Array {
  const limit = Math.min(max, MAX_BLOCK + 2);
  const cached = cachedBlock(metadata);
  if (cached !== undefined) {
    // Built for another codec, maybe with a higher limit: check this one's.
    if (cached.byteLength > limit) tooLarge(cached.byteLength, limit);
    return cached;
  }
  let utf8: (Uint8Array | undefined)[] | undefined;
  let size = 2;
  let n = 0;
  for (const [key, value] of metadata) {
    let length: number;
    if (typeof value !== "string") length = value.byteLength;
    else if (isAscii(value)) length = value.length;
    else {
      const bytes = encoder.encode(value);
      (utf8 ??= [])[n] = bytes;
      length = bytes.byteLength;
    }
    size += 4 + key.length + length;
    n++;
  }
  if (size > limit) tooLarge(size, limit);
  const block = new Uint8Array(size);
  block[0] = (size - 2) >>> 8;
  block[1] = (size - 2) & 0xff;
  let at = 2;
  n = 0;
  for (const [key, value] of metadata) {
    block[at++] = key.length;
    for (let i = 0; i < key.length; i++) block[at++] = key.charCodeAt(i);
    const bytes = typeof value === "string" ? utf8?.[n] : value;
    block[at++] = typeof value === "string" ? TEXT : BYTES;
    if (bytes === undefined) {
      const text = value as string;
      block[at++] = text.length >>> 8;
      block[at++] = text.length & 0xff;
      for (let i = 0; i < text.length; i++) block[at++] = text.charCodeAt(i);
    } else {
      block[at++] = bytes.byteLength >>> 8;
      block[at++] = bytes.byteLength & 0xff;
      block.set(bytes, at);
      at += bytes.byteLength;
    }
    n++;
  }
  cacheBlock(metadata, block);
  return block;
}

/** Values up to this long that are ASCII are read without a TextDecoder. */
const SHORT_TEXT = 256;

/**
 * `payload[from, to)` as a string of its char codes if all are ASCII.
 *
 * @returns The text, or `undefined` if a byte is 0x80 or above.
 */
function asciiText(
  payload: Uint8Array,
  from: number,
  to: number,
): string | undefined {
  let text = "";
  for (let i = from; i < to; i++) {
    const byte = payload[i];
    if (byte > 0x7f) return undefined;
    text += String.fromCharCode(byte);
  }
  return text;
}

/**
 * Reads a metadata block at `payload[at]`.
 *
 * @param payload The envelope.
 * @param at Where the block starts.
 * @param max The largest block allowed, in bytes.
 * @param stop Where the envelope ends in `payload`.
 * @returns The metadata and where the body starts.
 * @throws {ProtocolError} If the block is truncated, too large or malformed.
 */
export function readMetadata(
  payload: Uint8Array,
  at: number,
  max: number,
  stop: number = payload.byteLength,
): [Metadata, number] {
  if (at + 2 > stop) fail("its length is cut off");
  const length = (payload[at] << 8) | payload[at + 1];
  if (length + 2 > max) {
    fail(`${length + 2} bytes exceeds maxMetadataSize ${max}`);
  }
  const end = at + 2 + length;
  if (end > stop) fail("it is cut off");
  const pairs: [string, MetadataValue][] = [];
  let i = at + 2;
  while (i < end) {
    const k = payload[i++];
    if (k === 0) fail("a key is empty");
    if (i + k + 3 > end) fail("an entry is cut off");
    // Latin-1: one char per byte, so a non-ASCII key fails the key check.
    let key = "";
    for (let c = i; c < i + k; c++) key += String.fromCharCode(payload[c]);
    i += k;
    const type = payload[i++];
    const v = (payload[i] << 8) | payload[i + 1];
    i += 2;
    if (i + v > end) fail(`the value of ${JSON.stringify(key)} is cut off`);
    const from = i;
    i += v;
    if (type === TEXT) {
      let text = v <= SHORT_TEXT ? asciiText(payload, from, i) : undefined;
      if (text === undefined) {
        try {
          text = decoder.decode(payload.subarray(from, i));
        } catch {
          fail(`the value of ${JSON.stringify(key)} is not UTF-8`);
        }
      }
      pairs.push([key, text]);
    } else if (type === BYTES) pairs.push([key, payload.slice(from, i)]);
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

function tooLarge(size: number, limit: number): never {
  throw new CodecError(
    `Cannot encode metadata: ${size} bytes exceeds maxMetadataSize ${limit}`,
  );
}

function fail(why: string): never {
  throw new ProtocolError(`Cannot decode envelope metadata: ${why}`);
}
