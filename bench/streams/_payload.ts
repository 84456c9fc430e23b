/**
 * What the stream benchmark's peers share: the request that asks for a
 * stream (`count` messages of `size` bytes, `count` 0 meaning until the
 * reader cancels), the one payload every peer sends over and over (a fixed
 * pattern, never changed, so no peer pays for a fresh buffer per message),
 * and the reader's check of each message. Runtime-neutral.
 *
 * @module
 */

/** Bytes of a stream request: u32 count, u32 size (big-endian). */
export const REQUEST_BYTES = 8;

/**
 * Encodes a stream request.
 *
 * @param count Messages to send; 0: until the reader cancels.
 * @param size Bytes per message.
 * @returns The request's bytes.
 */
export function encodeRequest(count: number, size: number): Uint8Array {
  const bytes = new Uint8Array(REQUEST_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, count);
  view.setUint32(4, size);
  return bytes;
}

/**
 * Decodes a stream request.
 *
 * @param bytes The request's bytes.
 * @returns The count (0: unbounded) and the size of each message.
 * @throws {RangeError} On a request of the wrong length.
 */
export function decodeRequest(
  bytes: Uint8Array,
): { count: number; size: number } {
  if (bytes.length !== REQUEST_BYTES) {
    throw new RangeError(`A stream request has ${REQUEST_BYTES} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return { count: view.getUint32(0), size: view.getUint32(4) };
}

/** The byte at `i` of every payload. */
const byteAt = (i: number): number => (i * 31 + 7) & 0xff;

const payloads = new Map<number, Uint8Array>();

/**
 * The payload of `size` bytes (one per size, shared: never write to it).
 *
 * @param size Its length.
 * @returns The payload.
 */
export function payload(size: number): Uint8Array {
  let bytes = payloads.get(size);
  if (bytes === undefined) {
    bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = byteAt(i);
    payloads.set(size, bytes);
  }
  return bytes;
}

/**
 * Checks a message read: its length, and its bytes (every byte up to
 * 256 bytes, else the first, middle and last 8: the same cost for every
 * peer, small next to a 64 KiB read).
 *
 * @param message The message.
 * @param size The length it must have.
 * @throws {Error} If it is not the payload.
 */
export function check(message: Uint8Array, size: number): void {
  if (message.length !== size) {
    throw new Error(`A message of ${message.length} bytes, not ${size}`);
  }
  if (size <= 256) {
    for (let i = 0; i < size; i++) {
      if (message[i] !== byteAt(i)) throw new Error(`Byte ${i} differs`);
    }
    return;
  }
  const mid = size >> 1;
  for (const start of [0, mid, size - 8]) {
    for (let i = start; i < start + 8; i++) {
      if (message[i] !== byteAt(i)) throw new Error(`Byte ${i} differs`);
    }
  }
}
