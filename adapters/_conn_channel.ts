/**
 * A {@linkcode Channel} over a pull-based connection with `read`, `write`,
 * `closeWrite` and `close` (the shape of `Deno.Conn`). Runtime-neutral: the
 * connection is duck-typed. Private to `adapters/`.
 *
 * Deno's own `conn.readable` / `conn.writable` are not used: they close the
 * whole connection when the peer half-closes or when `writable` closes.
 *
 * @module
 */

import type { Channel, ChannelAddr } from "../src/channel/channel.ts";
import { IOChannel } from "../src/channel/channel_io.ts";
import { ConnectionClosedError } from "../src/errors.ts";
import { gather } from "./_gather.ts";
import { channelAddrs, type ParsedKey, type SocketAddrLike } from "./_key.ts";
import { ReadBuffer } from "./_read_buffer.ts";

/** A connection read and written by calls, as `Deno.Conn` is. */
export interface PullConn {
  /** Reads into `buffer`; resolves to the count, or `null` at end of stream. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes some of `bytes`; resolves to how many were taken. */
  write(bytes: Uint8Array): Promise<number>;
  /** Shuts down the write side. */
  closeWrite(): Promise<void>;
  /** Closes the connection; may throw if already closed. */
  close(): void;
  /** This end's address, as the runtime reports it (read by {@linkcode connChannelOf}). */
  readonly localAddr?: SocketAddrLike;
  /** The peer's address, as the runtime reports it (read by {@linkcode connChannelOf}). */
  readonly remoteAddr?: SocketAddrLike;
}

/**
 * Wraps a pull-based connection as a channel.
 *
 * - Its `ChannelIO` calls are the fast path: `read()` reads into
 *   adaptive buffers ({@linkcode ReadBuffer}: 4 KiB while traffic is light,
 *   up to 1 MiB during bulk transfers), only when asked, so a slow reader
 *   holds at most one buffer; it resolves `null` at end of stream and rejects
 *   if a read fails. `readInto()` reads into the caller's buffer instead (the
 *   rest of a large frame, into the frame's own buffer). `write()` resolves once `conn.write` took every byte, so
 *   a full socket makes it wait; `writev()` sends a frame's header with its
 *   body's first 16 KiB in one write (`conn` has no vectored write), the
 *   rest uncopied; `closeWrite()` calls `conn.closeWrite()`.
 * - `readable` and `writable` are made from those calls on first use.
 * - `close()` closes `conn`; it is idempotent. Once both directions ended
 *   cleanly, `conn` is closed too, releasing the resource.
 *
 * {@linkcode connChannelOf} makes the same channel with its addresses read
 * from `conn` on first use.
 *
 * @param conn The connection.
 * @param localAddr This end's address.
 * @param remoteAddr The peer's address.
 * @param onClose Called once, when the channel closes (a listener counts its
 *   open connections with it).
 * @returns The channel.
 *
 * @example A channel over a connection that has nothing to say
 * ```ts
 * import { connChannel } from "./_conn_channel.ts";
 * const conn = {
 *   read: () => Promise.resolve(null),
 *   write: (bytes: Uint8Array) => Promise.resolve(bytes.length),
 *   closeWrite: () => Promise.resolve(),
 *   close() {},
 * };
 * const addr = { transport: "tcp", hostname: "127.0.0.1", port: 1 } as const;
 * const channel = connChannel(conn, addr, addr);
 * console.log((await channel.readable.getReader().read()).done); // true
 * channel.close();
 * ```
 */
export function connChannel(
  conn: PullConn,
  localAddr: ChannelAddr,
  remoteAddr: ChannelAddr,
  onClose?: () => void,
): Channel {
  const channel = new ConnChannel(conn, undefined, "client", onClose);
  channel.setAddrs(localAddr, remoteAddr);
  return channel;
}

/**
 * {@linkcode connChannel} for a connection that reports its own addresses
 * (`conn.localAddr`, `conn.remoteAddr`, as `Deno.Conn` does): the channel's
 * addresses are made from them and `key` on first use (see
 * {@linkcode channelAddrs}), so an idle connection whose addresses nobody
 * reads holds no copies of them. The runtime keeps them after close.
 *
 * @param conn The connection.
 * @param key The key it was dialed or accepted on.
 * @param side Whether this end dialed (`"client"`) or accepted (`"server"`).
 * @param onClose Called once, when the channel closes.
 * @returns The channel.
 *
 * @example A server-side channel over a Unix socket
 * ```ts
 * import { connChannelOf } from "./_conn_channel.ts";
 * import { parseKey } from "./_key.ts";
 * const conn = {
 *   read: () => Promise.resolve(null),
 *   write: (bytes: Uint8Array) => Promise.resolve(bytes.length),
 *   closeWrite: () => Promise.resolve(),
 *   close() {},
 * };
 * const channel = connChannelOf(conn, parseKey("unix:///tmp/a.sock"), "server");
 * console.log(channel.localAddr.path, channel.remoteAddr.path); // "/tmp/a.sock" ""
 * channel.close();
 * ```
 */
export function connChannelOf(
  conn: PullConn,
  key: ParsedKey,
  side: "client" | "server",
  onClose?: () => void,
): Channel {
  return new ConnChannel(conn, key, side, onClose);
}

const closedError = (cause?: unknown) =>
  new ConnectionClosedError(
    "Cannot write: the channel was closed",
    cause === undefined ? undefined : { cause },
  );

class ConnChannel extends IOChannel {
  #conn: PullConn;
  /** The key the addresses are made from on first use; `undefined` once made. */
  #key: ParsedKey | undefined;
  #side: "client" | "server";
  #localAddr: ChannelAddr | undefined;
  #remoteAddr: ChannelAddr | undefined;
  #buffers = new ReadBuffer();
  #closed = false;
  #readEnded = false;
  #writeEnded = false;
  #onClose: (() => void) | undefined;
  /** The read callbacks, made by the first read. */
  #onRead:
    | ((n: number | null) => Promise<Uint8Array | null> | Uint8Array | null)
    | undefined;
  #onReadError: ((error: unknown) => null) | undefined;

  constructor(
    conn: PullConn,
    key: ParsedKey | undefined,
    side: "client" | "server",
    onClose: (() => void) | undefined,
  ) {
    super();
    this.#conn = conn;
    this.#key = key;
    this.#side = side;
    this.#onClose = onClose;
  }

  /** Sets both addresses (given, or made from the key). */
  setAddrs(localAddr: ChannelAddr, remoteAddr: ChannelAddr): void {
    this.#localAddr = localAddr;
    this.#remoteAddr = remoteAddr;
    this.#key = undefined;
  }

  get localAddr(): ChannelAddr {
    if (this.#key !== undefined) this.#makeAddrs(this.#key);
    return this.#localAddr!;
  }

  get remoteAddr(): ChannelAddr {
    if (this.#key !== undefined) this.#makeAddrs(this.#key);
    return this.#remoteAddr!;
  }

  #makeAddrs(key: ParsedKey): void {
    const conn = this.#conn;
    this.setAddrs(
      ...channelAddrs(
        key,
        this.#side,
        conn.localAddr ?? {},
        conn.remoteAddr ?? {},
      ),
    );
  }

  read(): Promise<Uint8Array | null> {
    if (this.#readEnded || this.#closed) return Promise.resolve(null);
    // Chained callbacks made once per channel, not an async function: an
    // idle connection's pending read holds no suspended async frame (about
    // 220 B each on Deno).
    return this.#conn.read(this.#buffers.next()).then(
      this.#onRead ??= (n) => this.#afterRead(n),
      this.#onReadError ??= (error) => this.#readFailed(error),
    );
  }

  #afterRead(n: number | null): Promise<Uint8Array | null> | Uint8Array | null {
    if (n === null) {
      this.#readEnded = true;
      this.#releaseIfDone();
      return null;
    }
    // A read of no bytes: read again.
    return n > 0 ? this.#buffers.take(n) : this.read();
  }

  #readFailed(error: unknown): null {
    this.#readEnded = true;
    if (this.#closed) return null;
    throw error;
  }

  /** Reads into `target` (a large frame's own buffer): no chunk, no copy. */
  async readInto(target: Uint8Array): Promise<number | null> {
    while (!this.#readEnded && !this.#closed) {
      let n: number | null;
      try {
        n = await this.#conn.read(target);
      } catch (error) {
        this.#readEnded = true;
        if (this.#closed) return null;
        throw error;
      }
      if (n === null) {
        this.#readEnded = true;
        this.#releaseIfDone();
        return null;
      }
      if (n > 0) return n;
    }
    return null;
  }

  write(chunk: Uint8Array): Promise<void> {
    if (this.#closed) throw closedError();
    return this.#writeAll(chunk);
  }

  /**
   * Several chunks: `conn` has no vectored write, so they are written as
   * {@linkcode gather} groups them (a frame's header with its body's first
   * 16 KiB, the rest of the body uncopied).
   */
  writev(chunks: readonly Uint8Array[]): Promise<void> | undefined {
    if (this.#closed) throw closedError();
    return this.#writevAll(chunks);
  }

  async #writevAll(chunks: readonly Uint8Array[]): Promise<void> {
    for (const chunk of gather(chunks)) await this.#writeAll(chunk);
  }

  async #writeAll(chunk: Uint8Array): Promise<void> {
    try {
      for (let offset = 0; offset < chunk.length;) {
        offset += await this.#conn.write(
          offset === 0 ? chunk : chunk.subarray(offset),
        );
      }
    } catch (error) {
      throw this.#closed ? closedError(error) : error;
    }
  }

  async closeWrite(): Promise<void> {
    if (this.#closed) throw closedError();
    try {
      await this.#conn.closeWrite();
    } catch (error) {
      throw this.#closed ? closedError(error) : error;
    }
    this.#writeEnded = true;
    this.#releaseIfDone();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    const onClose = this.#onClose;
    this.#onClose = undefined;
    onClose?.();
  }

  /** Both directions done: release the connection. */
  #releaseIfDone(): void {
    if (this.#readEnded && this.#writeEnded) this.close();
  }
}
