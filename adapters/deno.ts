/**
 * The Deno adapter of listenrain: `Deno.connect`, `Deno.listen`,
 * `Deno.startTls`, `Deno.connectTls` and `Deno.listenTls` connections as
 * {@linkcode Channel}s, over TCP, TLS and Unix sockets.
 *
 * The channel's streams are written over `conn.read` / `conn.write` rather
 * than `conn.readable` / `conn.writable`: Deno's own streams close the whole
 * connection when the peer half-closes or when `writable` closes, which would
 * break half-close. Reading is pull-based (at most 64 KiB read ahead), so a
 * slow reader holds memory bounded; `write()` resolves once Deno took every
 * byte (the writer may then reuse the chunk), so a full socket makes it wait.
 * Accepting is pull-based too: nothing is accepted until the listener is
 * iterated (a TLS client's `dial` completes once the server takes its
 * connection). With `maxConnections` open, the listener accepts nothing more
 * until one closes (the rest wait in the kernel's backlog); accept errors
 * (`EMFILE` …) make it wait and try again, they never end it.
 *
 * TLS: a TLS channel is yielded before its handshake (Deno does it on first
 * use); the listener closes it if the handshake does not finish within
 * `handshakeTimeout`. But a Deno `TlsConn` closed before its handshake keeps
 * its socket and file descriptor until the client sends or leaves (Deno waits
 * for the handshake to end before it lets the socket go, and offers no way to
 * cut it short), so a client that stops mid-handshake still holds a
 * descriptor, outside `maxConnections`.
 *
 * Deno quirks handled here: TCP connections start with Nagle's algorithm on,
 * so `dial` sets `TCP_NODELAY` (and dials TLS as TCP + `Deno.startTls` to be
 * able to). Connections accepted by `Deno.listenTls`, and dials that present a
 * client certificate (`Deno.connectTls`), offer no way to set it. Dialing TLS waits for the server's verdict on the client
 * (see `_tls_verdict.ts`), so a refused client certificate fails `dial`.
 *
 * Needs `--allow-net` (and `--allow-read --allow-write` for Unix sockets);
 * `reusePort` needs `--unstable-net`.
 *
 * @example An echo server and a client
 * ```ts
 * import { dial, listen } from "listenrain/adapters/deno";
 *
 * const listener = await listen("tcp://127.0.0.1:0");
 * (async () => {
 *   for await (const channel of listener) {
 *     channel.readable.pipeTo(channel.writable).catch(() => {});
 *   }
 * })();
 * const client = await dial(`tcp://127.0.0.1:${listener.addr.port}`);
 * const writer = client.writable.getWriter();
 * await writer.write(new TextEncoder().encode("ping"));
 * const { value } = await client.readable.getReader().read();
 * console.log(new TextDecoder().decode(value)); // "ping"
 * client.close();
 * listener.close();
 * ```
 *
 * @module
 */

import type { Channel, Listener } from "../src/channel/channel.ts";
import { raceAbort, throwIfAborted } from "./_abort.ts";
import { DEFAULT_BACKLOG } from "./_accept_queue.ts";
import { bindError } from "./_bind_error.ts";
import { connChannelOf } from "./_conn_channel.ts";
import { closeQuietly, deno, type DenoListener } from "./_deno_api.ts";
import { Attempt, connect } from "./_deno_connect.ts";
import { denoListener, readLimits } from "./_deno_listener.ts";
import { formatKey, type ParsedKey, parseKey } from "./_key.ts";
import type { TransportKeyLike } from "./_key.ts";
import { listenLimits } from "./_listen_limits.ts";
import type { DialOptions, ListenOptions } from "./_options.ts";
import { webSocketKey } from "./_key.ts";
import { dialDenoWebSocket, listenWebSocket } from "./_deno_ws.ts";

import { type CoreGroup, type EveryCoreOptions } from "./_every_core.ts";
import { serveWorkers } from "./_every_core_deno.ts";
import { UnsupportedRuntimeError } from "../src/errors.ts";

export type * from "./_exports.ts";
export { UnsupportedRuntimeError } from "../src/errors.ts";
export type { CoreGroup, CoreWorker, EveryCoreOptions } from "./_every_core.ts";
export type {
  WebSocketListenerBase,
  WebSocketListenerOptions,
  WebSocketUpgradeOptions,
} from "./_ws_listener.ts";
export { DenoWebSocketListener, webSocketListener } from "./_deno_ws.ts";
export { dnsLookup, dnsResolver } from "./_dns_deno.ts";

/**
 * Opens a channel to `key`.
 *
 * @param key `tcp://host:port`, `tls://host:port` or `unix:///path`.
 * @param options Abort signal, socket options and TLS settings.
 * @returns The connected channel (for TLS, after the handshake and the
 *   server's verdict on the client).
 * @throws {TypeError} If the key is invalid, or TLS options conflict.
 * @throws {AbortedError} If `signal` aborts first.
 * @throws {Error} Deno's error if the connection or the TLS handshake fails
 *   (`ConnectionRefused`, a refused client certificate …).
 *
 * @example Dialing TLS with a private CA
 * ```ts
 * import { dial } from "listenrain/adapters/deno";
 * const caCert = await Deno.readTextFile("./ca.pem");
 * const channel = await dial("tls://localhost:7443", { tls: { caCerts: [caCert] } });
 * channel.close();
 * ```
 */
export async function dial(
  key: string | TransportKeyLike,
  options: DialOptions = {},
): Promise<Channel> {
  const web = webSocketKey(key);
  if (web !== undefined) return dialDenoWebSocket(web, options);
  const parsed = parseKey(key);
  const what = `dial ${formatKey(parsed)}`;
  throwIfAborted(options.signal, what);
  // On abort, close the connection being set up (a TLS handshake has no signal).
  const attempt = new Attempt();
  const conn = await raceAbort(
    connect(parsed, options, attempt),
    options.signal,
    what,
    closeQuietly,
    () => attempt.abort(),
  );
  return connChannelOf(conn, parsed, "client");
}

/**
 * Listens on `key` and accepts channels as the listener is iterated.
 *
 * @param key `tcp://host:port` (port 0 for any free port), `tls://host:port`
 *   or `unix:///path` (the path must not exist; `close()` removes it).
 * @param options TLS certificate, backlog, `reusePort`, `maxConnections`,
 *   `handshakeTimeout`.
 * @returns The listener; `listener.addr.port` is the bound port.
 * @throws {TypeError} If the key is invalid or `tls` is missing for `tls://`.
 * @throws {RangeError} If `maxConnections` or `handshakeTimeout` is out of range.
 * @throws {AddressInUseError} If another socket holds the address.
 * @throws {UnsupportedRuntimeError} If `reusePort` is set without
 *   `--unstable-net`.
 * @throws {Error} If Deno cannot bind for another reason.
 *
 * @example Listening on any free port
 * ```ts
 * import { listen } from "listenrain/adapters/deno";
 * const listener = await listen("tcp://127.0.0.1:0");
 * console.log(listener.addr.port! > 0); // true
 * listener.close();
 * ```
 */
// deno-lint-ignore require-await
export async function listen(
  key: string | TransportKeyLike,
  options: ListenOptions = {},
): Promise<Listener> {
  // Deno binds synchronously; async makes its errors rejections, as on Bun and Node.
  const web = webSocketKey(key);
  if (web !== undefined) return listenWebSocket(web, options);
  return listenNow(parseKey(key), options);
}

function listenNow(parsed: ParsedKey, options: ListenOptions): Listener {
  const name = formatKey(parsed);
  const runtime = deno();
  const { reusePort, tls } = options;
  if (reusePort && parsed.transport === "unix") {
    throw new TypeError(
      `Cannot listen on ${name}: reusePort applies to tcp and tls only`,
    );
  }
  if (reusePort && typeof runtime.listenDatagram !== "function") {
    throw new UnsupportedRuntimeError(
      `Cannot listen on ${name} with reusePort: Deno needs the --unstable-net flag (or "unstable": ["net"] in deno.json)`,
    );
  }
  if (parsed.transport === "tls" && tls === undefined) {
    throw new TypeError(
      `Cannot listen on ${name}: options.tls (cert and key) is required`,
    );
  }
  if (tls?.caCerts !== undefined) {
    throw new Error(
      `Cannot listen on ${name}: Deno.listenTls cannot ask clients for certificates (tls.caCerts)`,
    );
  }
  const limits = listenLimits(options, readLimits);
  const net = {
    hostname: parsed.hostname,
    port: parsed.port,
    tcpBacklog: options.backlog ?? DEFAULT_BACKLOG,
    ...(reusePort ? { reusePort } : {}),
  };
  let native: DenoListener;
  try {
    native = parsed.transport === "unix"
      ? runtime.listen({ transport: "unix", path: parsed.path })
      : parsed.transport === "tls"
      ? runtime.listenTls({ ...net, cert: tls!.cert, key: tls!.key })
      : runtime.listen(net);
  } catch (error) {
    throw bindError(error, name);
  }
  return denoListener(native, parsed, limits);
}

/**
 * Runs one listenrain server per core on this host, all on one port: Workers running the entry
 * module again, each with its own `reusePort` listener, so that the kernel
 * spreads connections (Linux only; Workers inherit the permissions and
 * flags; `--unstable-net` is required).
 * The entry script runs again as each worker, so call this where both the
 * primary and the workers reach it (not behind `import.meta.main`). In the
 * primary it resolves once every worker listens; in a worker, once it
 * serves. `SIGTERM`, `SIGINT`, `options.signal` or `close()` shut all down
 * gracefully: each worker stops accepting, sends goaway, lets in-flight
 * requests finish within `deadline`, and exits; `closed` resolves once all
 * have (a worker still running `deadline` + 5 s later is killed).
 *
 * @param options The key, the `server` factory, `workers` (default: the
 *   number of cores) and the shutdown settings.
 * @returns In the primary, the group of workers; in a worker, that worker.
 * @throws {UnsupportedRuntimeError} Without `--unstable-net` (Deno 2.x: `reusePort`
 *   is unstable), or not on Linux.
 * @throws {TypeError} If the key is not `tcp://` or `tls://`, or `server` is
 *   missing.
 * @throws {RangeError} If `workers` is not an integer from 1 to 1024.
 * @throws {Error} If a worker cannot listen or start within `startTimeout`
 *   (the started ones are shut down first).
 *
 * @example Every core serving port 7000
 * ```ts
 * import { Router, Server } from "listenrain";
 * import { serveOnEveryCore } from "listenrain/adapters/deno";
 *
 * const group = await serveOnEveryCore({
 *   key: "tcp://0.0.0.0:7000",
 *   server: (worker) =>
 *     new Server({ router: new Router().handle("who", () => worker.index) }),
 * });
 * if (group.role === "primary") {
 *   console.log(`${group.workers} workers on port ${group.port}`);
 * }
 * await group.closed; // after SIGTERM or Ctrl-C, once every worker drained
 * ```
 */
export function serveOnEveryCore(
  options: EveryCoreOptions,
): Promise<CoreGroup> {
  return serveWorkers(options, listen);
}
