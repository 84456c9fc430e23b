/**
 * Waiting for a TLS server's verdict on the client, shared by the socket
 * adapters' `dial`. Runtime-neutral. Private to `adapters/`.
 *
 * In TLS 1.3 the client's handshake is done once it sent its certificate;
 * the server checks it afterwards and, if it refuses it, answers with an
 * alert and closes. Without a wait, `dial` would succeed and the first
 * request would fail as a lost connection. So `dial` waits for what comes
 * first after the handshake: data (accepted; on Bun also a session ticket), an alert,
 * an error or the end of the stream (refused), or a grace time (accepted: a
 * server that sends no ticket and has nothing to say).
 *
 * @module
 */

/**
 * The grace time after a TLS handshake that took `handshakeMs`: the verdict
 * of the server comes one round trip after the handshake ends, and the
 * handshake took at least two, so its length (25 ms at least, 1 s at most)
 * covers it.
 *
 * @param handshakeMs How long connecting and the handshake took.
 * @returns The ms to wait for the verdict at most.
 *
 * @example
 * ```ts
 * import { verdictGrace } from "./_tls_verdict.ts";
 * console.log(verdictGrace(3)); // 25
 * console.log(verdictGrace(80)); // 80
 * ```
 */
export function verdictGrace(handshakeMs: number): number {
  return Math.min(1000, Math.max(25, Math.ceil(handshakeMs)));
}

/**
 * The error of a server that closed the connection right after the
 * handshake, without an alert.
 *
 * @returns The error.
 *
 * @example
 * ```ts
 * import { closedAfterHandshake } from "./_tls_verdict.ts";
 * console.log(closedAfterHandshake().message.startsWith("The server closed")); // true
 * ```
 */
export function closedAfterHandshake(): Error {
  return new Error(
    "The server closed the connection right after the TLS handshake (did it refuse the client certificate?)",
  );
}
