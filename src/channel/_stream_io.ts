/**
 * Bridges between a channel's web streams and its {@linkcode ChannelIO}
 * calls, both ways: the send queue writes a writable stream through calls,
 * and a channel that has calls builds its streams from them, lazily. Private
 * to the core and the adapters.
 *
 * @module
 */

import type { Channel, ChannelAddr, ChannelIO } from "./channel.ts";

/**
 * The write half of {@linkcode ChannelIO}, and maybe a way to give up: a
 * channel's `io` is one as it is (its owner closes the channel instead).
 */
export interface ChunkWriter {
  /** As {@linkcode ChannelIO.write}. */
  write(chunk: Uint8Array): Promise<void> | undefined;
  /** As {@linkcode ChannelIO.writev}. */
  writev?(chunks: readonly Uint8Array[]): Promise<void> | undefined;
  /** Half-closes. */
  closeWrite(): Promise<void>;
  /** Gives up: pending and later writes reject. */
  abort?(reason: unknown): void;
}

/**
 * Writes `writable` by calls. Takes its writer lock at once.
 *
 * @param writable The stream.
 * @returns The writer.
 *
 * @example Writing one chunk
 * ```ts
 * import { streamWriter } from "./_stream_io.ts";
 * const seen: number[] = [];
 * const writer = streamWriter(new WritableStream({ write: (c) => void seen.push(c.length) }));
 * await writer.write(new Uint8Array(3));
 * await writer.closeWrite();
 * console.log(seen); // [ 3 ]
 * ```
 */
export function streamWriter(
  writable: WritableStream<Uint8Array>,
): ChunkWriter {
  const writer = writable.getWriter();
  writer.closed.catch(() => {});
  return {
    write: (chunk) => writer.write(chunk),
    closeWrite: () => writer.close(),
    abort(reason) {
      writer.abort(reason).catch(() => {});
    },
  };
}

/**
 * A readable stream over `io.read()`, for a channel that has calls and must
 * also offer `readable`. It reads only when its reader asks (the calls read
 * ahead themselves).
 *
 * @param io The channel's calls.
 * @param cancel Closes the channel when the reader cancels.
 * @returns The stream.
 *
 * @example
 * ```ts
 * import { ioReadable } from "./_stream_io.ts";
 * const chunks = [new Uint8Array([7])];
 * const readable = ioReadable({
 *   read: () => Promise.resolve(chunks.shift() ?? null),
 *   write: () => undefined,
 *   closeWrite: () => Promise.resolve(),
 * }, () => {});
 * for await (const chunk of readable) console.log(chunk); // Uint8Array(1) [ 7 ]
 * ```
 */
export function ioReadable(
  io: ChannelIO,
  cancel: () => void,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await io.read();
      if (chunk === null) controller.close();
      else controller.enqueue(chunk);
    },
    cancel,
  }, { highWaterMark: 0 });
}

/**
 * A writable stream over `io.write()`, for a channel that has calls and must
 * also offer `writable`. Closing it half-closes; aborting it closes the
 * channel.
 *
 * @param io The channel's calls.
 * @param abort Closes the channel.
 * @returns The stream.
 *
 * @example
 * ```ts
 * import { ioWritable } from "./_stream_io.ts";
 * let bytes = 0;
 * const writable = ioWritable({
 *   read: () => Promise.resolve(null),
 *   write: (chunk) => void (bytes += chunk.length),
 *   closeWrite: () => Promise.resolve(),
 * }, () => {});
 * await writable.getWriter().write(new Uint8Array(4));
 * console.log(bytes); // 4
 * ```
 */
export function ioWritable(
  io: ChannelIO,
  abort: () => void,
): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    write: (chunk) => io.write(chunk),
    close: () => io.closeWrite(),
    abort,
  });
}

/**
 * A channel that is its own {@linkcode ChannelIO}: subclasses implement the
 * calls and `close()`; `readable` and `writable` are made from the calls on
 * first use, so a channel the core reads by calls never builds them.
 *
 * @example A channel that ends at once
 * ```ts
 * import { IOChannel } from "./_stream_io.ts";
 * class Empty extends IOChannel {
 *   readonly localAddr = { transport: "mem", name: "a" } as const;
 *   readonly remoteAddr = { transport: "mem", name: "b" } as const;
 *   read = () => Promise.resolve(null);
 *   write = () => undefined;
 *   closeWrite = () => Promise.resolve();
 *   close() {}
 * }
 * console.log((await new Empty().readable.getReader().read()).done); // true
 * ```
 */
export abstract class IOChannel implements Channel, ChannelIO {
  abstract readonly localAddr: ChannelAddr;
  abstract readonly remoteAddr: ChannelAddr;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  /** This channel. */
  get io(): ChannelIO {
    return this;
  }

  /** Made from `read()` on first use; cancelling it closes the channel. */
  get readable(): ReadableStream<Uint8Array> {
    return this.#readable ??= ioReadable(this, () => this.close());
  }

  /** Made from `write()` on first use; aborting it closes the channel. */
  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= ioWritable(this, () => this.close());
  }

  abstract read(): Promise<Uint8Array | null>;
  abstract write(chunk: Uint8Array): Promise<void> | undefined;
  abstract closeWrite(): Promise<void>;
  abstract close(): void;
}
