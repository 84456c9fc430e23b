/**
 * The {@linkcode TransportServer}: an accept loop over any listener, one
 * transport per connection, limits, scheduled tasks and graceful shutdown,
 * for any protocol.
 *
 * @module
 */

import type { Channel, ChannelAddr, Listener } from "../channel/channel.ts";
import { TransportKey } from "../channel/transport_key.ts";
import { addrText, debug } from "../debug.ts";
import { ConnectionClosedError, RemoteError } from "../errors.ts";
import { type TimerHandle, TimerHeap } from "../timer/timer_heap.ts";
import { Transport, type TransportOptions } from "../transport/transport.ts";
import {
  addStats,
  createStats,
  type TransportStats,
} from "../transport/stats.ts";
import {
  ConnectionMonitor,
  type ExpireReason,
  type HeartbeatOptions,
} from "../transport/connection_monitor.ts";
import { checkMonitorOptions } from "../transport/_monitor_options.ts";

/**
 * The default time `close()` lets in-flight requests finish: 10 s. The
 * `shutdownTimeout` option overrides it, a `close()` call's `deadline` for
 * that call.
 * @default {10000}
 *
 * @example A server that gives in-flight requests 20 ms
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { Peer } from "../transport/peer.ts";
 * import { Router } from "../transport/router.ts";
 * import { Server } from "./server.ts";
 * import { DEFAULT_SHUTDOWN_TIMEOUT } from "./transport_server.ts";
 *
 * console.log(DEFAULT_SHUTDOWN_TIMEOUT); // 10000
 * const network = new MemoryNetwork();
 * const server = new Server({
 *   router: new Router().handle("stuck", () => new Promise(() => {})), // never finishes
 *   shutdownTimeout: 20,
 * });
 * server.serve(await network.listen("mem://api"));
 * const client = new Peer(await network.dial("mem://api"));
 * const reply = client.request("stuck", new Uint8Array()).catch((e) => e.name);
 * await new Promise((resolve) => setTimeout(resolve, 5)); // the request is in flight
 * await server.close(); // waits 20 ms for it, then closes the connection
 * console.log(await reply); // "ConnectionClosedError"
 * await client.closed;
 * ```
 */
export const DEFAULT_SHUTDOWN_TIMEOUT = 10_000;

/**
 * The default time a server gives a new connection to send its first frame:
 * 10 s. A client that connects and stays silent is sent goaway and closed
 * then, so silent sockets cannot pile up; a client that connects ahead of
 * its first request (a pool warming up) is closed too, and reconnects when
 * it needs to. The `firstFrameTimeout` option overrides it (`0` for never).
 * @default {10000}
 *
 * @example A silent client, closed after the first-frame timeout
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { Router } from "../transport/router.ts";
 * import { Server } from "./server.ts";
 * import { DEFAULT_FIRST_FRAME_TIMEOUT } from "./transport_server.ts";
 *
 * console.log(DEFAULT_FIRST_FRAME_TIMEOUT); // 10000
 * const network = new MemoryNetwork();
 * await using server = new Server({ router: new Router(), firstFrameTimeout: 20 });
 * server.serve(await network.listen("mem://api"));
 * const silent = await network.dial("mem://api"); // connects, sends nothing
 * const reader = silent.readable.getReader();
 * while (!(await reader.read()).done); // goaway, then the end
 * console.log(server.stats.firstFrameClosed); // 1
 * silent.close();
 * ```
 */
export const DEFAULT_FIRST_FRAME_TIMEOUT = 10_000;

/**
 * Options of {@linkcode TransportServer}: the transports' options and the server's.
 *
 * @example A server of one connection at most
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { type Envelope, EnvelopeCodec } from "../codec/envelope.ts";
 * import { Transport } from "../transport/transport.ts";
 * import { TransportServer, type TransportServerOptions } from "./transport_server.ts";
 *
 * const codec = new EnvelopeCodec();
 * const options: TransportServerOptions<Envelope> = {
 *   codec,
 *   handler: (m) => ({ ...m, kind: "reply" }),
 *   maxConnections: 1,
 *   idleTimeout: 60_000,
 * };
 * const network = new MemoryNetwork();
 * await using server = new TransportServer(options);
 * server.serve(await network.listen("mem://one"));
 * const first = new Transport<Envelope>(await network.dial("mem://one"), { codec });
 * await first.request({ kind: "request", id: 0, route: "hi", body: new Uint8Array() });
 * const second = new Transport<Envelope>(await network.dial("mem://one"), { codec });
 * await second.closed; // refused: the server sent goaway and closed it
 * console.log(server.stats.accepted, server.stats.rejected); // 1 1
 * await first.close();
 * ```
 */
export interface TransportServerOptions<M>
  extends Omit<TransportOptions<M>, "timers" | "onGoaway"> {
  /**
   * Open connections at most. A connection beyond it is sent goaway with the
   * reason and closed at once; the client's request fails with a
   * `ConnectionClosedError` that says why. The socket adapters' listeners
   * have a limit of their own by default, below the process's file
   * descriptor limit (`ListenOptions.maxConnections`); they close the
   * connections beyond it without a goaway.
   * @default {Infinity}
   */
  maxConnections?: number;
  /** Close a connection after this many ms without requests or notifications (gev's idle cleanup). `0` for never. @default {0} */
  idleTimeout?: number;
  /**
   * Close a connection whose client sends no frame within this many ms.
   * `0` for never.
   * @default {DEFAULT_FIRST_FRAME_TIMEOUT (10000)}
   */
  firstFrameTimeout?: number;
  /** Ping quiet connections; close those whose pong does not come. */
  heartbeat?: HeartbeatOptions;
  /** How long `close()` lets in-flight requests finish, in ms, unless told otherwise. @default {10000} */
  shutdownTimeout?: number;
  /** One heap for every timer of the server. @default {a heap of its own, cleared by close()} */
  timers?: TimerHeap;
  /** Builds each connection's transport. @default {new Transport(channel, options)} */
  createTransport?: (
    channel: Channel,
    key: TransportKey,
    options: TransportOptions<M>,
  ) => Transport<M>;
  /** Called when a connection is accepted. */
  onConnect?: (transport: Transport<M>) => void;
  /** Called when a connection closed, with why. */
  onDisconnect?: (transport: Transport<M>, reason: Error | undefined) => void;
}

/**
 * Counters of a server's connections; `transportStats` has the counters of
 * the requests on them.
 *
 * @example A server's connections and requests, counted
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { Peer } from "../transport/peer.ts";
 * import { Router } from "../transport/router.ts";
 * import { Server } from "./server.ts";
 *
 * const network = new MemoryNetwork();
 * await using server = new Server({
 *   router: new Router().handle("echo", (body: Uint8Array) => body),
 * });
 * server.serve(await network.listen("mem://counted"));
 * const client = new Peer(await network.dial("mem://counted"));
 * await client.request("echo", new Uint8Array([1]));
 * console.log(server.stats.accepted, server.transportStats.requestsReceived); // 1 1
 * await client.close();
 * ```
 */
export interface ServerStats {
  /** Open connections now. */
  connections: number;
  /** Connections accepted. */
  accepted: number;
  /** Connections refused by `maxConnections`. */
  rejected: number;
  /** Connections closed by `idleTimeout`. */
  idleClosed: number;
  /** Connections closed by `firstFrameTimeout`. */
  firstFrameClosed: number;
  /** Connections closed because the heartbeat's pong did not come. */
  heartbeatClosed: number;
}

/**
 * Options of {@linkcode TransportServer.close}.
 *
 * @example A long deadline, cut short by a signal
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { Peer } from "../transport/peer.ts";
 * import { Router } from "../transport/router.ts";
 * import { Server } from "./server.ts";
 * import type { ServerCloseOptions } from "./transport_server.ts";
 *
 * const network = new MemoryNetwork();
 * const server = new Server({ router: new Router().handle("stuck", () => new Promise(() => {})) });
 * server.serve(await network.listen("mem://api"));
 * const client = new Peer(await network.dial("mem://api"));
 * const reply = client.request("stuck", new Uint8Array()).catch((e) => e.name);
 * await new Promise((resolve) => setTimeout(resolve, 5)); // the request is in flight
 * const stop = new AbortController();
 * const options: ServerCloseOptions = { deadline: 60_000, signal: stop.signal };
 * const closing = server.close(options); // would wait up to a minute for the request
 * stop.abort(); // stop waiting: close the connections now
 * await closing;
 * console.log(await reply, server.stats.connections); // "ConnectionClosedError" 0
 * await client.closed;
 * ```
 */
export interface ServerCloseOptions {
  /** How long in-flight requests may take before they are cancelled, in ms. @default {the `shutdownTimeout` option} */
  deadline?: number;
  /** Stops waiting for in-flight requests: the connections close at once. */
  signal?: AbortSignal;
}

const EXPIRED: Record<ExpireReason, keyof ServerStats> = {
  "idle": "idleClosed",
  "first-frame": "firstFrameClosed",
  "heartbeat": "heartbeatClosed",
};

/**
 * Serves any protocol: `serve(listener)` accepts connections and runs one
 * transport on each, with its `handler`, `executor` and the server's shared
 * timer heap. Limits: `maxConnections`, `idleTimeout`, `firstFrameTimeout`,
 * `heartbeat`. Scheduled tasks (`runAfter`, `runEvery`) stop when the server
 * closes. `close()` shuts down gracefully: it stops accepting, sends goaway
 * to every client, lets in-flight requests finish until the deadline, then
 * closes. For the default protocol with routes, use {@linkcode Server}.
 *
 * @example A server of a custom protocol on the memory network
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { EnvelopeCodec, type Envelope } from "../codec/envelope.ts";
 * import { Transport } from "../transport/transport.ts";
 * import { TransportServer } from "./transport_server.ts";
 *
 * const network = new MemoryNetwork();
 * const codec = new EnvelopeCodec();
 * await using server = new TransportServer<Envelope>({
 *   codec,
 *   handler: (m) => ({ ...m, kind: "reply" }),
 *   maxConnections: 100,
 * });
 * server.serve(await network.listen("mem://echo"));
 * const client = new Transport<Envelope>(await network.dial("mem://echo"), { codec });
 * const reply = await client.request({ kind: "request", id: 0, route: "x", body: new Uint8Array([5]) });
 * console.log(reply.body, server.stats.connections); // Uint8Array(1) [ 5 ] 1
 * await client.close();
 * ```
 */
export class TransportServer<M> {
  #options: TransportOptions<M>;
  #create: NonNullable<TransportServerOptions<M>["createTransport"]>;
  #maxConnections: number;
  #idleTimeout: number;
  #firstFrameTimeout: number;
  #heartbeat: HeartbeatOptions | undefined;
  #shutdownTimeout: number;
  #timers: TimerHeap;
  #ownTimers: boolean;
  #onConnect: ((transport: Transport<M>) => void) | undefined;
  #onDisconnect: TransportServerOptions<M>["onDisconnect"];
  #listeners = new Set<Listener>();
  #connections = new Set<Transport<M>>();
  #tasks = new Set<TimerHandle>();
  #stats: ServerStats = {
    connections: 0,
    accepted: 0,
    rejected: 0,
    idleClosed: 0,
    firstFrameClosed: 0,
    heartbeatClosed: 0,
  };
  /** The summed counters of the connections that closed. */
  #closedStats: TransportStats = createStats();
  #closing: Promise<void> | undefined;

  /**
   * Creates the server; it accepts nothing before `serve()`.
   *
   * @param options The codec, the handler, and the server's limits.
   * @throws {RangeError} If a limit is out of range.
   */
  constructor(options: TransportServerOptions<M>) {
    const {
      maxConnections = Infinity,
      idleTimeout = 0,
      firstFrameTimeout = DEFAULT_FIRST_FRAME_TIMEOUT,
      heartbeat,
      shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT,
      timers,
      createTransport,
      onConnect,
      onDisconnect,
      ...transport
    } = options;
    if (!(maxConnections >= 1)) {
      throw new RangeError(
        `maxConnections must be at least 1, got ${maxConnections}`,
      );
    }
    if (!(shutdownTimeout >= 0)) {
      throw new RangeError(
        `shutdownTimeout must be >= 0, got ${shutdownTimeout}`,
      );
    }
    this.#maxConnections = maxConnections;
    this.#idleTimeout = idleTimeout;
    this.#firstFrameTimeout = firstFrameTimeout;
    this.#heartbeat = heartbeat;
    this.#shutdownTimeout = shutdownTimeout;
    this.#ownTimers = timers === undefined;
    this.#timers = timers ??
      new TimerHeap(transport.onError ? { onError: transport.onError } : {});
    this.#options = { ...transport, timers: this.#timers };
    this.#create = createTransport ??
      ((channel, _key, o) => new Transport<M>(channel, o));
    this.#onConnect = onConnect;
    this.#onDisconnect = onDisconnect;
    checkMonitorOptions({ heartbeat, idleTimeout, firstFrameTimeout });
  }

  /** Counters, with the current number of connections. */
  get stats(): ServerStats {
    return { ...this.#stats, connections: this.#connections.size };
  }

  /**
   * The counters of every connection the server has had (requests handled
   * and sent, replies, errors, timeouts, late and slow replies, frames and
   * bytes in and out), summed; the current values (`pending`, `handling`,
   * `queuedBytes`) over the open connections.
   */
  get transportStats(): TransportStats {
    const total = { ...this.#closedStats };
    for (const transport of this.#connections) {
      addStats(total, transport.stats, true);
    }
    return total;
  }

  /** The open connections' transports. */
  get connections(): Transport<M>[] {
    return [...this.#connections];
  }

  /** The addresses the server is listening on. */
  get addrs(): ChannelAddr[] {
    return [...this.#listeners].map((listener) => listener.addr);
  }

  /** True once `close()` was called. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Accepts connections from `listener` until it ends or the server closes
   * (which closes it). Call it once per listener; several may run at once.
   *
   * @param listener Where connections come from (an adapter's `listen`, a `MemoryNetwork`'s).
   * @returns A promise that resolves when accepting stops.
   * @throws {ConnectionClosedError} If the server is closed.
   * @throws The listener's error, if iterating it fails.
   */
  async serve(listener: Listener): Promise<void> {
    if (this.#closing) {
      listener.close();
      throw new ConnectionClosedError("Cannot serve: the server is closed");
    }
    const key = keyOf(listener.addr);
    this.#listeners.add(listener);
    debug(`server: listening on ${key}`);
    try {
      for await (const channel of listener) {
        if (this.#closing) {
          channel.close();
          break;
        }
        this.#accept(channel, key);
      }
    } catch (error) {
      if (!this.#closing) throw error;
    } finally {
      this.#listeners.delete(listener);
    }
  }

  /**
   * Runs `task` once after `delayMs`, on the server's timer heap; cancelled
   * if the server closes first.
   *
   * @param delayMs The delay in ms.
   * @param task The task; a throw goes to `onError`.
   * @returns A handle that cancels it.
   * @throws {RangeError} If `delayMs` is negative or not finite.
   * @throws {ConnectionClosedError} If the server is closed.
   */
  runAfter(delayMs: number, task: () => void): TimerHandle {
    this.#checkOpen();
    const inner: TimerHandle = this.#timers.runAfter(delayMs, () => {
      this.#tasks.delete(inner);
      task();
    });
    return this.#track(inner);
  }

  /**
   * Runs `task` every `intervalMs` (gev's RunEvery), on the server's timer
   * heap, until cancelled or the server closes.
   *
   * @param intervalMs The period in ms.
   * @param task The task; a throw goes to `onError` and the task keeps running.
   * @returns A handle that stops it.
   * @throws {RangeError} If `intervalMs` is not positive and finite.
   * @throws {ConnectionClosedError} If the server is closed.
   */
  runEvery(intervalMs: number, task: () => void): TimerHandle {
    this.#checkOpen();
    return this.#track(this.#timers.runEvery(intervalMs, task));
  }

  /**
   * Shuts down gracefully: stops accepting, sends goaway to every
   * connection, refuses new requests (`GOING_AWAY`, which clients send
   * elsewhere), lets in-flight requests finish until the deadline, then
   * closes every connection, scheduled task and timer. Calling it again
   * returns the same promise.
   *
   * @param options The deadline, and a signal to stop waiting.
   * @returns A promise that resolves once everything is closed.
   */
  close(options: ServerCloseOptions = {}): Promise<void> {
    this.#closing ??= this.#shutdown(
      options.deadline ?? this.#shutdownTimeout,
      options.signal,
    );
    return this.#closing;
  }

  /** Closes the server gracefully with the default deadline. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #accept(channel: Channel, key: TransportKey): void {
    if (this.#connections.size >= this.#maxConnections) {
      this.#stats.rejected++;
      const reason =
        `Too many connections (maxConnections ${this.#maxConnections})`;
      debug(`server: refused ${addrText(channel.remoteAddr)}: ${reason}`);
      // Requests that arrive before the close get the reason as an error
      // reply; the rest of the client's requests see it in the goaway.
      const refused = new Transport<M>(channel, {
        codec: this.#options.codec,
        packetCodec: this.#options.packetCodec,
        timers: this.#timers,
        handler: () => {
          throw new RemoteError("TOO_MANY_CONNECTIONS", reason);
        },
      });
      refused.goaway(reason);
      void refused.close(reason);
      return;
    }
    let transport: Transport<M>;
    try {
      transport = this.#create(channel, key, this.#options);
    } catch (error) {
      channel.close();
      debug(`server: cannot set up ${addrText(channel.remoteAddr)}`, {
        error,
      });
      this.#options.onError?.(error);
      return;
    }
    this.#stats.accepted++;
    debug(`server: accepted ${addrText(channel.remoteAddr)}`);
    this.#connections.add(transport);
    let monitor: ConnectionMonitor<M> | undefined;
    if (
      this.#heartbeat || this.#idleTimeout > 0 || this.#firstFrameTimeout > 0
    ) {
      monitor = new ConnectionMonitor(transport, {
        timers: this.#timers,
        heartbeat: this.#heartbeat,
        idleTimeout: this.#idleTimeout,
        firstFrameTimeout: this.#firstFrameTimeout,
        onExpire: (reason) => {
          this.#stats[EXPIRED[reason]]++;
          debug(
            `server: closing ${
              addrText(channel.remoteAddr)
            } (${reason} timeout)`,
          );
        },
      });
    }
    transport.closed.then(() => {
      this.#connections.delete(transport);
      addStats(this.#closedStats, transport.stats, false);
      monitor?.stop();
      this.#report(() =>
        this.#onDisconnect?.(transport, transport.closedReason)
      );
    });
    this.#report(() => this.#onConnect?.(transport));
  }

  async #shutdown(
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    debug(
      `server: shutting down (${this.#connections.size} connections, deadline ${deadline} ms)`,
    );
    for (const listener of this.#listeners) listener.close();
    const connections = [...this.#connections];
    for (const transport of connections) {
      transport.goaway("Server shutting down");
    }
    const drained = Promise.all(
      connections.map((t) => t.drain().catch(() => {})),
    );
    let timer: TimerHandle | undefined;
    let onAbort: (() => void) | undefined;
    await Promise.race([
      drained,
      new Promise<void>((resolve) => {
        timer = this.#timers.runAfter(Math.max(0, deadline), resolve);
        onAbort = resolve;
        if (signal?.aborted) resolve();
        signal?.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
    timer?.cancel();
    if (onAbort) signal?.removeEventListener("abort", onAbort);
    await Promise.all(
      [...this.#connections].map((t) => t.close("Server closed")),
    );
    for (const task of this.#tasks) task.cancel();
    this.#tasks.clear();
    if (this.#ownTimers) this.#timers.clear();
  }

  #track(handle: TimerHandle): TimerHandle {
    this.#tasks.add(handle);
    const tasks = this.#tasks;
    return {
      cancel: () => {
        tasks.delete(handle);
        return handle.cancel();
      },
      get active() {
        return handle.active;
      },
    };
  }

  #checkOpen(): void {
    if (this.#closing) {
      throw new ConnectionClosedError(
        "Cannot schedule a task: the server is closed",
      );
    }
  }

  #report(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.#options.onError?.(error);
    }
  }
}

/** The key of a listener's address; a `mem://` placeholder if it names none. */
function keyOf(addr: ChannelAddr): TransportKey {
  try {
    return TransportKey.from(addr);
  } catch {
    return new TransportKey(`mem://${addr.transport}-listener`);
  }
}
