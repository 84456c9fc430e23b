/**
 * Building a {@linkcode Channel} from its {@linkcode ChannelIO} calls: the
 * public contract a channel implementation (a socket adapter, the memory
 * pipe, your own transport) writes against. Implement the calls once; the
 * web streams every channel must also offer are made from them, lazily, so a
 * channel the core reads and writes by calls never builds them.
 *
 * @example A channel over an in-process queue, by subclassing IOChannel
 * ```ts
 * import type { ChannelAddr } from "listenrain/advanced";
 * import { IOChannel } from "./channel_io.ts";
 *
 * class Loopback extends IOChannel {
 *   readonly localAddr: ChannelAddr = { transport: "mem", name: "loop" };
 *   readonly remoteAddr: ChannelAddr = { transport: "mem", name: "loop" };
 *   #chunks: (Uint8Array | null)[] = [];
 *   read = () => Promise.resolve(this.#chunks.shift() ?? null);
 *   write(chunk: Uint8Array) {
 *     this.#chunks.push(chunk.slice()); // a copy: the writer may reuse chunk
 *     return undefined; // done at once
 *   }
 *   closeWrite = () => Promise.resolve();
 *   close() {}
 * }
 * const channel = new Loopback();
 * await channel.writable.getWriter().write(new Uint8Array([1, 2]));
 * console.log(await channel.io.read()); // Uint8Array(2) [ 1, 2 ]
 * ```
 *
 * @module
 */

import type { Channel, ChannelAddr, ChannelIO } from "./channel.ts";

/**
 * A readable stream over `io.read()`, for a channel that has calls and must
 * also offer `readable`. It reads only when its reader asks (its own
 * high-water mark is 0: the calls bound what is read ahead).
 *
 * @param io The channel's calls.
 * @param cancel Called when the reader cancels (a channel closes itself).
 * @returns The stream.
 *
 * @example Reading calls as a stream
 * ```ts
 * import { ioReadable } from "./channel_io.ts";
 *
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
 * also offer `writable`. Closing it calls `io.closeWrite()` (a half-close);
 * aborting it calls `abort`.
 *
 * @param io The channel's calls.
 * @param abort Called when the writer aborts (a channel closes itself).
 * @returns The stream.
 *
 * @example Writing a stream by calls
 * ```ts
 * import { ioWritable } from "./channel_io.ts";
 *
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
 * A channel that is its own {@linkcode ChannelIO}: a subclass implements
 * `read()`, `write()`, `closeWrite()` (and may add `writev()`), `close()`
 * and the two addresses, following the rules of {@linkcode Channel} and
 * {@linkcode ChannelIO}. `io` is the channel itself; `readable` and
 * `writable` are made from the calls on first use (cancelling or aborting
 * them closes the channel), so a channel the core uses by calls never
 * builds them. The socket adapters' channels are built this way.
 *
 * @example A channel that ends at once
 * ```ts
 * import { IOChannel } from "./channel_io.ts";
 *
 * class Empty extends IOChannel {
 *   readonly localAddr = { transport: "mem", name: "a" } as const;
 *   readonly remoteAddr = { transport: "mem", name: "b" } as const;
 *   read = () => Promise.resolve(null);
 *   write = () => undefined;
 *   closeWrite = () => Promise.resolve();
 *   close() {}
 * }
 * const channel = new Empty();
 * console.log(channel.io === channel); // true: the core reads by calls
 * console.log((await channel.readable.getReader().read()).done); // true
 * ```
 */
export abstract class IOChannel implements Channel, ChannelIO {
  /** This end's address. */
  abstract readonly localAddr: ChannelAddr;
  /** The peer's address. */
  abstract readonly remoteAddr: ChannelAddr;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  /** This channel: its calls are the fast path. */
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

  /** As {@linkcode ChannelIO.read}. */
  abstract read(): Promise<Uint8Array | null>;
  /** As {@linkcode ChannelIO.write}. */
  abstract write(chunk: Uint8Array): Promise<void> | undefined;
  /** As {@linkcode ChannelIO.closeWrite}. */
  abstract closeWrite(): Promise<void>;
  /** As {@linkcode Channel.close}: both directions, now; idempotent. */
  abstract close(): void;
}
