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
 * import { dial, listen } from "./bun.ts";
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
import { ConnectionClosedError } from "../src/errors.ts";
import { raceAbort, throwIfAborted } from "./_abort.ts";
import { AcceptQueue, DEFAULT_BACKLOG } from "./_accept_queue.ts";
import { bindError } from "./_bind_error.ts";
import { listenLimits } from "./_listen_limits.ts";
import { closedAfterHandshake, verdictGrace } from "./_tls_verdict.ts";
import { channelAddrs, formatKey, type ParsedKey, parseKey } from "./_key.ts";
import type { TransportKeyLike } from "./_key.ts";
import type { DialOptions, ListenOptions } from "./_options.ts";
import { plainBytes, PushSource } from "./_streams.ts";
import { IOChannel } from "../src/channel/_stream_io.ts";

export type * from "./_exports.ts";

// The parts of Bun's API this adapter uses, typed locally (no bun-types).
interface BunSocket {
  data: SocketState;
  write(bytes: Uint8Array): number;
  shutdown(): void;
  end(): void;
  close?(): void;
  pause?(): void;
  resume?(): void;
  setNoDelay?(noDelay?: boolean): boolean;
  setKeepAlive?(enable?: boolean, initialDelay?: number): boolean;
  getTLSTicket?(): unknown;
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
}
interface BunHandlers {
  open(socket: BunSocket): void;
  handshake(socket: BunSocket, success: boolean, error: Error | null): void;
  data(socket: BunSocket, bytes: Uint8Array): void;
  drain(socket: BunSocket): void;
  end(socket: BunSocket): void;
  close(socket: BunSocket, error?: Error): void;
  error(socket: BunSocket, error: Error): void;
}
interface BunOptions {
  hostname?: string;
  port?: number;
  unix?: string;
  tls?: {
    ca?: string[];
    cert?: string;
    key?: string;
    serverName?: string;
    requestCert?: boolean;
    rejectUnauthorized: boolean;
  };
  allowHalfOpen: true;
  socket: BunHandlers;
  data?: SocketState;
  reusePort?: boolean;
  backlog?: number;
}
interface BunLike {
  connect(options: BunOptions): Promise<BunSocket>;
  listen(options: BunOptions): { readonly port?: number; stop(): void };
}

function bun(): BunLike {
  const runtime = (globalThis as unknown as { Bun?: BunLike }).Bun;
  if (runtime !== undefined) return runtime;
  throw new Error(
    "adapters/bun.ts needs Bun: use adapters/deno.ts or adapters/node.ts",
  );
}

/** Closes a socket gracefully (FIN, not RST), like Node's `destroy()`. */
function closeSocket(socket: BunSocket): void {
  // On TLS, end() only half-closes (close_notify) and keeps reading.
  if (socket.close) socket.close();
  else socket.end();
}

const closedError = () =>
  new ConnectionClosedError("Cannot write: the channel was closed");

/**
 * What the adapter keeps per socket (`socket.data`), and the channel the
 * user gets. Its `ChannelIO` calls are the fast path (the core
 * uses them); `readable` and `writable` are made from them on first use.
 */
class SocketState extends IOChannel {
  socket?: BunSocket;
  localAddr!: ChannelAddr;
  remoteAddr!: ChannelAddr;
  /** A chunk Bun took only part of: the rest goes out on `drain`. */
  pending?: {
    chunk: Uint8Array;
    offset: number;
    resolve(): void;
    reject(error: unknown): void;
  };
  closed = false;
  writeEnded = false;
  /** Called once the socket is ready for the user (TLS: after the handshake). */
  onReady?: (error?: unknown) => void;
  /** Whether the TLS handshake must verify the peer's certificate. */
  verifyPeer = true;
  /** Called once when the channel closes (a listener's count of open ones). */
  onClose?: () => void;
  readonly source: PushSource = new PushSource(this);

  /** The source's backpressure: pause and resume the socket. */
  pause(): void {
    this.socket?.pause?.();
  }

  resume(): void {
    this.socket?.resume?.();
  }

  read(): Promise<Uint8Array | null> {
    return this.source.read();
  }

  write(chunk: Uint8Array): Promise<void> | undefined {
    if (this.closed) throw closedError();
    const socket = this.socket;
    if (socket !== undefined && this.pending === undefined) {
      // Bun copies what it takes: done at once when it took every byte.
      const written = socket.write(chunk);
      if (written < 0) {
        this.close(closedError());
        throw closedError();
      }
      if (written === chunk.length) return undefined;
      return new Promise<void>((resolve, reject) => {
        this.pending = { chunk, offset: written, resolve, reject };
      });
    }
    return new Promise<void>((resolve, reject) => {
      this.pending = { chunk, offset: 0, resolve, reject };
      this.flush();
    });
  }

  closeWrite(): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    this.writeEnded = true;
    this.socket?.shutdown();
    if (this.source.ended) this.close();
    return Promise.resolve();
  }

  /** Adopts the socket; closes it at once if the channel already closed. */
  attach(socket: BunSocket): void {
    this.socket = socket;
    if (this.closed) closeSocket(socket);
  }

  /** Ends everything now: the user's close(), or the socket closed. */
  close(error?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    if (this.socket) closeSocket(this.socket);
    this.source.end(error);
    const reason = error ?? closedError();
    this.pending?.reject(reason);
    this.pending = undefined;
    this.onReady?.(reason);
    const onClose = this.onClose;
    this.onClose = undefined;
    onClose?.();
  }

  /** Writes as much of the pending chunk as Bun takes. */
  flush(): void {
    const pending = this.pending;
    if (pending === undefined || this.socket === undefined) return;
    const written = this.socket.write(pending.chunk.subarray(pending.offset));
    if (written < 0) return this.close(closedError());
    pending.offset += written;
    if (pending.offset < pending.chunk.length) return;
    this.pending = undefined;
    pending.resolve();
  }

  /** Names the ends, once the socket is attached; returns the channel. */
  channel(key: ParsedKey, side: "client" | "server"): Channel {
    const socket = this.socket;
    [this.localAddr, this.remoteAddr] = channelAddrs(
      key,
      side,
      { hostname: socket?.localAddress, port: socket?.localPort },
      { hostname: socket?.remoteAddress, port: socket?.remotePort },
    );
    return this;
  }
}

const handlers: BunHandlers = {
  open(socket) {
    socket.data.attach(socket);
  },
  handshake(socket, success, error) {
    // Bun reports a peer certificate that fails verification as a success
    // with an error (and does not close): a refusal, where the peer's
    // certificate is checked (always by a client; by a server with caCerts).
    const state = socket.data;
    const refused = !success || (state.verifyPeer && error);
    state.onReady?.(
      refused ? error ?? new Error("TLS handshake failed") : undefined,
    );
  },

  data(socket, bytes) {
    socket.data.source.push(plainBytes(bytes));
  },
  drain(socket) {
    socket.data.flush();
  },
  end(socket) {
    // Ended before the handshake or the server's verdict: a failed setup.
    socket.data.onReady?.(
      new ConnectionClosedError("The peer ended the connection"),
    );
    socket.data.source.end();
    if (socket.data.writeEnded) socket.data.close();
  },
  close(socket, error) {
    socket.data.close(error);
  },
  error(socket, error) {
    socket.data.close(error);
  },
};

function where(
  key: ParsedKey,
): { hostname?: string; port?: number; unix?: string } {
  return key.transport === "unix"
    ? { unix: key.path }
    : { hostname: key.hostname, port: key.port };
}

/** Resolves once `state` is ready (TLS: handshake done), rejects if it fails first. */
function ready(state: SocketState): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    state.onReady = (error) => {
      state.onReady = undefined;
      if (error === undefined) resolve();
      else reject(error);
    };
  });
}

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
 * import { dial } from "./bun.ts";
 * const channel = await dial("unix:///tmp/app.sock");
 * channel.close();
 * ```
 */
export async function dial(
  key: string | TransportKeyLike,
  options: DialOptions = {},
): Promise<Channel> {
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
 * Waits for the server's verdict on the client after the TLS handshake: a
 * session ticket (accepted; Bun has no event for it, so it is looked for
 * every 2 ms), the channel's close (refused), or `graceMs` (accepted).
 */
function verdict(
  state: SocketState,
  socket: BunSocket,
  graceMs: number,
): Promise<void> {
  if (state.closed) return Promise.reject(closedAfterHandshake());
  return new Promise<void>((resolve, reject) => {
    const deadline = performance.now() + graceMs;
    const done = (error?: unknown) => {
      clearInterval(timer);
      state.onReady = undefined;
      if (error === undefined) resolve();
      else reject(error);
    };
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
 * import { listen } from "./bun.ts";
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
