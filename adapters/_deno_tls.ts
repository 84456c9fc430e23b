/**
 * TLS helpers of the Deno adapter, over duck-typed `Deno.TlsConn`s:
 * waiting for the server's verdict on a dialing client, and the handshake
 * timeout of an accepted connection. Private to `adapters/`.
 *
 * @module
 */

import type { Channel } from "../src/channel/channel.ts";
import type { PullConn } from "./_conn_channel.ts";
import { FIRST_READ_SIZE } from "./_read_buffer.ts";
import { closedAfterHandshake } from "./_tls_verdict.ts";

/** The parts of a `Deno.TlsConn` these helpers use. */
export interface TlsConnLike extends PullConn {
  handshake?(): Promise<unknown>;
}

/**
 * Waits for the server's verdict on the client after the TLS handshake (Deno
 * shows no session ticket): the first read's data (accepted), its error or
 * end (refused), or `graceMs` (accepted). The first read's bytes, or the read
 * still pending, go to the channel's first read.
 */
export async function verdict<C extends TlsConnLike>(
  conn: C,
  graceMs: number,
): Promise<C> {
  const buffer = new Uint8Array(FIRST_READ_SIZE);
  const first = conn.read(buffer);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    first.then((n) => ({ n }), (error: unknown) => ({ error })),
    new Promise<undefined>((resolve) =>
      timer = setTimeout(() => resolve(undefined), graceMs)
    ),
  ]);
  clearTimeout(timer);
  if (outcome !== undefined && "error" in outcome) throw outcome.error;
  if (outcome?.n === null) throw closedAfterHandshake();
  const wrapped: TlsConnLike = {
    // The first read (its buffer is FIRST_READ_SIZE, as the channel's first).
    read(target: Uint8Array): Promise<number | null> {
      wrapped.read = (next) => conn.read(next);
      return first.then((n) => {
        if (n !== null) target.set(buffer.subarray(0, n));
        return n;
      });
    },
    write: (bytes) => conn.write(bytes),
    closeWrite: () => conn.closeWrite(),
    close: () => conn.close(),
    localAddr: conn.localAddr,
    remoteAddr: conn.remoteAddr,
  };
  return wrapped as C;
}

/**
 * Closes `channel` if the handshake of `conn` does not end within
 * `timeoutMs`. (Deno keeps the socket of a `TlsConn` closed mid-handshake
 * until the client sends or leaves; nothing here can cut that short.)
 */
export function watchHandshake(
  conn: TlsConnLike,
  channel: Channel,
  timeoutMs: number,
): void {
  if (timeoutMs === Infinity || conn.handshake === undefined) return;
  const timer = setTimeout(() => channel.close(), timeoutMs);
  conn.handshake().catch(() => {}).finally(() => clearTimeout(timer));
}
