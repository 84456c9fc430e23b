/**
 * Small helpers for the conformance suites: deadlines, sleeping, checksums,
 * reading. Web standards only, so they run under Deno, Bun and Node.
 *
 * @module
 */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits for `promise`, or rejects after `ms` milliseconds naming `what`.
 * The timer is cleared either way, so nothing is left running.
 */
export async function within<T>(
  ms: number,
  what: string,
  promise: Promise<T>,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${ms} ms: ${what}`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `promise` is still pending after `ms` milliseconds. */
export async function stillPending(
  promise: Promise<unknown>,
  ms: number,
): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pending = Symbol("pending");
  const late = new Promise<symbol>((resolve) => {
    timer = setTimeout(() => resolve(pending), ms);
  });
  try {
    const first = await Promise.race([
      promise.then(() => undefined, () => undefined),
      late,
    ]);
    return first === pending;
  } finally {
    clearTimeout(timer);
  }
}

/** Settles to `"resolved"` or `"rejected"`, never rejects. */
export function settled(
  promise: Promise<unknown>,
): Promise<"resolved" | "rejected"> {
  return promise.then(() => "resolved" as const, () => "rejected" as const);
}

/** Incremental FNV-1a (32 bit) over a stream of chunks. */
export class Checksum {
  /** The running hash. */
  hash = 0x811c9dc5;
  /** Bytes seen so far. */
  length = 0;

  /** Adds `bytes` to the hash. */
  update(bytes: Uint8Array): this {
    let hash = this.hash;
    for (let i = 0; i < bytes.length; i++) {
      hash = Math.imul(hash ^ bytes[i], 0x01000193);
    }
    this.hash = hash >>> 0;
    this.length += bytes.length;
    return this;
  }
}

/** `length` pseudo-random bytes (xorshift32), the same for the same `seed`. */
export function randomBytes(length: number, seed = 0x9e3779b9): Uint8Array {
  const bytes = new Uint8Array(length);
  const words = new Uint32Array(bytes.buffer, 0, length >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < length; i++) bytes[i] = i & 0xff;
  return bytes;
}

/**
 * Reads until `limit` bytes arrived or the stream ends, feeding a checksum.
 * Releases the reader's lock when done.
 */
export async function readInto(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  sum: Checksum,
  limit = Infinity,
): Promise<Checksum> {
  while (sum.length < limit) {
    const { value, done } = await reader.read();
    if (done) break;
    sum.update(value);
  }
  return sum;
}

/** Reads a whole stream into one array. */
export async function readAll(
  readable: ReadableStream<Uint8Array>,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = readable.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
  }
  reader.releaseLock();
  const all = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

/**
 * Fills `target` by `readInto` calls, as the core does with a frame's rest;
 * throws if the channel ends first or a call reports an impossible count.
 */
export async function fillByReadInto(
  readInto: (target: Uint8Array) => Promise<number | null>,
  target: Uint8Array,
): Promise<void> {
  for (let filled = 0; filled < target.length;) {
    const count = await readInto(target.subarray(filled));
    if (count === null) {
      throw new Error(`ended after ${filled} of ${target.length} bytes`);
    }
    if (count <= 0 || count > target.length - filled) {
      throw new Error(`count ${count}`);
    }
    filled += count;
  }
}

/** Reads exactly `length` bytes (fewer only if the stream ends first). */
export async function readExactly(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  length: number,
): Promise<Uint8Array> {
  const all = new Uint8Array(length);
  let offset = 0;
  while (offset < length) {
    const { value, done } = await reader.read();
    if (done) return all.subarray(0, offset);
    if (value.length > length - offset) {
      throw new Error(
        `Read ${value.length - (length - offset)} bytes too many`,
      );
    }
    all.set(value, offset);
    offset += value.length;
  }
  return all;
}

/** The text of some bytes. */
export function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** The bytes of some text. */
export function bytes(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

/**
 * Waits until `check()` is true, polling every few ms; rejects naming `what`
 * after `ms` milliseconds.
 */
export async function until(
  check: () => boolean,
  what: string,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    }
    await sleep(2);
  }
}

/** Fails with the first differing byte unless `actual` equals `expected`. */
export function assertSameBytes(
  actual: Uint8Array,
  expected: Uint8Array,
  what = "bytes",
): void {
  if (actual.byteLength !== expected.byteLength) {
    throw new Error(
      `${what}: ${actual.byteLength} bytes, expected ${expected.byteLength}`,
    );
  }
  for (let i = 0; i < expected.byteLength; i++) {
    if (actual[i] !== expected[i]) {
      throw new Error(
        `${what}: byte ${i} is ${actual[i]}, expected ${expected[i]}`,
      );
    }
  }
}
