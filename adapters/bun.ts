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

import { dialWebSocket } from "../src/channel/websocket_channel.ts";
import { webSocketKey } from "./_key.ts";
import { listenWebSocket } from "./_bun_ws.ts";

export type * from "./_exports.ts";
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
  if (web !== undefined) return dialWebSocket(web, { signal: options.signal });
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
