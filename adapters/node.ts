/**
 * The Node adapter of listenrain: `node:net` and `node:tls` sockets as
 * {@linkcode Channel}s, over TCP, TLS and Unix sockets.
 *
 * Reading: the socket pauses while 64 KiB sit unread and resumes when the
 * reader pulls, so a slow reader holds memory bounded. Sockets it dials
 * (TCP, TLS and Unix) read into buffers the channel chooses (the `onread`
 * option of `net.connect` and `tls.connect`), so the rest of a large frame
 * lands in the frame's own buffer; accepted sockets read by `'data'`
 * events. Writing: the chunk is not copied;
 * `write()` resolves at once when the kernel took every byte, and otherwise
 * once Node's write completes, so the writer may reuse the chunk after
 * `write()` resolves and a full socket makes it wait. Chunks read are fresh
 * memory owned by the reader (plain `Uint8Array` views of Node's buffers, or
 * of the channel's own).
 *
 * Accepting: Node accepts whether or not anyone iterates the listener, so
 * accepted channels wait in a queue of at most `backlog` (default 511);
 * connections beyond that are closed at once, as a full kernel backlog would
 * refuse them. So are connections beyond `maxConnections` (Node's
 * `server.maxConnections`), and TLS clients that do not finish their
 * handshake within `handshakeTimeout`. Accept errors (`EMFILE` …) do not
 * stop the listener: libuv keeps accepting once descriptors are free.
 *
 * Dialing TLS waits for the server's verdict on the client (see
 * `_tls_verdict.ts`), so a refused client certificate fails `dial`.
 *
 * @example An echo server and a client
 * ```ts
 * import { dial, listen } from "listenrain/adapters/node";
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
import * as net from "node:net";
import process from "node:process";
import * as tls from "node:tls";
import type { Channel, ChannelAddr, Listener } from "../src/channel/channel.ts";
import { AcceptQueue, DEFAULT_BACKLOG } from "./_accept_queue.ts";
import { raceAbort, throwIfAborted } from "./_abort.ts";
import { bindError } from "./_bind_error.ts";
import { listenLimits } from "./_listen_limits.ts";
import { socketChannel } from "./_node_channel.ts";
import {
  ONREAD_TLS_READ_SIZE,
  type OnreadOptions,
  OnreadSource,
} from "./_onread_source.ts";
import { verdict } from "./_node_tls.ts";
import { verdictGrace } from "./_tls_verdict.ts";
import { formatKey, type ParsedKey, parseKey } from "./_key.ts";
import type { TransportKeyLike } from "./_key.ts";
import type { DialOptions, ListenOptions } from "./_options.ts";

import { webSocketKey } from "./_key.ts";
import { dialNodeWebSocket, listenWebSocket } from "./_node_ws.ts";

import { type CoreGroup, type EveryCoreOptions } from "./_every_core.ts";
import { serveProcesses } from "./_every_core_process.ts";
import { UnsupportedRuntimeError } from "../src/errors.ts";

export type * from "./_exports.ts";
export { UnsupportedRuntimeError } from "../src/errors.ts";
export type { CoreGroup, CoreWorker, EveryCoreOptions } from "./_every_core.ts";
export type {
  WebSocketListenerBase,
  WebSocketListenerOptions,
  WebSocketUpgradeOptions,
} from "./_ws_listener.ts";
export {
  NodeWebSocketListener,
  refuseUpgrade,
  webSocketListener,
} from "./_node_ws.ts";
export type { UpgradeRequest, UpgradeSocket } from "./_node_ws.ts";
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
 * @throws {Error} Node's error if the connection or the TLS handshake fails
 *   (`ECONNREFUSED`, a refused client certificate …).
 *
 * @example Dialing a Unix socket
 * ```ts
 * import { dial } from "listenrain/adapters/node";
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
    return dialNodeWebSocket(web, options.signal, options.tls?.caCerts);
  }
  const parsed = parseKey(key);
  const what = `dial ${formatKey(parsed)}`;
  throwIfAborted(options.signal, what);
  const started = performance.now();
  // The socket reads into buffers the channel chooses (see
  // `_onread_source.ts`); a TLS socket decrypts 16 KiB at most per read.
  const onread = new OnreadSource(
    parsed.transport === "tls" ? ONREAD_TLS_READ_SIZE : undefined,
  );
  const socket = connectSocket(parsed, options, onread);
  onread.attach(socket);
  // The error listener stays until the channel attaches its own: an 'error'
  // without a listener would crash the process.
  const ready = new Promise<void>((resolve, reject) => {
    const event = parsed.transport === "tls" ? "secureConnect" : "connect";
    socket.once(event, resolve).on("error", reject);
  });
  await raceAbort(ready, options.signal, what, () => {}, () => {
    socket.destroy();
  });
  if (parsed.transport !== "unix") {
    socket.setNoDelay(options.noDelay ?? true);
    if (options.keepAlive) {
      const delay = typeof options.keepAlive === "number"
        ? options.keepAlive
        : 0;
      socket.setKeepAlive(true, delay);
    }
  }
  const channel = socketChannel(socket, parsed, "client", onread);
  if (parsed.transport !== "tls") return channel;
  const grace = verdictGrace(performance.now() - started);
  try {
    await raceAbort(
      verdict(socket as tls.TLSSocket, onread, grace),
      options.signal,
      what,
      () => {},
    );
  } catch (error) {
    channel.close();
    throw error;
  }
  return channel;
}

/** Whether this Node has `reusePort` (added in 22.12 and 23.1). */
function hasReusePort(): boolean {
  const [major, minor] = process.versions.node.split(".").map(Number);
  return major > 23 || (major === 23 && minor >= 1) ||
    (major === 22 && minor >= 12);
}

function connectSocket(
  key: ParsedKey,
  options: DialOptions,
  source: OnreadSource,
): net.Socket {
  const onread = source.onread;
  if (key.transport === "unix") {
    return net.connect({ path: key.path, allowHalfOpen: true, onread });
  }
  if (key.transport === "tcp") {
    return net.connect({
      host: key.hostname,
      port: key.port,
      allowHalfOpen: true,
      onread,
    });
  }
  const { caCerts, serverName, cert, key: privateKey } = options.tls ?? {};
  // tls.connect passes allowHalfOpen and onread on to its socket;
  // @types/node 20 omits them.
  const tlsOptions: tls.ConnectionOptions & {
    allowHalfOpen: boolean;
    onread: OnreadOptions;
  } = {
    host: key.hostname,
    port: key.port,
    allowHalfOpen: true,
    ca: caCerts,
    servername: serverName,
    cert,
    key: privateKey,
    onread,
  };
  return tls.connect(tlsOptions);
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
 * @throws {UnsupportedRuntimeError} If `reusePort` is set on Node older
 *   than 22.12.
 * @throws {Error} If Node cannot bind for another reason.
 *
 * @example Listening on any free port
 * ```ts
 * import { listen } from "listenrain/adapters/node";
 * const listener = await listen("tcp://127.0.0.1:0");
 * console.log(listener.addr.port! > 0); // true
 * listener.close();
 * ```
 */
export async function listen(
  key: string | TransportKeyLike,
  options: ListenOptions = {},
): Promise<Listener> {
  const web = webSocketKey(key);
  if (web !== undefined) return listenWebSocket(web, options);
  const parsed = parseKey(key);
  if (options.reusePort && !hasReusePort()) {
    throw new UnsupportedRuntimeError(
      `reusePort is not supported on Node ${process.versions.node}: it needs Node 22.12 or later`,
    );
  }
  if (parsed.transport === "tls" && options.tls === undefined) {
    throw new TypeError(
      `Cannot listen on ${
        formatKey(parsed)
      }: options.tls (cert and key) is required`,
    );
  }
  const limits = listenLimits(
    options,
    () => readFileSync("/proc/self/limits", "utf8"),
  );
  const backlog = options.backlog ?? DEFAULT_BACKLOG;
  const queue = new AcceptQueue<Channel>(backlog, (channel) => channel.close());
  // Accepted sockets read by 'data' events: Node's server makes them, and
  // `onread` is an option of the dialing calls and socket constructors only.
  const accept = (socket: net.Socket) => {
    if (parsed.transport !== "unix") socket.setNoDelay(true);
    queue.push(socketChannel(socket, parsed, "server"));
  };
  const server = parsed.transport === "tls"
    ? tls.createServer({
      allowHalfOpen: true,
      cert: options.tls?.cert,
      key: options.tls?.key,
      ca: options.tls?.caCerts,
      requestCert: options.tls?.caCerts !== undefined,
      rejectUnauthorized: true,
      handshakeTimeout: limits.handshakeTimeout === Infinity
        ? 0
        : limits.handshakeTimeout,
    }, accept)
    : net.createServer({ allowHalfOpen: true }, accept);
  // Node closes a connection beyond it as soon as it is accepted.
  server.maxConnections = limits.maxConnections;
  // A failed or timed-out handshake: release the socket and its descriptor.
  server.on("tlsClientError", (_error: Error, socket: net.Socket) => {
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) =>
      reject(bindError(error, formatKey(parsed)));
    server.once("error", failed);
    // reusePort is missing from @types/node 20, hence the wider type.
    const address: net.ListenOptions & { reusePort?: boolean } =
      parsed.transport === "unix"
        ? { path: parsed.path, backlog }
        : { host: parsed.hostname, port: parsed.port, backlog };
    if (options.reusePort) address.reusePort = true;
    server.listen(address, () => {
      server.off("error", failed);
      resolve();
    });
  });
  // Accept errors (EMFILE …) do not stop the server: drop them, keep listening.
  server.on("error", () => {});
  const bound = server.address();
  const addr: ChannelAddr = parsed.transport === "unix"
    ? { transport: "unix", path: parsed.path }
    : {
      transport: parsed.transport,
      hostname: parsed.hostname,
      port: typeof bound === "object" && bound !== null
        ? bound.port
        : parsed.port,
    };
  return {
    addr,
    close() {
      if (queue.closed) return;
      queue.close();
      server.close();
    },
    [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
  };
}

/**
 * Runs one listenrain server per core on this host, all on one port: worker processes of the
 * `node:cluster` module (the primary accepts each connection and hands it to a
 * worker, round robin; on every Node version and platform).
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
 * @throws {UnsupportedRuntimeError} If called outside the main thread of an
 *   entry script (in a worker thread, or code from `-e` or stdin).
 * @throws {TypeError} If the key is not `tcp://` or `tls://`, or `server` is
 *   missing.
 * @throws {RangeError} If `workers` is not an integer from 1 to 1024.
 * @throws {Error} If a worker cannot listen or start within `startTimeout`
 *   (the started ones are shut down first).
 *
 * @example Every core serving port 7000
 * ```ts
 * import { Router, Server } from "listenrain";
 * import { serveOnEveryCore } from "listenrain/adapters/node";
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
  return serveProcesses(options, { runtime: "node", listen });
}
