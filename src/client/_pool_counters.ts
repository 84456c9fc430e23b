/**
 * The counters of a {@linkcode ConnectionPool}: its connects, reconnects,
 * connect errors and disconnects, and the summed counters of the
 * connections that closed. Private to the pool.
 *
 * @module
 */

import type { Connection } from "../connection/connection.ts";
import {
  addStats,
  type ConnectionStats,
  createStats,
} from "../transport/stats.ts";
import type { PoolStats } from "./pool_stats.ts";

/** What a pool has counted since it was created. */
export class PoolCounters {
  connects = 0;
  reconnects = 0;
  connectErrors = 0;
  disconnects = 0;
  /** The summed counters of the connections that closed. */
  #closed: ConnectionStats = createStats();

  /**
   * Counts a connection that closed and keeps its counters.
   *
   * @param connection The connection.
   */
  lost(connection: Connection): void {
    this.disconnects++;
    addStats(this.#closed, connection.stats, false);
  }

  /**
   * The pool's stats.
   *
   * @param connections How many connections are open now.
   * @returns The counts.
   */
  stats(connections: number): PoolStats {
    return {
      connections,
      connects: this.connects,
      reconnects: this.reconnects,
      connectErrors: this.connectErrors,
      disconnects: this.disconnects,
    };
  }

  /**
   * The counters of every connection the pool has had, summed; the current
   * values over the open ones.
   *
   * @param open The open connections.
   * @returns The sums.
   */
  connectionStats(open: Iterable<Connection>): ConnectionStats {
    const total = { ...this.#closed };
    for (const connection of open) addStats(total, connection.stats, true);
    return total;
  }
}
