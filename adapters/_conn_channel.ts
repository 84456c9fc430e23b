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
import { ConnectionClosedError } from "../src/errors.ts";
import { ReadBuffer } from "./_read_buffer.ts";
import { failableWritable, READ_STRATEGY } from "./_streams.ts";

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
}

/**
 * Wraps a pull-based connection as a channel.
 *
 * - `readable` reads into adaptive buffers ({@linkcode ReadBuffer}: 4 KiB
 *   while traffic is light, up to 1 MiB during bulk transfers); it reads
 *   ahead at most {@linkcode READ_STRATEGY}'s 64 KiB (or one chunk), so a slow
 *   reader holds memory bounded.
 *   It closes on end of stream and errors if a read fails.
 * - `writable` resolves `write()` once `conn.write` took every byte, so a full
 *   socket makes it wait; closing it calls `conn.closeWrite()` (half-close).
 * - `close()` closes `conn` and ends both streams; it is idempotent. Once both
 *   directions ended cleanly, `conn` is closed too, releasing the resource.
 *
 * @param conn The connection.
 * @param localAddr This end's address.
 * @param remoteAddr The peer's address.
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
): Channel {
  let closed = false;
  let readEnded = false;
  let writeEnded = false;
  let reader!: ReadableStreamDefaultController<Uint8Array>;
  const endRead = (error?: unknown) => {
    if (readEnded) return;
    readEnded = true;
    try {
      if (error === undefined) reader.close();
      else reader.error(error);
    } catch { /* cancelled */ }
  };
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch { /* already closed */ }
    endRead();
    sink.fail(
      new ConnectionClosedError("Cannot write: the channel was closed"),
    );
  };
  // Both directions done: release the connection.
  const releaseIfDone = () => {
    if (readEnded && writeEnded) close();
  };
  const buffers = new ReadBuffer();
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      reader = controller;
    },
    async pull(controller) {
      for (;;) {
        let n: number | null;
        try {
          n = await conn.read(buffers.next());
        } catch (error) {
          return endRead(closed ? undefined : error);
        }
        if (readEnded) return;
        if (n === null) {
          endRead();
          return releaseIfDone();
        }
        if (n > 0) return controller.enqueue(buffers.take(n));
      }
    },
    cancel() {
      readEnded = true;
      close();
    },
  }, READ_STRATEGY);
  const closedError = (cause: unknown) =>
    closed
      ? new ConnectionClosedError("Cannot write: the channel was closed", {
        cause,
      })
      : cause;
  const sink = failableWritable({
    async write(chunk) {
      if (closed) throw closedError(undefined);
      try {
        for (let offset = 0; offset < chunk.length;) {
          offset += await conn.write(
            offset === 0 ? chunk : chunk.subarray(offset),
          );
        }
      } catch (error) {
        throw closedError(error);
      }
    },
    async close() {
      try {
        await conn.closeWrite();
      } catch (error) {
        throw closedError(error);
      }
      writeEnded = true;
      releaseIfDone();
    },
    abort: close,
  });
  return { readable, writable: sink.writable, localAddr, remoteAddr, close };
}
