/**
 * The {@linkcode Channel}: one reliable, ordered byte stream in both
 * directions. Adapters turn sockets into channels; the core only ever sees
 * this interface.
 *
 * @module
 */

/**
 * The address of one end of a channel. `transport` says what kind of stream it
 * is; TCP and TLS addresses have `hostname` and `port`, Unix sockets have
 * `path`, in-memory pipes have `name`.
 */
export interface ChannelAddr {
  /** The kind of stream: `"tcp"`, `"tls"`, `"unix"` or `"mem"`. */
  readonly transport: "tcp" | "tls" | "unix" | "mem";
  /** Host name or IP address (TCP and TLS). */
  readonly hostname?: string;
  /** Port number (TCP and TLS). */
  readonly port?: number;
  /** File system path (Unix sockets). */
  readonly path?: string;
  /** Name (in-memory pipes). */
  readonly name?: string;
}

/**
 * One reliable byte stream, in the shape of `Deno.Conn`.
 *
 * Rules every implementation follows:
 * - `readable` yields the bytes the peer sent, in order, and closes when the
 *   peer half-closes or the channel closes; it errors (with any error) when the
 *   stream breaks, for example on a peer reset. Every chunk it yields belongs
 *   to the reader: the channel never reuses or changes it.
 * - `writable` accepts `Uint8Array` chunks; its `write()` promise resolves
 *   once the channel holds no reference to the chunk any more (the bytes were
 *   handed to the operating system, or copied), so the writer may then reuse
 *   the chunk's memory. While the underlying stream is full, `write()` waits
 *   (backpressure). Closing it half-closes the channel.
 * - `close()` closes both directions at once and never throws; it is safe to
 *   call more than once.
 *
 * @example A channel from a pair of web streams
 * ```ts
 * import type { Channel } from "./channel.ts";
 *
 * const echo = new TransformStream<Uint8Array, Uint8Array>();
 * const channel: Channel = {
 *   readable: echo.readable,
 *   writable: echo.writable,
 *   localAddr: { transport: "mem", name: "echo" },
 *   remoteAddr: { transport: "mem", name: "echo" },
 *   close() {
 *     echo.writable.abort().catch(() => {});
 *   },
 * };
 * console.log(channel.localAddr.transport); // "mem"
 * ```
 */
export interface Channel {
  /** The bytes the peer sends. */
  readonly readable: ReadableStream<Uint8Array>;
  /** The bytes sent to the peer. */
  readonly writable: WritableStream<Uint8Array>;
  /** This end's address. */
  readonly localAddr: ChannelAddr;
  /** The peer's address. */
  readonly remoteAddr: ChannelAddr;
  /** Closes both directions now. Safe to call more than once. */
  close(): void;
}

/**
 * Where channels come from on a server: an async iterable of accepted
 * channels. `close()` stops accepting and ends the iteration; channels already
 * accepted stay open and belong to whoever took them.
 */
export interface Listener extends AsyncIterable<Channel> {
  /** The address the listener is bound to (with the real port after port 0). */
  readonly addr: ChannelAddr;
  /** Stops accepting. Safe to call more than once. */
  close(): void;
}

/**
 * Where channels come from on a client: opens one new channel per call.
 */
export interface Dialer {
  /**
   * Opens a channel.
   *
   * @param options `signal` aborts the attempt.
   * @returns The connected channel.
   */
  dial(options?: { signal?: AbortSignal }): Promise<Channel>;
}
