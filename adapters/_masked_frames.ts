/**
 * The frames a WebSocket client sends (RFC 6455: unfragmented, masked),
 * built one after another into a buffer that is written in one call and
 * then reused: no new array per message, and a message's bytes are copied
 * once, into the buffer, then masked there 8 bytes at a time. Private to
 * `adapters/` (the Deno adapter's WebSocket client).
 *
 * @module
 */

/** A written buffer at most this large is kept for the next frames. */
const KEEP = 256 * 1024;

/**
 * Frames waiting to be written: {@linkcode MaskedFrames.put} appends one,
 * {@linkcode MaskedFrames.take} hands them all over for one write (new
 * frames then go to the other buffer), {@linkcode MaskedFrames.release}
 * gives a written buffer back.
 *
 * @example Two frames in one write
 * ```ts
 * import { MaskedFrames } from "./_masked_frames.ts";
 *
 * const frames = new MaskedFrames();
 * frames.put(2, new Uint8Array([1, 2, 3]));
 * frames.put(2, new Uint8Array([4]));
 * const bytes = frames.take();
 * console.log(bytes.length); // 16: (2 + 4 + 3) + (2 + 4 + 1)
 * frames.release(bytes);
 * ```
 */
export class MaskedFrames {
  #out = new Uint8Array(16 * 1024);
  #length = 0;
  #spare: Uint8Array<ArrayBuffer> | undefined;
  #key = new Uint8Array(4);
  #rotated = new Uint8Array(8);
  #rotated64 = new BigUint64Array(this.#rotated.buffer);

  /** Bytes put and not yet taken. */
  get length(): number {
    return this.#length;
  }

  /**
   * Appends one frame of `payload`, masked with a fresh random key.
   *
   * @param opcode The frame's opcode (2 binary, 8 close, 10 pong …).
   * @param payload Its payload; not kept.
   */
  put(opcode: number, payload: Uint8Array): void {
    const n = payload.length;
    const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
    const start = this.#length;
    const head = start + 2 + ext + 4;
    const out = this.#room(head - start + n);
    out[start] = 0x80 | opcode;
    if (ext === 0) out[start + 1] = 0x80 | n;
    else if (ext === 2) {
      out[start + 1] = 0x80 | 126;
      out[start + 2] = n >>> 8;
      out[start + 3] = n & 0xff;
    } else {
      out[start + 1] = 0x80 | 127;
      const view = new DataView(out.buffer, out.byteOffset + start + 2, 8);
      view.setUint32(0, Math.floor(n / 2 ** 32));
      view.setUint32(4, n >>> 0);
    }
    const key = crypto.getRandomValues(this.#key);
    out.set(key, head - 4);
    out.set(payload, head);
    this.#length = head + n;
    // Masked in place: the bytes before the first 8-aligned offset one by
    // one, then 64-bit words with the key turned to match (twice as fast as
    // 32-bit ones on V8, measured), then the rest.
    const lead = Math.min(n, (8 - ((out.byteOffset + head) % 8)) % 8);
    for (let i = 0; i < lead; i++) out[head + i] ^= key[i & 3];
    const words = Math.floor((n - lead) / 8);
    if (words > 0) {
      const rotated = this.#rotated;
      for (let i = 0; i < 8; i++) rotated[i] = key[(lead + i) & 3];
      const key64 = this.#rotated64[0];
      const masked = new BigUint64Array(
        out.buffer,
        out.byteOffset + head + lead,
        words,
      );
      for (let i = 0; i < words; i++) masked[i] ^= key64;
    }
    for (let i = lead + words * 8; i < n; i++) out[head + i] ^= key[i & 3];
  }

  /**
   * Everything put since the last call, for one write; give it back with
   * {@linkcode MaskedFrames.release} once written.
   *
   * @returns The frames' bytes.
   */
  take(): Uint8Array<ArrayBuffer> {
    const bytes = this.#out.subarray(0, this.#length);
    this.#out = this.#spare ?? new Uint8Array(16 * 1024);
    this.#spare = undefined;
    this.#length = 0;
    return bytes;
  }

  /**
   * `bytes` (from {@linkcode MaskedFrames.take}) were written: their buffer
   * is reused, unless it grew large.
   *
   * @param bytes What `take` returned.
   */
  release(bytes: Uint8Array<ArrayBuffer>): void {
    if (bytes.buffer.byteLength <= KEEP) {
      this.#spare = new Uint8Array(bytes.buffer);
    }
  }

  /** The buffer, with room for `n` more bytes. */
  #room(n: number): Uint8Array {
    const need = this.#length + n;
    if (need > this.#out.length) {
      const grown = new Uint8Array(Math.max(need, this.#out.length * 2));
      grown.set(this.#out.subarray(0, this.#length));
      this.#out = grown;
    }
    return this.#out;
  }
}
