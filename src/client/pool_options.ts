/**
 * The options of a {@linkcode ConnectionPool} and of its `get()`.
 *
 * @module
 */

import type { HeartbeatOptions } from "../transport/connection_monitor.ts";
import type { TimerHeap } from "../timer/timer_heap.ts";
import type { Connection } from "../connection/connection.ts";
import type { BackoffOptions } from "./backoff.ts";
import type { TransportKey } from "../channel/transport_key.ts";

/**
 * Background reconnection after a connection is lost, with backoff.
 *
 * @example The pool reconnects by itself after a connection reset
 * ```ts
 * import { Connection } from "listenrain";
 * import { ConnectionPool, type ReconnectOptions } from "listenrain/advanced";
 * import { type MemoryChannel, MemoryNetwork } from "listenrain/testing";
 *
 * const network = new MemoryNetwork();
 * const listener = await network.listen("mem://api");
 * const channels: MemoryChannel[] = [];
 * const reconnect: ReconnectOptions = { initialDelay: 10, maxDelay: 1_000, maxAttempts: 5 };
 * const pool = new ConnectionPool({
 *   connect: async (key, o) => {
 *     channels.push(await network.dial(key, o));
 *     return new Connection(channels.at(-1)!);
 *   },
 *   reconnect,
 * });
 * await pool.get("mem://api");
 * const reconnected = new Promise((resolve) => pool.addEventListener("connect", resolve));
 * channels[0].reset(); // the connection breaks
 * await reconnected;
 * console.log(pool.stats.reconnects); // 1
 * await pool.close();
 * listener.close();
 * ```
 */
export interface ReconnectOptions extends BackoffOptions {
  /** Failed attempts in a row after which the pool stops trying by itself (the next request tries again). @default {Infinity} */
  maxAttempts?: number;
}

/**
 * Options of {@linkcode ConnectionPool}.
 *
 * @example Two connections per endpoint
 * ```ts
 * import { Connection } from "listenrain";
 * import {
 *   ConnectionPool,
 *   type ConnectionPoolOptions,
 * } from "listenrain/advanced";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const network = new MemoryNetwork();
 * const listener = await network.listen("mem://api");
 * const options: ConnectionPoolOptions = {
 *   connect: async (key, { signal }) => new Connection(await network.dial(key, { signal })),
 *   size: 2,
 *   reconnect: false,
 * };
 * const pool = new ConnectionPool(options);
 * await pool.get("mem://api");
 * console.log(pool.connections("mem://api").length); // 2
 * await pool.close();
 * listener.close();
 * ```
 */
export interface ConnectionPoolOptions {
  /** Opens a connection to `key`; the pool aborts `signal` when it no longer wants it. */
  connect: (
    key: TransportKey,
    options: { signal: AbortSignal },
  ) => Promise<Connection>;
  /** Connections per key; a request takes the one with the fewest in flight. @default {1} */
  size?: number;
  /** Close a connection after this many ms without requests (see `ConnectionMonitor`). `0` for never. @default {0} */
  idleTimeout?: number;
  /** Ping quiet connections and close those whose pong does not come. */
  heartbeat?: HeartbeatOptions;
  /**
   * Backoff between failed attempts, and reconnection in the background after
   * a connection closes unexpectedly. `false`: no background reconnection
   * (failed attempts still back off with the default delays).
   * @default {{}}
   */
  reconnect?: ReconnectOptions | false;
  /** The heap of the pool's timers. @default {a heap of its own, cleared by close()} */
  timers?: TimerHeap;
}

/**
 * Options of {@linkcode ConnectionPool.get}.
 *
 * @example Waiting for the next attempt instead of failing
 * ```ts
 * import { Connection, type ConnectError } from "listenrain";
 * import { ConnectionPool, type PoolGetOptions } from "listenrain/advanced";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const network = new MemoryNetwork();
 * const pool = new ConnectionPool({
 *   connect: async (key, o) => new Connection(await network.dial(key, o)),
 *   reconnect: { initialDelay: 10, jitter: 0 },
 * });
 * await pool.get("mem://api").catch((e: ConnectError) => console.log(e.code)); // "ERR_CONNECT": not listening yet
 * const listener = await network.listen("mem://api");
 * const options: PoolGetOptions = { waitForReady: true, signal: new AbortController().signal };
 * const connection = await pool.get("mem://api", options); // the retry 10 ms later succeeds
 * console.log(connection.canRequest); // true
 * await pool.close();
 * listener.close();
 * ```
 */
export interface PoolGetOptions {
  /** Stops waiting; the promise rejects with `AbortedError`. */
  signal?: AbortSignal;
  /**
   * While the key backs off after failed attempts, wait for the next attempt
   * (until `signal` aborts) instead of failing at once with `ConnectError`.
   * @default {false}
   */
  waitForReady?: boolean;
}
