/**
 * Dialing on Deno: opening a TCP, TLS or Unix connection, with TCP_NODELAY
 * set where Deno allows, and the wait for a TLS server's verdict. Private
 * to `adapters/`.
 *
 * @module
 */

import { closeQuietly, deno, type DenoConn } from "./_deno_api.ts";
import { verdict } from "./_deno_tls.ts";
import type { ParsedKey } from "./_key.ts";
import type { DialOptions } from "./_options.ts";
import { verdictGrace } from "./_tls_verdict.ts";

/** The connection a dial attempt holds so far, closed if the dial aborts. */
export class Attempt {
  #conn?: DenoConn;
  #aborted = false;

  /** Holds `conn` from now on; throws (to unwind) if the dial was aborted. */
  hold<T extends DenoConn>(conn: T): T {
    this.#conn = conn;
    if (this.#aborted) throw new Error("The dial was aborted");
    return conn;
  }

  abort(): void {
    this.#aborted = true;
    this.release();
  }

  release(): void {
    if (this.#conn) closeQuietly(this.#conn);
  }
}

/**
 * Connects to `key`: TCP (with TCP_NODELAY), Unix, or TLS (TCP then
 * `Deno.startTls`, or `Deno.connectTls` with a client certificate), then
 * waits for a TLS server's verdict. Every connection it opens is held by
 * `attempt`, so an abort closes it.
 */
export async function connect(
  key: ParsedKey,
  options: DialOptions,
  attempt: Attempt,
): Promise<DenoConn> {
  const runtime = deno();
  const tls = options.tls ?? {};
  const { hostname, port } = key;
  const started = performance.now();
  try {
    if (key.transport === "unix") {
      return attempt.hold(
        await runtime.connect({ transport: "unix", path: key.path }),
      );
    }
    if (key.transport === "tls" && (tls.cert ?? tls.key) !== undefined) {
      if (tls.serverName !== undefined && tls.serverName !== hostname) {
        throw new TypeError(
          "On Deno, tls.serverName cannot be combined with a client certificate",
        );
      }
      // Deno.startTls takes no client certificate; TCP_NODELAY cannot be set.
      const { caCerts, cert, key: privateKey } = tls;
      const secure = attempt.hold(
        await runtime.connectTls({
          hostname,
          port,
          caCerts,
          cert,
          key: privateKey,
        }),
      );
      await secure.handshake?.();
      return await verdict(secure, verdictGrace(performance.now() - started));
    }
    const { signal } = options;
    const tcp = attempt.hold(await runtime.connect({ hostname, port, signal }));
    // Deno leaves Nagle's algorithm on unless told otherwise.
    tcp.setNoDelay?.(options.noDelay ?? true);
    if (options.keepAlive) tcp.setKeepAlive?.(true);
    if (key.transport === "tcp") return tcp;
    const secure = attempt.hold(
      await runtime.startTls(tcp, {
        hostname: tls.serverName ?? hostname,
        caCerts: tls.caCerts,
      }),
    );
    await secure.handshake?.();
    return await verdict(secure, verdictGrace(performance.now() - started));
  } catch (error) {
    attempt.release();
    throw error;
  }
}
