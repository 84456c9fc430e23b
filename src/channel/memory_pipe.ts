/**
 * An in-memory, connected pair of {@linkcode Channel}s: what the core's tests
 * and examples run on, and a real transport for two parts of one process.
 *
 * @module
 */

import type { Channel, ChannelAddr } from "./channel.ts";
import { ConnectionClosedError } from "../errors.ts";

/** The default bound of each direction's buffer, in bytes. @default {65536} */
export const DEFAULT_PIPE_HIGH_WATER_MARK = 64 * 1024;

/** Options of {@linkcode createMemoryPipe}. */
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
 * a connection reset.
 */
export interface MemoryChannel extends Channel {
  /**
   * Breaks the connection as a TCP reset would: bytes in transit are lost,
   * the peer's `readable` errors with a {@linkcode ConnectionClosedError},
   * and both ends' writes fail from now on.
   */
  reset(): void;
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
    this.#out.break(error);
    this.#in.break(error);
  }
}

/** One direction of a pipe: a writable on one end, a readable on the other. */
class Direction {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #chunkSize: number;
  #delayMs: number;
  #inTransit = 0;
  #transit: { at: number; chunk: Uint8Array | null }[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #wake: (() => void) | undefined;
  /** Set once writing is no longer possible; the reason writes fail with. */
  #writeError: Error | undefined;
  /** True once the readable is closed, errored or cancelled. */
  #readDone = false;

  constructor(chunkSize: number, delayMs: number, highWaterMark: number) {
    this.#chunkSize = chunkSize;
    this.#delayMs = delayMs;
    this.readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: () => this.#wakeWriter(),
      cancel: () => {
        this.#readDone = true;
        this.discard(new ConnectionClosedError("Cannot write: peer closed"));
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

  async #write(chunk: Uint8Array): Promise<void> {
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError("Cannot write: chunk must be a Uint8Array");
    }
    for (let start = 0; start < chunk.byteLength; start += this.#chunkSize) {
      while (this.#writeError === undefined && this.#isFull()) {
        await new Promise<void>((resolve) => this.#wake = resolve);
      }
      if (this.#writeError) throw this.#writeError;
      const end = Math.min(chunk.byteLength, start + this.#chunkSize);
      this.#send(chunk.slice(start, end));
    }
    // As on a socket, a write completes once its bytes fit the buffer: one
    // larger than highWaterMark waits for the reader.
    while (this.#writeError === undefined && this.#isFull()) {
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    if (this.#writeError) throw this.#writeError;
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

  /** Ends writing: the reader gets what is in transit, then end of stream. */
  end(reason: Error): void {
    if (this.#writeError) return;
    this.#writeError = reason;
    this.#send(null);
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
    this.#drop(reason);
  }

  /** Reset: in-transit bytes are lost and the reader sees an error. */
  break(reason: Error): void {
    if (!this.#readDone) {
      this.#readDone = true;
      this.#controller.error(reason);
    }
    this.#drop(reason);
  }

  #drop(reason: Error): void {
    this.#writeError ??= reason;
    this.#transit.length = 0;
    this.#inTransit = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#wakeWriter();
  }
}
