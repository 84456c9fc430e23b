/**
 * Bytes for tests: from a hex dump, and parts joined into one array.
 */

/**
 * Bytes from a hex dump like "01 00 00000007" (spaces are ignored).
 *
 * @param dump Hex digits, in pairs.
 * @returns The bytes.
 */
export function hex(dump: string): Uint8Array {
  const digits = dump.replace(/\s+/g, "");
  return Uint8Array.from(
    { length: digits.length / 2 },
    (_, i) => parseInt(digits.slice(2 * i, 2 * i + 2), 16),
  );
}

/**
 * The parts, one after another, in one new array.
 *
 * @param parts The parts.
 * @returns Their bytes joined.
 */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/**
 * `length` bytes of a pattern that differs with `seed`, for checking
 * payloads byte for byte.
 *
 * @param length How many bytes.
 * @param seed Shifts the pattern.
 * @returns The bytes.
 */
export function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);
}

/** `n` as 4 big-endian bytes. */
export function u32(n: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, n);
  return bytes;
}

/** The big-endian u32 at the start of `bytes`. */
export function readU32(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
}
