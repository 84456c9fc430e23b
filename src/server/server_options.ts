/**
 * The options of a {@linkcode Server}, its counters, and the options of its
 * `close()`.
 *
 * @module
 */

import type { ConnectionOptions } from "../connection/connection_options.ts";
import type { Connection } from "../connection/connection.ts";
import type { TimerHeap } from "../timer/timer_heap.ts";
import type { HeartbeatOptions } from "../transport/connection_monitor.ts";

/** The default of `shutdownTimeout`, in ms. */
export const DEFAULT_SHUTDOWN_TIMEOUT = 10_000;

/** The default of `firstFrameTimeout`, in ms. */
export const DEFAULT_FIRST_FRAME_TIMEOUT = 10_000;

/** The default of `maxConnectionAgeJitter`: each connection's age is drawn within ±10% of `maxConnectionAge`. */
export const DEFAULT_MAX_CONNECTION_AGE_JITTER = 0.1;

/**
 * Options of {@linkcode Server}: the routes, the protocol and body codec of
 * its connections, their limits, and the server's.
 *
 * @example Routes, a body codec, and a greeting pushed to each new client
 * ```ts
 * import {
 *   Connection,
 *   Router,
 *   Server,
 *   type ServerOptions,
 *   textBody,
 * } from "listenrain";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const options: ServerOptions = {
 *   router: new Router().handle("echo", (body: string) => body),
 *   body: textBody,
 *   maxConnections: 1_000,
 *   onConnect: (connection) => void connection.notify("welcome", "hi there"),
 * };
 * const network = new MemoryNetwork();
 * await using server = new Server(options);
 * server.serve(await network.listen("mem://chat"));
 * const welcome = Promise.withResolvers<string>();
 * const client = new Connection(await network.dial("mem://chat"), {
 *   router: new Router().handle("welcome", (text: string) => void welcome.resolve(text)),
 *   body: textBody,
 * });
 * console.log(await welcome.promise); // "hi there"
 * await client.close();
 * ```
 */
// deno-lint-ignore no-explicit-any
export interface ServerOptions<M = any>
  extends Omit<ConnectionOptions<M>, "timers" | "onGoaway"> {
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
   * Close a connection whose client sends no frame within this many ms
   * (after a goaway), so silent sockets cannot pile up; a client that
   * connects ahead of its first request is closed too, and reconnects when
   * it needs to. `0` for never.
   * @default {10000}
   */
  firstFrameTimeout?: number;
  /** Ping quiet connections; close those whose pong does not come. */
  heartbeat?: HeartbeatOptions;
  /**
   * Retire each connection after about this many ms (gRPC's
   * `MAX_CONNECTION_AGE`), so that clients connect again and spread over
   * the servers behind a name (a new pod gets its share after a deploy).
   * At its age a connection is sent goaway ("max connection age") and a
   * ping; once the pong shows the client stopped sending on it, it drains
   * (the requests in flight finish) and closes. A `Client` sends its new
   * requests on a fresh connection meanwhile, and none fails. Must be
   * positive; `Infinity` for never.
   * @default {Infinity}
   *
   * @example Connections recycled every 5 minutes, give or take 30 s
   * ```ts
   * import { Router, Server } from "listenrain";
   *
   * await using server = new Server({
   *   router: new Router().handle("echo", (body: Uint8Array) => body),
   *   maxConnectionAge: 300_000,
   *   maxConnectionAgeJitter: 0.1, // each connection's age within ±10%
   *   maxConnectionAgeGrace: 60_000, // then closed even if requests remain
   * });
   * ```
   */
  maxConnectionAge?: number;
  /**
   * The spread of each connection's age, as a fraction of
   * `maxConnectionAge`: a connection's age is drawn uniformly within
   * `maxConnectionAge × (1 ± jitter)`, so the connections opened together
   * (after a deploy, say) do not all reconnect at once. From `0` (none) to
   * below `1`.
   * @default {0.1}
   */
  maxConnectionAgeJitter?: number;
  /**
   * How long a connection retired by `maxConnectionAge` may keep serving
   * its requests in flight, in ms from its goaway; then it is closed and
   * those requests fail on the client with `ConnectionClosedError`.
   * `Infinity` (as gRPC's default) waits for them, however long; `close()`
   * still bounds it with its deadline. Must be `>= 0`.
   * @default {Infinity}
   */
  maxConnectionAgeGrace?: number;
  /** How long `close()` lets in-flight requests finish, in ms, unless told otherwise. @default {10000} */
  shutdownTimeout?: number;
  /** One heap for every timer of the server. @default {a heap of its own, cleared by close()} */
  timers?: TimerHeap;
  /** Called when a client connects, with its connection (to push to it later). */
  onConnect?: (connection: Connection) => void;
  /** Called when a client's connection closed, with why. */
  onDisconnect?: (connection: Connection, reason: Error | undefined) => void;
}

/**
 * Counters of a server's connections; `connectionStats` has the counters of
 * the requests on them.
 *
 * @example A server's connections and requests, counted
 * ```ts
 * import { Connection, Router, Server } from "listenrain";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const network = new MemoryNetwork();
 * await using server = new Server({
 *   router: new Router().handle("echo", (body: Uint8Array) => body),
 * });
 * server.serve(await network.listen("mem://counted"));
 * const client = new Connection(await network.dial("mem://counted"));
 * await client.request("echo", new Uint8Array([1]));
 * console.log(server.stats.accepted, server.connectionStats.requestsReceived); // 1 1
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
 * Options of {@linkcode Server.close}.
 *
 * @example A long deadline, cut short by a signal
 * ```ts
 * import { Connection, Router, Server } from "listenrain";
 * import type { ServerCloseOptions } from "listenrain/advanced";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const network = new MemoryNetwork();
 * const server = new Server({ router: new Router().handle("stuck", () => new Promise(() => {})) });
 * server.serve(await network.listen("mem://api"));
 * const client = new Connection(await network.dial("mem://api"));
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
