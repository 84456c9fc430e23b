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
 * Accepting is pull-based too: nothing
 * is accepted until the listener is iterated (a TLS client's `dial` completes
 * once the server takes its connection).
 *
 * Deno quirks handled here: TCP connections start with Nagle's algorithm on,
 * so `dial` sets `TCP_NODELAY` (and dials TLS as TCP + `Deno.startTls` to be
 * able to). Connections accepted by `Deno.listenTls`, and dials that present a
 * client certificate (`Deno.connectTls`), offer no way to set it.
 *
 * Needs `--allow-net` (and `--allow-read --allow-write` for Unix sockets);
 * `reusePort` needs `--unstable-net`.
 *
 * @example An echo server and a client
 * ```ts
 * import { dial, listen } from "./deno.ts";
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

import type { Channel, ChannelAddr, Listener } from "../src/channel/channel.ts";
import { raceAbort, throwIfAborted } from "./_abort.ts";
import { DEFAULT_BACKLOG } from "./_accept_queue.ts";
import { channelAddrs, formatKey, type ParsedKey, parseKey } from "./_key.ts";
import type { TransportKeyLike } from "./_key.ts";
import type { DialOptions, ListenOptions } from "./_options.ts";
import { connChannel } from "./_conn_channel.ts";

export type * from "./_exports.ts";

// The parts of Deno's API this adapter uses, typed locally (no Deno namespace).
interface DenoAddr {
  readonly hostname?: string;
  readonly port?: number;
}
interface DenoConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  readonly localAddr: DenoAddr;
  readonly remoteAddr: DenoAddr;
  setNoDelay?(noDelay?: boolean): void;
  setKeepAlive?(keepAlive?: boolean): void;
  handshake?(): Promise<unknown>;
}
interface DenoListener {
  accept(): Promise<DenoConn>;
  close(): void;
  readonly addr: DenoAddr;
}
type NetOptions = {
  hostname?: string;
  port?: number;
  transport?: "tcp" | "unix";
  path?: string;
};
interface DenoLike {
  connect(options: NetOptions & { signal?: AbortSignal }): Promise<DenoConn>;
  connectTls(
    options: NetOptions & { caCerts?: string[]; cert?: string; key?: string },
  ): Promise<DenoConn>;
  startTls(
    conn: DenoConn,
    options: { hostname?: string; caCerts?: string[] },
  ): Promise<DenoConn>;
  listen(
    options: NetOptions & { reusePort?: boolean; tcpBacklog?: number },
  ): DenoListener;
  listenTls(
    options: NetOptions & {
      cert: string;
      key: string;
      reusePort?: boolean;
      tcpBacklog?: number;
    },
  ): DenoListener;
  listenDatagram?: unknown;
}

function deno(): DenoLike {
  const runtime = (globalThis as unknown as { Deno?: DenoLike }).Deno;
  if (runtime === undefined) {
    throw new Error(
      "adapters/deno.ts needs the Deno runtime: use adapters/bun.ts or adapters/node.ts",
    );
  }
  return runtime;
}

/**
 * Opens a channel to `key`.
 *
 * @param key `tcp://host:port`, `tls://host:port` or `unix:///path`.
 * @param options Abort signal, socket options and TLS settings.
 * @returns The connected channel (for TLS, after the handshake).
 * @throws {TypeError} If the key is invalid, or TLS options conflict.
 * @throws {AbortedError} If `signal` aborts first.
 * @throws {Error} Deno's error if the connection fails (`ConnectionRefused` …).
 *
 * @example Dialing TLS with a private CA
 * ```ts
 * import { dial } from "./deno.ts";
 * const caCert = await Deno.readTextFile("./ca.pem");
 * const channel = await dial("tls://localhost:7443", { tls: { caCerts: [caCert] } });
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
  // On abort, close the connection being set up (a TLS handshake has no signal).
  const attempt = new Attempt();
  const conn = await raceAbort(
    connect(parsed, options, attempt),
    options.signal,
    what,
    closeQuietly,
    () => attempt.abort(),
  );
  return connChannel(
    conn,
    ...channelAddrs(parsed, "client", conn.localAddr, conn.remoteAddr),
  );
}

/** The connection a dial attempt holds so far, closed if the dial aborts. */
class Attempt {
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

async function connect(
  key: ParsedKey,
  options: DialOptions,
  attempt: Attempt,
): Promise<DenoConn> {
  const runtime = deno();
  const tls = options.tls ?? {};
  const { hostname, port } = key;
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
      return secure;
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
    return secure;
  } catch (error) {
    attempt.release();
    throw error;
  }
}

/**
 * Listens on `key` and accepts channels as the listener is iterated.
 *
 * @param key `tcp://host:port` (port 0 for any free port), `tls://host:port`
 *   or `unix:///path` (the path must not exist; `close()` removes it).
 * @param options TLS certificate, backlog, `reusePort`.
 * @returns The listener; `listener.addr.port` is the bound port.
 * @throws {TypeError} If the key is invalid or `tls` is missing for `tls://`.
 * @throws {Error} If `reusePort` is set without `--unstable-net`, `tls.caCerts`
 *   is set, or Deno cannot bind (`AddrInUse` …).
 *
 * @example Listening on any free port
 * ```ts
 * import { listen } from "./deno.ts";
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
    throw new Error(
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
  const net = {
    hostname: parsed.hostname,
    port: parsed.port,
    tcpBacklog: options.backlog ?? DEFAULT_BACKLOG,
    ...(reusePort ? { reusePort } : {}),
  };
  const native = parsed.transport === "unix"
    ? runtime.listen({ transport: "unix", path: parsed.path })
    : parsed.transport === "tls"
    ? runtime.listenTls({ ...net, cert: tls!.cert, key: tls!.key })
    : runtime.listen(net);
  return denoListener(native, parsed);
}

function denoListener(native: DenoListener, key: ParsedKey): Listener {
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();
  const addr: ChannelAddr = key.transport === "unix"
    ? { transport: "unix", path: key.path }
    : {
      transport: key.transport,
      hostname: native.addr.hostname,
      port: native.addr.port,
    };
  const acceptOne = async (): Promise<IteratorResult<Channel>> => {
    for (let failures = 0; !closed; failures++) {
      try {
        const conn = await native.accept();
        if (key.transport === "tcp") conn.setNoDelay?.(true);
        return {
          done: false,
          value: connChannel(
            conn,
            ...channelAddrs(key, "server", conn.localAddr, conn.remoteAddr),
          ),
        };
      } catch {
        // Closed (the loop ends), or a passing accept error such as EMFILE:
        // back off and keep accepting, as Node and Bun do.
        if (!closed) {
          const delay = Math.min(1000, 5 * 2 ** Math.min(failures, 8));
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    }
    return { done: true, value: undefined };
  };
  // Deno accepts one connection at a time: concurrent next() calls queue up.
  const next = (): Promise<IteratorResult<Channel>> => {
    const result = queue.then(acceptOne);
    queue = result.catch(() => {});
    return result;
  };
  return {
    addr,
    close() {
      if (closed) return;
      closed = true;
      closeQuietly(native);
    },
    [Symbol.asyncIterator]: () => ({
      next,
      return: (): Promise<IteratorResult<Channel>> =>
        Promise.resolve({ done: true, value: undefined }),
    }),
  };
}

function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch { /* already closed */ }
}
