/**
 * The read side of a Node socket dialed with `onread` (`net.connect({
 * onread: { buffer, callback } })`): the socket reads into buffers this
 * source chooses, so the rest of a large frame is read straight into the
 * frame's own buffer (`ChannelIO.readInto`). Private to `adapters/`.
 *
 * How Node 20 uses `onread` (lib/net.js, lib/internal/stream_base_commons.js):
 * `buffer()` is called once when the socket gets its handle, then right after
 * each `callback(count, buffer)`, in the same turn; what it returns is where
 * the next read lands (the handle keeps a raw pointer to it). No public call
 * rebinds the buffer between reads (the private `socket._handle
 * .useUserBuffer()` would, but each call pushes one more C++ stream listener
 * onto the handle, src/stream_base.cc; it is not used). So a target is bound
 * only when a read completes while a `readInto()` is pending and the target
 * is not yet full, and that `readInto()` settles only when a read fills the
 * target (the `buffer()` call of the same turn binds the source's own buffer
 * again), or when the socket ended, failed or was destroyed (no read
 * follows). No read lands in a target after its `readInto()` settled.
 *
 * The first read of a `readInto()` lands in the source's own buffer and is
 * copied; the reads after it land in the target. Reads while no `readInto()`
 * is pending land in an adaptive buffer ({@linkcode ReadBuffer}, up to
 * {@linkcode ONREAD_MAX_READ_SIZE}): one that filled it is handed over, a
 * smaller one is copied out. Unread chunks wait in a {@linkcode PushSource}
 * (bounded: the socket pauses).
 *
 * TLS sockets (`tls.connect` honours `onread` too) hand over what they
 * decrypted in reads of at most {@linkcode ONREAD_TLS_READ_SIZE}, so their
 * source's own buffer stops at that size: a read that fills it is handed
 * over, as Node's own 'data' chunks are, not copied out of a larger one.
 * The dial's wait for a TLS server's verdict learns that the server sent
 * data from {@linkcode OnreadSource.onFirstBytes}, which leaves the bytes to
 * `read()` and `readInto()`.
 *
 * @module
 */

import { ReadBuffer } from "./_read_buffer.ts";
import { type Pausable, PushSource } from "./_streams.ts";

/**
 * The largest buffer the socket reads into when no `readInto()` is pending
 * (Node's own read size).
 * @default {65536}
 */
export const ONREAD_MAX_READ_SIZE = 64 * 1024;

/**
 * The most a Node TLS socket reads at once: it decrypts into a 16 KiB
 * buffer (a TLS record's plaintext; `kClearOutChunkSize` in Node's
 * src/crypto/crypto_tls.cc) and hands each piece to `onread` in turn.
 * @default {16384}
 */
export const ONREAD_TLS_READ_SIZE = 16 * 1024;

/** `net.connect`'s `onread` option. */
export interface OnreadOptions {
  /** Where the next read lands. */
  buffer(): Uint8Array;
  /** A read put `count` bytes into `buffer`; `false` stops reading. */
  callback(count: number, buffer: Uint8Array): boolean;
}

/** A pending `readInto()`. */
interface Into {
  target: Uint8Array;
  /** Bytes already in `target`. */
  filled: number;
  resolve(count: number | null): void;
  reject(error: unknown): void;
}

/**
 * The read side of a socket dialed with {@linkcode OnreadSource.onread}, as
 * `read()` and `readInto()` calls.
 *
 * @example A read that lands in the target of a pending readInto
 * ```ts
 * import { OnreadSource } from "./_onread_source.ts";
 * const source = new OnreadSource();
 * const { buffer, callback } = source.onread;
 * const target = new Uint8Array(4);
 * let bound = buffer(); // the socket got its handle
 * const reading = source.readInto(target);
 * bound.set([1, 2]); // a first read lands in the source's buffer
 * callback(2, bound);
 * bound = buffer(); // the target's rest
 * bound.set([3, 4]); // the next read lands there
 * callback(2, bound);
 * bound = buffer(); // the source's buffer again: the target is full
 * console.log(await reading, target); // 4 Uint8Array(4) [ 1, 2, 3, 4 ]
 * ```
 */
export class OnreadSource implements Pausable {
  /** Made once, for `net.connect`. */
  readonly onread: OnreadOptions = {
    buffer: () => this.#nextBuffer(),
    callback: (count) => this.#onRead(count),
  };
  #socket: Pausable | undefined;
  #chunks = new PushSource(this);
  #buffers: ReadBuffer;
  #into: Into | undefined;
  /** The bound buffer is the pending target's rest (else ours). */
  #direct = false;
  /** Whether a read brought bytes yet, and who waits to hear of the first. */
  #gotBytes = false;
  #onFirstBytes: (() => void) | undefined;

  /**
   * @param maxReadSize The largest buffer the socket reads into when no
   *   `readInto()` is pending (a power of two, at least 4 KiB):
   *   {@linkcode ONREAD_TLS_READ_SIZE} for TLS sockets.
   */
  constructor(maxReadSize: number = ONREAD_MAX_READ_SIZE) {
    this.#buffers = new ReadBuffer(maxReadSize);
  }

  /**
   * The socket to pause and resume (not known when `onread` is made): set
   * right after `net.connect` returns, before any read.
   */
  attach(socket: Pausable): void {
    this.#socket = socket;
  }

  /** @internal */
  pause(): void {
    this.#socket?.pause();
  }

  /** @internal */
  resume(): void {
    this.#socket?.resume();
  }

  /**
   * Calls `listener` once, when the socket reads its first bytes: in the
   * turn of that read, before any event the same read brings (the end …);
   * at once if it read some already. The bytes stay for `read()` and
   * `readInto()`. One listener at a time; `undefined` removes it.
   */
  onFirstBytes(listener: (() => void) | undefined): void {
    if (listener !== undefined && this.#gotBytes) listener();
    else this.#onFirstBytes = listener;
  }

  /** As `ChannelIO.read()`. */
  read(): Promise<Uint8Array | null> {
    return this.#chunks.read();
  }

  /**
   * As `ChannelIO.readInto()`: bytes that wait are moved into `target` at
   * once; otherwise it settles once `target` is full or the read side ends.
   */
  readInto(target: Uint8Array): Promise<number | null> {
    // Node fails a read into no bytes (ENOBUFS destroys the socket).
    if (target.length === 0) {
      return Promise.reject(new RangeError("Cannot readInto an empty target"));
    }
    const count = this.#chunks.fill(target);
    if (count > 0) return Promise.resolve(count);
    if (this.#chunks.ended) return this.#chunks.read() as Promise<null>;
    return new Promise((resolve, reject) => {
      this.#into = { target, filled: 0, resolve, reject };
    });
  }

  /**
   * Ends the read side: cleanly, or with `error`; `discard` (the channel
   * closed) settles a pending `readInto()` with `null` even if it holds
   * bytes. Idempotent.
   */
  end(error?: unknown, discard = false): void {
    this.#chunks.end(error);
    const into = this.#into;
    if (into === undefined) return;
    this.#into = undefined;
    if (error !== undefined) into.reject(error);
    else into.resolve(discard || into.filled === 0 ? null : into.filled);
  }

  #nextBuffer(): Uint8Array {
    const into = this.#into;
    this.#direct = into !== undefined;
    return into === undefined
      ? this.#buffers.next()
      : into.target.subarray(into.filled);
  }

  #onRead(count: number): boolean {
    if (!this.#gotBytes) this.#firstBytes();
    // `#direct` implies `#into`: a readInto settles only in this callback
    // (with `buffer()` called right after) or once no read can follow.
    const into = this.#into;
    if (into === undefined) return this.#chunks.push(this.#buffers.take(count));
    if (this.#direct) into.filled += count;
    else {
      // The first read of this readInto: it landed in our buffer.
      const staged = this.#buffers.next();
      const take = Math.min(count, into.target.length - into.filled);
      into.target.set(staged.subarray(0, take), into.filled);
      into.filled += take;
      if (take < count) this.#chunks.push(staged.slice(take, count));
    }
    if (into.filled === into.target.length) {
      this.#into = undefined;
      into.resolve(into.filled);
    }
    return true;
  }

  #firstBytes(): void {
    this.#gotBytes = true;
    const listener = this.#onFirstBytes;
    this.#onFirstBytes = undefined;
    listener?.();
  }
}
