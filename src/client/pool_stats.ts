/**
 * The counters of a `ConnectionPool`.
 *
 * @module
 */

/**
 * What a `ConnectionPool` has done so far, over every key. All
 * counters only grow, except `connections`, the open connections now.
 *
 * @example A client's connections, counted
 * ```ts
 * import { Client, Router, Server } from "listenrain";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const network = new MemoryNetwork();
 * await using server = new Server({
 *   router: new Router().handle("ping", (body: Uint8Array) => body),
 * });
 * server.serve(await network.listen("mem://api"));
 * await using client = new Client({
 *   endpoint: "mem://api",
 *   dial: (key, options) => network.dial(key, options),
 * });
 * await client.request("ping", new Uint8Array([1]));
 * console.log(client.pool.stats);
 * // { connections: 1, connects: 1, reconnects: 0, connectErrors: 0, disconnects: 0 }
 * ```
 */
export interface PoolStats {
  /** Open connections now. */
  connections: number;
  /** Connections opened, reconnects included. */
  connects: number;
  /**
   * Connections opened to replace one that was lost unexpectedly, or after
   * failed attempts (backoff).
   */
  reconnects: number;
  /** Connect attempts that failed. */
  connectErrors: number;
  /** Connections that closed, for whatever reason. */
  disconnects: number;
}
