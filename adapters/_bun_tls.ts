/**
 * TLS helpers of the Bun adapter: the dialing client's wait for the server's
 * verdict. Private to `adapters/`.
 *
 * @module
 */

import { ConnectionClosedError } from "../src/errors.ts";
import type { BunSocket } from "./_bun_api.ts";
import type { SocketState } from "./_bun_channel.ts";
import { closedAfterHandshake } from "./_tls_verdict.ts";

/**
 * Waits for the server's verdict on the client after the TLS handshake:
 * data from the server or a session ticket (accepted; Bun has no event for
 * the ticket, so it is looked for every 2 ms), the channel's close
 * (refused), or `graceMs` (accepted). Data counts first: a server that
 * sends its bytes and its end at once accepted the client (the bytes stay
 * for the channel's reads).
 */
export function verdict(
  state: SocketState,
  socket: BunSocket,
  graceMs: number,
): Promise<void> {
  if (state.gotBytes) return Promise.resolve();
  if (state.closed) return Promise.reject(closedAfterHandshake());
  return new Promise<void>((resolve, reject) => {
    const deadline = performance.now() + graceMs;
    const done = (error?: unknown) => {
      clearInterval(timer);
      state.onReady = undefined;
      state.onFirstBytes = undefined;
      if (error === undefined) resolve();
      else reject(error);
    };
    state.onFirstBytes = () => done();
    const timer = setInterval(() => {
      const ticket = socket.getTLSTicket?.();
      if (ticket !== undefined || performance.now() >= deadline) done();
    }, 2);
    // An alert or an error closes the state with it; a plain close, without.
    state.onReady = (error) =>
      done(
        error instanceof ConnectionClosedError
          ? closedAfterHandshake()
          : error ?? closedAfterHandshake(),
      );
  });
}
