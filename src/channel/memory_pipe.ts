/**
 * An in-memory, connected pair of {@linkcode Channel}s: what the core's tests
 * and examples run on, and a real transport for two parts of one process.
 *
 * @module
 */

import type { Channel, ChannelAddr } from "./channel.ts";
import { ConnectionClosedError } from "../errors.ts";

/**
 * The default bound of each direction's buffer, in bytes. @default {65536}
 *
 * @example A write waits while the pipe is full
 * ```ts
 * import { createMemoryPipe, DEFAULT_PIPE_HIGH_WATER_MARK } from "./memory_pipe.ts";
 *
 * console.log(DEFAULT_PIPE_HIGH_WATER_MARK); // 65536
 * const [a, b] = createMemoryPipe({ highWaterMark: 4 }); // instead of the default
 * let written = false;
 * const write = a.writable.getWriter().write(new Uint8Array(8)).then(() => written = true);
 * await new Promise((resolve) => setTimeout(resolve, 1));
 * console.log(written); // false: 8 bytes are more than the pipe holds
 * await b.readable.getReader().read(); // the reader makes room
 * await write;
 * console.log(written); // true
 * a.close();
 * b.close();
 * ```
 */
export const DEFAULT_PIPE_HIGH_WATER_MARK = 64 * 1024;

/**
 * Options of {@linkcode createMemoryPipe}.
 *
 * @example A slow link that cuts every frame into pieces
 * ```ts
 * import { createMemoryPipe, type MemoryPipeOptions } from "./memory_pipe.ts";
 * import { jsonBody } from "../codec/body_codec.ts";
 * import { Peer } from "../transport/peer.ts";
 * import { Router } from "../transport/router.ts";
 *
 * const options: MemoryPipeOptions = { chunkSize: 3, delayMs: 1, names: ["client", "server"] };
 * const [a, b] = createMemoryPipe(options);
 * const server = new Peer(b, { router: new Router().handle("echo", (x) => x), body: jsonBody });
 * const client = new Peer(a, { body: jsonBody });
 * console.log(await client.request("echo", "hello")); // "hello": frames survive 3-byte chunks
 * await client.close();
 * await server.close();
 * ```
 */
export interface MemoryPipeOptions {
  /**
   * Split every write into chunks of at most this many bytes, so that readers
   * see frames cut at arbitrary points. Default: chunks stay as written.
   */
  chunkSize?: number;
  /** Deliver every chunk this many milliseconds after it was written. @default {0} */
  delayMs?: number;
  /**
   * Bytes each direction holds (in transit plus unread) before `write()`
   * waits: backpressure is real.
   * @default {65536}
   */
  highWaterMark?: number;
  /** Names the two ends' addresses. @default {["a", "b"]} */
  names?: readonly [string, string];
}

/**
 * One end of an in-memory pipe: a {@linkcode Channel} that can also simulate
 * network faults (for tests of what a transport does when they happen): a
 * connection reset, now or at an exact byte of the stream, and a connection
 * that goes silent without closing (half-open).
 *
 * @example A reset in the middle of a frame, at an exact byte
 * ```ts
 * import { createMemoryPipe } from "./memory_pipe.ts";
 *
 * const [a, b] = createMemoryPipe();
 * a.resetAfter(3); // the peer reads exactly 3 more bytes, then the reset
 * await a.writable.getWriter().write(new Uint8Array([1, 2, 3, 4, 5])).catch(() => {});
 * const reader = b.readable.getReader();
 * console.log((await reader.read()).value); // Uint8Array(3) [ 1, 2, 3 ]
 * console.log(await reader.read().catch((e) => e.name)); // "ConnectionClosedError"
 * ```
 */
export interface MemoryChannel extends Channel {
  /**
   * Breaks the connection as a TCP reset would: bytes in transit are lost,
   * the peer's `readable` errors with a {@linkcode ConnectionClosedError},
   * and both ends' writes fail from now on.
   */
  reset(): void;
  /**
   * Arms a reset at an exact byte: once this end has written `bytes` more
   * bytes, the connection resets. The peer reads exactly those bytes, then
   * its `readable` errors with a {@linkcode ConnectionClosedError}; the write
   * that crossed the mark rejects, the rest of it is lost, and both ends'
   * writes fail from then on. Use it to cut a stream inside a frame, inside a
   * batch of frames, or between two frames.
   *
   * @param bytes Bytes this end may still write (0: the next write resets).
   * @throws {RangeError} If `bytes` is not an integer >= 0.
   */
  resetAfter(bytes: number): void;
  /**
   * Makes the connection go silent without closing, as when the peer's host
   * dies or a cable is pulled (a half-open connection): after this end has
   * written `afterBytes` more bytes (default 0: at once), nothing more is
   * delivered in either direction. Writes on both ends still succeed and are
   * dropped; neither `readable` ends or errors; `close()` and `reset()` on
   * one end are not seen by the other. Only a heartbeat or a deadline finds
   * such a connection.
   *
   * @param afterBytes Bytes this end may still write before the silence.
   * @throws {RangeError} If `afterBytes` is not an integer >= 0.
   */
  goSilent(afterBytes?: number): void;
}

/**
 * Creates two connected channels: what one writes, the other reads.
 *
 * @param options Chunking, delay and buffer bound.
 * @returns The two ends.
 * @throws {RangeError} If an option is out of range.
 *
 * @example Sending bytes across a pipe
 * ```ts
 * import { createMemoryPipe } from "./memory_pipe.ts";
 *
 * const [a, b] = createMemoryPipe();
 * const writer = a.writable.getWriter();
 * await writer.write(new Uint8Array([1, 2, 3]));
 * const { value } = await b.readable.getReader().read();
 * console.log(value); // Uint8Array(3) [ 1, 2, 3 ]
 * a.close();
 * b.close();
 * ```
 */
export function createMemoryPipe(
  options: MemoryPipeOptions = {},
): [MemoryChannel, MemoryChannel] {
  const chunkSize = options.chunkSize ?? Infinity;
  const delayMs = options.delayMs ?? 0;
  const highWaterMark = options.highWaterMark ?? DEFAULT_PIPE_HIGH_WATER_MARK;
  if (!(chunkSize >= 1)) {
    throw new RangeError(`chunkSize must be at least 1, got ${chunkSize}`);
  }
  if (!(delayMs >= 0 && Number.isFinite(delayMs))) {
    throw new RangeError(
      `delayMs must be a finite number >= 0, got ${delayMs}`,
    );
  }
  if (!(highWaterMark >= 1)) {
    throw new RangeError(
      `highWaterMark must be at least 1, got ${highWaterMark}`,
    );
  }
  const [nameA, nameB] = options.names ?? ["a", "b"];
  const addrA: ChannelAddr = { transport: "mem", name: nameA };
  const addrB: ChannelAddr = { transport: "mem", name: nameB };
  const aToB = new Direction(chunkSize, delayMs, highWaterMark);
  const bToA = new Direction(chunkSize, delayMs, highWaterMark);
  return [
    new PipeEnd(aToB, bToA, addrA, addrB),
    new PipeEnd(bToA, aToB, addrB, addrA),
  ];
}

class PipeEnd implements MemoryChannel {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly localAddr: ChannelAddr;
  readonly remoteAddr: ChannelAddr;
  #out: Direction;
  #in: Direction;

  constructor(
    out: Direction,
    inbound: Direction,
    localAddr: ChannelAddr,
    remoteAddr: ChannelAddr,
  ) {
    this.#out = out;
    this.#in = inbound;
    this.readable = inbound.readable;
    this.writable = out.writable;
    this.localAddr = localAddr;
    this.remoteAddr = remoteAddr;
  }

  close(): void {
    this.#out.end(new ConnectionClosedError("Cannot write: channel closed"));
    this.#in.discard(new ConnectionClosedError("Cannot write: peer closed"));
  }

  reset(): void {
    const error = new ConnectionClosedError("Connection reset by peer");
    this.#out.break(error, "now");
    this.#in.errorReader(error);
    // A silent pipe carries no reset: the peer's writes keep "succeeding".
    if (!this.#in.silent) this.#in.failWrites(error);
  }

  resetAfter(bytes: number): void {
    this.#out.armFault(checkBytes("bytes", bytes), () => {
      const error = new ConnectionClosedError("Connection reset by peer");
      // The peer reads what came before the mark, then sees the reset.
      this.#out.break(error, "when-read");
      this.#in.errorReader(error);
      this.#in.failWrites(error);
      return error;
    });
  }

  goSilent(afterBytes = 0): void {
    const silence = (): undefined => {
      this.#out.silence();
      this.#in.silence();
    };
    const bytes = checkBytes("afterBytes", afterBytes);
    if (bytes === 0) silence();
    else this.#out.armFault(bytes, silence);
  }
}

function checkBytes(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be an integer >= 0, got ${value}`);
  }
  return value;
}

/** One direction of a pipe: a writable on one end, a readable on the other. */
class Direction {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #chunkSize: number;
  #delayMs: number;
  #highWaterMark: number;
  #inTransit = 0;
  #transit: { at: number; chunk: Uint8Array | null }[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #wake: (() => void) | undefined;
  /** Set once writing is no longer possible; the reason writes fail with. */
  #writeError: Error | undefined;
  /** True once the readable is closed, errored or cancelled. */
  #readDone = false;
  /** True once the pipe went silent: writes are dropped, nothing is delivered. */
  #silent = false;
  /** Bytes the writer may still write before `#fault` runs. */
  #faultAt = Infinity;
  /** Runs when the writer reaches `#faultAt`; returns the error its write fails with. */
  #fault: (() => Error | undefined) | undefined;
  /** The error the reader gets once it has read everything delivered. */
  #errorWhenRead: Error | undefined;

  constructor(chunkSize: number, delayMs: number, highWaterMark: number) {
    this.#chunkSize = chunkSize;
    this.#delayMs = delayMs;
    this.#highWaterMark = highWaterMark;
    this.readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: () => {
        this.#wakeWriter();
        this.#errorIfRead();
      },
      cancel: () => {
        this.#readDone = true;
        if (this.#silent) return;
        this.failWrites(new ConnectionClosedError("Cannot write: peer closed"));
      },
    }, new ByteLengthQueuingStrategy({ highWaterMark }));
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => this.#write(chunk),
      close: () =>
        this.end(new ConnectionClosedError("Cannot write: channel closed")),
      abort: () =>
        this.end(new ConnectionClosedError("Cannot write: channel closed")),
    });
  }

  /** True once the pipe went silent. */
  get silent(): boolean {
    return this.#silent;
  }

  async #write(chunk: Uint8Array): Promise<void> {
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError("Cannot write: chunk must be a Uint8Array");
    }
    if (this.#writeError) throw this.#writeError;
    if (this.#silent) return;
    let data = chunk;
    let fault: (() => Error | undefined) | undefined;
    if (this.#fault !== undefined) {
      if (chunk.byteLength >= this.#faultAt) {
        data = chunk.subarray(0, this.#faultAt);
        fault = this.#fault;
        this.#fault = undefined;
        this.#faultAt = Infinity;
      } else {
        this.#faultAt -= chunk.byteLength;
      }
    }
    for (let start = 0; start < data.byteLength; start += this.#chunkSize) {
      while (this.#mustWait()) await this.#woken();
      if (this.#writeError) throw this.#writeError;
      if (this.#silent) return;
      const end = Math.min(data.byteLength, start + this.#chunkSize);
      this.#send(data.slice(start, end));
    }
    if (fault !== undefined) {
      const error = fault();
      if (error) throw error;
      return;
    }
    // As on a socket, a write completes once its bytes fit the buffer: one
    // larger than highWaterMark waits for the reader.
    while (this.#mustWait()) await this.#woken();
    if (this.#writeError) throw this.#writeError;
  }

  /** True while the buffer is full (and the pipe is neither broken nor silent). */
  #mustWait(): boolean {
    return this.#writeError === undefined && !this.#silent && this.#isFull();
  }

  #woken(): Promise<void> {
    return new Promise<void>((resolve) => this.#wake = resolve);
  }

  #isFull(): boolean {
    const room = this.#controller.desiredSize ?? 0;
    return this.#inTransit >= room;
  }

  #send(chunk: Uint8Array | null): void {
    if (this.#delayMs === 0 && this.#transit.length === 0) {
      this.#deliver(chunk);
      return;
    }
    this.#transit.push({ at: performance.now() + this.#delayMs, chunk });
    if (chunk) this.#inTransit += chunk.byteLength;
    this.#arm();
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#transit.length === 0) return;
    const wait = Math.max(0, this.#transit[0].at - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = performance.now();
      while (this.#transit.length > 0 && this.#transit[0].at <= now + 1) {
        const { chunk } = this.#transit.shift()!;
        if (chunk) this.#inTransit -= chunk.byteLength;
        this.#deliver(chunk);
      }
      this.#arm();
      this.#wakeWriter();
      this.#errorIfRead();
    }, wait);
  }

  /** Hands a chunk to the reader; `null` is end of stream. */
  #deliver(chunk: Uint8Array | null): void {
    if (this.#readDone) return;
    if (chunk === null) {
      this.#readDone = true;
      this.#controller.close();
    } else {
      this.#controller.enqueue(chunk);
    }
  }

  #wakeWriter(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /**
   * Arms a fault: once `bytes` more bytes were written, the write delivers
   * up to the mark and `fault` runs (its error, if any, fails that write).
   */
  armFault(bytes: number, fault: () => Error | undefined): void {
    this.#faultAt = bytes;
    this.#fault = fault;
  }

  /** Ends writing: the reader gets what is in transit, then end of stream. */
  end(reason: Error): void {
    if (this.#writeError) return;
    this.#writeError = reason;
    // A silent pipe delivers no end of stream either.
    if (!this.#silent) this.#send(null);
    this.#wakeWriter();
  }

  /** The reading end went away: writes fail, nothing more is delivered. */
  discard(reason: Error): void {
    if (!this.#readDone) {
      this.#readDone = true;
      try {
        this.#controller.close();
      } catch { /* already closed */ }
    }
    if (this.#silent) this.#dropTransit();
    else this.failWrites(reason);
  }

  /**
   * Reset. `"now"`: in-transit bytes are lost and the reader sees the error
   * at once (unless the pipe is silent). `"when-read"`: bytes already
   * written are still delivered, and the reader sees the error once it has
   * read them. Writes fail from now on either way.
   */
  break(reason: Error, when: "now" | "when-read"): void {
    if (when === "when-read") {
      this.#writeError ??= reason;
      this.#wakeWriter();
      if (!this.#readDone) {
        this.#errorWhenRead = reason;
        this.#errorIfRead();
      }
      return;
    }
    if (!this.#readDone && !this.#silent) {
      this.#readDone = true;
      this.#controller.error(reason);
    }
    this.failWrites(reason);
  }

  /** The reader's own end broke: its readable errors, even when silent. */
  errorReader(reason: Error): void {
    if (this.#readDone) return;
    this.#readDone = true;
    this.#controller.error(reason);
  }

  /** Writes fail with `reason` from now on; bytes in transit are lost. */
  failWrites(reason: Error): void {
    this.#writeError ??= reason;
    this.#dropTransit();
    this.#wakeWriter();
  }

  /** Nothing more is delivered, in transit or written later; writes succeed. */
  silence(): void {
    this.#silent = true;
    this.#fault = undefined;
    this.#faultAt = Infinity;
    this.#errorWhenRead = undefined;
    this.#dropTransit();
    this.#wakeWriter();
  }

  /** Errors the reader with `#errorWhenRead` once it has read everything. */
  #errorIfRead(): void {
    const reason = this.#errorWhenRead;
    if (reason === undefined || this.#readDone) return;
    if (this.#transit.length > 0) return;
    if ((this.#controller.desiredSize ?? 0) < this.#highWaterMark) return;
    this.#errorWhenRead = undefined;
    this.#readDone = true;
    this.#controller.error(reason);
  }

  #dropTransit(): void {
    this.#transit.length = 0;
    this.#inTransit = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
