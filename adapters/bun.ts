/**
 * The Bun adapter of listenrain: `Bun.connect` and `Bun.listen` sockets as
 * {@linkcode Channel}s, over TCP, TLS and Unix sockets.
 *
 * Reading: the socket's `data` handler feeds the channel's `readable`; the
 * socket pauses while 64 KiB sit unread and resumes when the reader pulls, so
 * a slow reader holds memory bounded. Writing: Bun's `socket.write()` may take
 * only part of a chunk; the adapter keeps the rest, writes it on `drain`, and
 * resolves `write()` once every byte was taken (the writer may then reuse the
 * chunk), so a full socket makes it wait.
 *
 * Accepting: Bun accepts whether or not anyone iterates the listener, so
 * accepted channels wait in a queue of at most `backlog` (default 511);
 * connections beyond that are closed at once, as a full kernel backlog would
 * refuse them. So are connections beyond `maxConnections`, and TLS clients
 * that do not finish their handshake within `handshakeTimeout`. TLS channels
 * are yielded after their handshake.
 *
 * Dialing TLS waits for the server's verdict on the client (see
 * `_tls_verdict.ts`), so a refused client certificate fails `dial`.
 *
 * @example An echo server and a client
 * ```ts
 * import { dial, listen } from "listenrain/adapters/bun";
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

import { readFileSync } from "node:fs";
import type { Channel, ChannelAddr, Listener } from "../src/channel/channel.ts";
import { raceAbort, throwIfAborted } from "./_abort.ts";
import { AcceptQueue, DEFAULT_BACKLOG } from "./_accept_queue.ts";
import { bindError } from "./_bind_error.ts";
import {
  bun,
  type BunLike,
  type BunOptions,
  type BunSocket,
  where,
} from "./_bun_api.ts";
import { handlers, ready, SocketState } from "./_bun_channel.ts";
import { verdict } from "./_bun_tls.ts";
import { listenLimits } from "./_listen_limits.ts";
import { verdictGrace } from "./_tls_verdict.ts";
import { formatKey, type ParsedKey, parseKey } from "./_key.ts";
import type { TransportKeyLike } from "./_key.ts";
import type { DialOptions, ListenOptions } from "./_options.ts";

import {
  dialWebSocket,
  type WebSocketConstructor,
} from "../src/channel/websocket_channel.ts";
import { webSocketKey } from "./_key.ts";
import { listenWebSocket } from "./_bun_ws.ts";

import { type CoreGroup, type EveryCoreOptions } from "./_every_core.ts";
import { serveProcesses } from "./_every_core_process.ts";

export type * from "./_exports.ts";
export { UnsupportedRuntimeError } from "../src/errors.ts";
export type { CoreGroup, CoreWorker, EveryCoreOptions } from "./_every_core.ts";
export type {
  WebSocketListenerBase,
  WebSocketListenerOptions,
  WebSocketUpgradeOptions,
} from "./_ws_listener.ts";
export { BunWebSocketListener, webSocketListener } from "./_bun_ws.ts";
export type {
  BunServer,
  BunServerWebSocket,
  BunSocketData,
  BunWebSocketHandlers,
} from "./_bun_ws.ts";
export { dnsLookup, dnsResolver } from "./_dns_node.ts";

/**
 * Opens a channel to `key`.
 *
 * @param key `tcp://host:port`, `tls://host:port` or `unix:///path`.
 * @param options Abort signal, socket options and TLS settings.
 * @returns The connected channel (for TLS, after the handshake and the
 *   server's verdict on the client).
 * @throws {TypeError} If the key is invalid.
 * @throws {AbortedError} If `signal` aborts first.
 * @throws {Error} Bun's error if the connection or TLS handshake fails (a
 *   refused client certificate …).
 *
 * @example Dialing a Unix socket
 * ```ts
 * import { dial } from "listenrain/adapters/bun";
 * const channel = await dial("unix:///tmp/app.sock");
 * channel.close();
 * ```
 */
export async function dial(
  key: string | TransportKeyLike,
  options: DialOptions = {},
): Promise<Channel> {
  const web = webSocketKey(key);
  if (web !== undefined) {
    return dialWebSocket(web, {
      signal: options.signal,
      WebSocket: trustingWebSocket(web.transport, options.tls?.caCerts),
    });
  }
  const parsed = parseKey(key);
  const what = `dial ${formatKey(parsed)}`;
  throwIfAborted(options.signal, what);
  const { caCerts, serverName, cert, key: privateKey } = options.tls ?? {};
  const state = new SocketState();
  const started = performance.now();
  const connecting = (async () => {
    const handshake = parsed.transport === "tls" ? ready(state) : undefined;
    handshake?.catch(() => {});
    const socket = await bun().connect({
      ...where(parsed),
      tls: parsed.transport !== "tls" ? undefined : {
        ca: caCerts,
        serverName,
        cert,
        key: privateKey,
        rejectUnauthorized: true,
      },
      allowHalfOpen: true,
      socket: handlers,
      data: state,
    });
    state.attach(socket); // closes it if the dial was aborted meanwhile
    const channel = state.channel(parsed, "client");
    try {
      await handshake;
      if (handshake !== undefined) {
        await verdict(state, socket, verdictGrace(performance.now() - started));
      }
    } catch (error) {
      channel.close();
      throw error;
    }
    if (parsed.transport !== "unix") {
      socket.setNoDelay?.(options.noDelay ?? true);
      const { keepAlive } = options;
      if (keepAlive) {
        socket.setKeepAlive?.(true, keepAlive === true ? 0 : keepAlive);
      }
    }
    return channel;
  })();
  // On abort, close the socket being set up (the TLS handshake has no signal).
  return await raceAbort(
    connecting,
    options.signal,
    what,
    (late) => late.close(),
    () => state.close(),
  );
}

/**
 * Listens on `key` and accepts channels.
 *
 * @param key `tcp://host:port` (port 0 for any free port), `tls://host:port`
 *   or `unix:///path` (the path must not exist; `close()` removes it).
 * @param options TLS certificate, backlog, `reusePort`, `maxConnections`,
 *   `handshakeTimeout`.
 * @returns The listener; `listener.addr.port` is the bound port.
 * @throws {TypeError} If the key is invalid or `tls` is missing for `tls://`.
 * @throws {RangeError} If `maxConnections` or `handshakeTimeout` is out of range.
 * @throws {AddressInUseError} If another socket holds the address.
 * @throws {Error} Bun's error if it cannot bind for another reason.
 *
 * @example Listening on any free port
 * ```ts
 * import { listen } from "listenrain/adapters/bun";
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
  // Bun binds synchronously; async makes its errors rejections, as on Deno and Node.
  const web = webSocketKey(key);
  if (web !== undefined) return listenWebSocket(web, options);
  return listenNow(parseKey(key), options);
}

function listenNow(parsed: ParsedKey, options: ListenOptions): Listener {
  const { tls, reusePort } = options;
  if (parsed.transport === "tls" && tls === undefined) {
    throw new TypeError(
      `Cannot listen on ${
        formatKey(parsed)
      }: options.tls (cert and key) is required`,
    );
  }
  if (reusePort && parsed.transport === "unix") {
    throw new TypeError(
      `Cannot listen on ${
        formatKey(parsed)
      }: reusePort applies to tcp and tls only`,
    );
  }
  const { maxConnections, handshakeTimeout } = listenLimits(
    options,
    readLimits,
  );
  const backlog = options.backlog ?? DEFAULT_BACKLOG;
  const queue = new AcceptQueue<Channel>(backlog, (channel) => channel.close());
  let open = 0;
  const release = () => {
    open--;
  };
  const accept = (socket: BunSocket) => {
    const state = new SocketState();
    state.attach(socket);
    socket.data = state;
    state.verifyPeer = tls?.caCerts !== undefined;
    if (open >= maxConnections) return state.close();
    open++;
    state.onClose = release;
    const channel = state.channel(parsed, "server");
    if (parsed.transport !== "unix") socket.setNoDelay?.(true);
    if (parsed.transport !== "tls") return queue.push(channel);
    const timer = handshakeTimeout === Infinity ? undefined : setTimeout(
      () => channel.close(),
      handshakeTimeout,
    );
    ready(state).then(() => {
      clearTimeout(timer);
      queue.push(channel);
    }, () => clearTimeout(timer));
  };
  const server = bindNow(parsed, {
    ...where(parsed),
    tls: tls === undefined ? undefined : {
      cert: tls.cert,
      key: tls.key,
      ca: tls.caCerts,
      requestCert: tls.caCerts !== undefined,
      rejectUnauthorized: tls.caCerts !== undefined,
    },
    allowHalfOpen: true,
    ...(reusePort ? { reusePort } : {}),
    backlog,
    socket: { ...handlers, open: accept },
  });
  const addr: ChannelAddr = parsed.transport === "unix"
    ? { transport: "unix", path: parsed.path }
    : {
      transport: parsed.transport,
      hostname: parsed.hostname,
      port: server.port ?? parsed.port,
    };
  return {
    addr,
    close() {
      if (queue.closed) return;
      queue.close();
      server.stop(); // accepted connections stay open
    },
    [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
  };
}

/** Binds; the runtime's "address in use" becomes `AddressInUseError`. */
function bindNow(
  parsed: ParsedKey,
  options: BunOptions,
): ReturnType<BunLike["listen"]> {
  try {
    return bun().listen(options);
  } catch (error) {
    throw bindError(error, formatKey(parsed));
  }
}

/** The text of `/proc/self/limits` (throws where there is none). */
function readLimits(): string {
  return readFileSync("/proc/self/limits", "utf8");
}

/**
 * Runs one listenrain server per core on this host, all on one port: worker processes of the
 * entry script, each with its own `reusePort` listener, so that the kernel
 * spreads connections (Linux only).
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
 * @throws {UnsupportedRuntimeError} If not on Linux, or called outside the
 *   main thread of an entry script.
 * @throws {TypeError} If the key is not `tcp://` or `tls://`, or `server` is
 *   missing.
 * @throws {RangeError} If `workers` is not an integer from 1 to 1024.
 * @throws {Error} If a worker cannot listen or start within `startTimeout`
 *   (the started ones are shut down first).
 *
 * @example Every core serving port 7000
 * ```ts
 * import { Router, Server } from "listenrain";
 * import { serveOnEveryCore } from "listenrain/adapters/bun";
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
  return serveProcesses(options, { runtime: "bun", listen });
}

/**
 * Bun's global `WebSocket`, trusting `caCerts` for `wss://` (Bun's client
 * takes a `tls` option); `undefined` (the global as it is) without them.
 */
function trustingWebSocket(
  transport: string,
  caCerts: string[] | undefined,
): WebSocketConstructor | undefined {
  if (caCerts === undefined || transport !== "wss") return undefined;
  const Base = (globalThis as unknown as {
    WebSocket: new (url: string, options: object) => object;
  }).WebSocket;
  return class extends Base {
    constructor(url: string, protocols?: string | string[]) {
      super(url, { protocols, tls: { ca: caCerts } });
    }
  } as unknown as WebSocketConstructor;
}
