/**
 * TLS helpers of the Node adapter: the dialing client's wait for the
 * server's verdict. Private to `adapters/`.
 *
 * @module
 */

import type * as tls from "node:tls";
import type { OnreadSource } from "./_onread_source.ts";
import { closedAfterHandshake } from "./_tls_verdict.ts";

/**
 * Waits for the TLS 1.3 server's verdict on the client: data (accepted), an
 * error, the end or the close (refused), or `graceMs` (accepted). The socket
 * reads by `onread`, so data is seen by its `source` (which keeps the bytes
 * for the channel), not as `'data'` events. Session tickets are not looked
 * for: a "session" listener breaks Node 20's TLS client (its writes never
 * arrive).
 */
export function verdict(
  socket: tls.TLSSocket,
  source: Pick<OnreadSource, "onFirstBytes">,
  graceMs: number,
): Promise<void> {
  // Before TLS 1.3, the server's Finished came after it checked the client.
  if (socket.getProtocol() !== "TLSv1.3") return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const done = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      source.onFirstBytes(undefined);
      socket.off("error", done).off("end", ended).off("close", ended);
      if (error) reject(error);
      else resolve();
    };
    const accepted = () => done();
    const ended = () => done(closedAfterHandshake());
    const timer = setTimeout(accepted, graceMs);
    socket.on("error", done).on("end", ended).on("close", ended);
    // Last: it calls `accepted` at once if data came already.
    source.onFirstBytes(accepted);
  });
}
