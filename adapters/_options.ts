/**
 * The option bags of `dial` and `listen`, the same for every socket adapter.
 * Runtime-neutral. Private to `adapters/`; each adapter re-exports them.
 *
 * @module
 */

/**
 * Options of an adapter's `dial`.
 *
 * @example Dialing with keep-alive and an abort signal (Deno's adapter; Bun's and Node's are the same)
 * ```ts
 * import { dial, type DialOptions, listen } from "listenrain/adapters/deno";
 *
 * const listener = await listen("tcp://127.0.0.1:0");
 * const controller = new AbortController(); // abort() gives up the attempt
 * const options: DialOptions = { signal: controller.signal, noDelay: true, keepAlive: true };
 * const channel = await dial(`tcp://127.0.0.1:${listener.addr.port}`, options);
 * console.log(channel.remoteAddr.transport); // "tcp"
 * channel.close();
 * listener.close();
 * ```
 */
export interface DialOptions {
  /** Aborts the connection attempt; the promise rejects with `AbortedError`. */
  signal?: AbortSignal;
  /**
   * Sets `TCP_NODELAY` (TCP and TLS). On Deno it cannot be set together with
   * a client certificate (`Deno.connectTls` offers no way).
   * @default {true}
   */
  noDelay?: boolean;
  /**
   * Turns on TCP keep-alive. A number is the idle time in milliseconds before
   * the first probe (Bun and Node; Deno takes no delay).
   * @default {false}
   */
  keepAlive?: boolean | number;
  /** TLS settings for `tls://` keys (and `caCerts` for `wss://` keys). */
  tls?: {
    /**
     * CA certificates (PEM) to trust: on Bun and Node instead of the default
     * roots, on Deno in addition to them. For `wss://` too, on every runtime.
     */
    caCerts?: string[];
    /**
     * The name to verify the server's certificate against (and send as SNI).
     * On Deno it cannot be combined with `cert`.
     * Default: the key's host.
     */
    serverName?: string;
    /** Client certificate chain (PEM), for servers that ask for one. */
    cert?: string;
    /** The client certificate's private key (PEM). */
    key?: string;
  };
}

/**
 * Options of an adapter's `listen`.
 *
 * @example A smaller backlog, and the certificate `tls://` needs (Deno's adapter; Bun's and Node's are the same)
 * ```ts
 * import { listen, type ListenOptions } from "listenrain/adapters/deno";
 *
 * const options: ListenOptions = { backlog: 128 };
 * const listener = await listen("tcp://127.0.0.1:0", options);
 * console.log(listener.addr.port! > 0); // true
 * listener.close();
 * // tls:// without `tls: { cert, key }` is refused before anything binds
 * console.log(await listen("tls://127.0.0.1:0", options).catch((e) => e.name)); // "TypeError"
 * ```
 */
export interface ListenOptions {
  /**
   * `SO_REUSEPORT` (TCP and TLS), so several listeners share a port. Bun:
   * supported. Deno: needs `--unstable-net`. Node: needs 22.12 or later (Node 20
   * throws).
   * @default {false}
   */
  reusePort?: boolean;
  /**
   * Certificate chain and key (PEM), required for `tls://` keys. `caCerts`
   * makes the server require a client certificate signed by one of them
   * (Bun and Node; Deno cannot).
   */
  tls?: { cert: string; key: string; caCerts?: string[] };
  /**
   * The kernel's listen backlog (TCP and TLS). On Bun and Node, also the most
   * accepted channels that wait for the application to iterate; connections
   * beyond that are closed at once.
   * @default {511}
   */
  backlog?: number;
  /**
   * Open connections this listener accepted, at most (TCP and TLS, counted
   * from the moment the runtime accepts them, handshakes included). A
   * connection beyond it is closed as soon as it is accepted, so a flood of
   * connections cannot take every file descriptor of the process. The
   * default stays below the process's descriptor limit: the soft
   * `RLIMIT_NOFILE` less an eighth (64 at least, 1,024 at most) where it can
   * be read (Linux; Deno needs read permission for `/proc/self/limits`),
   * else 4,096. `Infinity` for no limit.
   * @default {the soft descriptor limit less a reserve, or 4096}
   */
  maxConnections?: number;
  /**
   * How long a TLS client may take to finish its handshake, in ms; the
   * connection is closed if it does not. `0` for no limit.
   * @default {10000}
   */
  handshakeTimeout?: number;
}
