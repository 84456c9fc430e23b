/**
 * An in-memory, connected pair of {@linkcode Channel}s: what the core's tests
 * and examples run on, and a real transport for two parts of one process.
 * Like the socket adapters' channels, each end offers its bytes as calls
 * (`io`, the path the core reads and writes in production) and as web
 * streams made from those calls on first use; `{ io: false }` makes a
 * stream-only pipe, for the core's path through `readable` and `writable`.
 *
 * @module
 */

import type { Channel, ChannelAddr, ChannelIO } from "./channel.ts";
import { ioReadable, ioWritable } from "./channel_io.ts";
import { ConnectionClosedError } from "../errors.ts";
import { PipeDirection } from "./_pipe_direction.ts";

/**
 * The default bound of each direction's buffer, in bytes. @default {65536}
 *
 * @example A write waits while the pipe is full
 * ```ts
 * import { createMemoryPipe } from "listenrain/testing";
 * import { DEFAULT_PIPE_HIGH_WATER_MARK } from "./memory_pipe.ts";
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
 * @example A slow link that cuts every write into pieces, and a stream-only pipe
 * ```ts
 * import { createMemoryPipe, type MemoryPipeOptions } from "listenrain/testing";
 *
 * const options: MemoryPipeOptions = { chunkSize: 3, delayMs: 1, names: ["client", "server"] };
 * const [a, b] = createMemoryPipe(options);
 * await a.io!.write(new Uint8Array([1, 2, 3, 4, 5])); // io: the calls the core uses
 * console.log(await b.io!.read()); // Uint8Array(3) [ 1, 2, 3 ]
 * console.log(await b.io!.read()); // Uint8Array(2) [ 4, 5 ]
 * a.close();
 * b.close();
 *
 * // Without io, the core reads and writes through readable and writable.
 * const [c, d] = createMemoryPipe({ io: false });
 * console.log(c.io); // undefined
 * c.close();
 * d.close();
 * ```
 */
export interface MemoryPipeOptions {
  /**
   * Split every write into chunks of at most this many bytes, so that readers
   * see frames cut at arbitrary points. Default: chunks stay as written,
   * except that a write larger than the room left in the buffer (see
   * `highWaterMark`) is cut where the buffer is full.
   */
  chunkSize?: number;
  /** Deliver every chunk this many milliseconds after it was written. @default {0} */
  delayMs?: number;
  /**
   * Bytes each direction holds (in transit plus unread) at most: a write
   * copies into the buffer only what fits, as a socket does, and completes
   * once its last byte is in; while the buffer is full, it waits for the
   * reader. Backpressure is real, and so is the memory bound.
   * @default {65536}
   */
  highWaterMark?: number;
  /** Names the two ends' addresses. @default {["a", "b"]} */
  names?: readonly [string, string];
  /**
   * Whether each end offers `io`, its bytes as calls, as the socket
   * adapters' channels do (the core then reads and writes by calls, never
   * touching the web streams). `false` leaves `io` undefined: the core uses
   * `readable` and `writable`, as with any stream-only channel. Bytes,
   * backpressure, half-close, close and the simulated faults behave the same
   * either way.
   * @default {true}
   */
  io?: boolean;
}

/**
 * One end of an in-memory pipe: a {@linkcode Channel} that can also simulate
 * network faults (for tests of what a transport does when they happen): a
 * connection reset, now or at an exact byte of the stream, and a connection
 * that goes silent without closing (half-open).
 *
 * @example A reset in the middle of a frame, at an exact byte
 * ```ts
 * import { createMemoryPipe } from "listenrain/testing";
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
 * import { createMemoryPipe } from "listenrain/testing";
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
  const io = options.io ?? true;
  const aToB = new PipeDirection(chunkSize, delayMs, highWaterMark);
  const bToA = new PipeDirection(chunkSize, delayMs, highWaterMark);
  return [
    new PipeEnd(aToB, bToA, addrA, addrB, io),
    new PipeEnd(bToA, aToB, addrB, addrA, io),
  ];
}

/** One end's calls: reads its inbound direction, writes its outbound one. */
class PipeIO implements ChannelIO {
  #out: PipeDirection;
  #in: PipeDirection;

  constructor(out: PipeDirection, inbound: PipeDirection) {
    this.#out = out;
    this.#in = inbound;
  }

  read(): Promise<Uint8Array | null> {
    return this.#in.read();
  }

  write(chunk: Uint8Array): Promise<void> | undefined {
    return this.#out.write(chunk);
  }

  closeWrite(): Promise<void> {
    return this.#out.closeWrite();
  }
}

const channelClosed = () =>
  new ConnectionClosedError("Cannot write: channel closed");

class PipeEnd implements MemoryChannel {
  readonly localAddr: ChannelAddr;
  readonly remoteAddr: ChannelAddr;
  readonly io: ChannelIO | undefined;
  #calls: PipeIO;
  #out: PipeDirection;
  #in: PipeDirection;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  constructor(
    out: PipeDirection,
    inbound: PipeDirection,
    localAddr: ChannelAddr,
    remoteAddr: ChannelAddr,
    io: boolean,
  ) {
    this.#out = out;
    this.#in = inbound;
    this.#calls = new PipeIO(out, inbound);
    this.io = io ? this.#calls : undefined;
    this.localAddr = localAddr;
    this.remoteAddr = remoteAddr;
  }

  /** Made from the calls on first use; cancelling it fails the peer's writes. */
  get readable(): ReadableStream<Uint8Array> {
    return this.#readable ??= ioReadable(
      this.#calls,
      () => this.#in.cancelRead(),
    );
  }

  /** Made from the calls on first use; closing or aborting it half-closes. */
  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= ioWritable(
      this.#calls,
      () => this.#out.end(channelClosed()),
    );
  }

  close(): void {
    this.#out.end(channelClosed());
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
