/**
 * The state a {@linkcode ConnectionPool} keeps per key. Private to the pool.
 *
 * @module
 */

import {
  AbortedError,
  ConnectError,
  ConnectionClosedError,
} from "../errors.ts";
import {
  ConnectionMonitor,
  type HeartbeatOptions,
} from "../transport/connection_monitor.ts";
import type { TimerHeap } from "../timer/timer_heap.ts";
import type { TimerHandle } from "../timer/timer_heap.ts";
import type { Connection } from "../connection/connection.ts";
import type { TransportKey } from "../channel/transport_key.ts";

/** A `get()` waiting for a connection. `settle` works once. */
export interface Waiter {
  readonly waitForReady: boolean;
  settle(connection?: Connection, error?: unknown): void;
}

/** The connections, attempts, backoff and waiters of one key. */
export class KeyState {
  readonly key: TransportKey;
  /** Open connections, usable or not (goaway, closing). */
  readonly connections: Connection[] = [];
  readonly monitors: Map<Connection, ConnectionMonitor> = new Map();
  /** When each connection opened (performance.now()). */
  readonly openedAt: Map<Connection, number> = new Map();
  /** Connections the pool closes on purpose: no reconnect when they go. */
  readonly retiring: Set<Connection> = new Set();
  /** Attempts in progress. */
  readonly dials: Set<AbortController> = new Set();
  readonly waiters: Set<Waiter> = new Set();
  /**
   * Failed attempts in a row. A connection that closes before it proved
   * healthy (a reply, or a second of life) counts as one too.
   */
  failures = 0;
  /** No attempt before this time (performance.now()); 0 when not backing off. */
  retryAt = 0;
  lastError: unknown = undefined;
  /** The planned next attempt, if any. */
  retryTimer: TimerHandle | undefined = undefined;
  /** Reconnecting in the background after an unexpected close. */
  reconnecting = false;
  dropped = false;
  #turn = 0;

  constructor(key: TransportKey) {
    this.key = key;
  }

  /** The usable connection with the fewest requests in flight; ties in turn. */
  pick(): Connection | undefined {
    const list = this.connections;
    const count = list.length;
    if (count === 1) {
      const only = list[0];
      return only.canRequest ? only : undefined;
    }
    let best: Connection | undefined;
    let bestLoad = Infinity;
    const start = count > 0 ? this.#turn++ % count : 0;
    for (let i = 0; i < count; i++) {
      const connection = list[(start + i) % count];
      if (!connection.canRequest) continue;
      const load = connection.inFlight;
      if (load < bestLoad) {
        best = connection;
        bestLoad = load;
      }
    }
    return best;
  }

  /** How many connections take new requests. */
  usable(): number {
    let usable = 0;
    for (const connection of this.connections) {
      if (connection.canRequest) usable++;
    }
    return usable;
  }

  /** Forgets a closed connection and stops its monitor. */
  remove(connection: Connection): void {
    const index = this.connections.indexOf(connection);
    if (index >= 0) this.connections.splice(index, 1);
    this.monitors.get(connection)?.stop();
    this.monitors.delete(connection);
    this.openedAt.delete(connection);
  }

  cancelRetry(): void {
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
  }

  /**
   * Waits for a usable connection: settled by `wake()` (or a drop, or the
   * signal).
   */
  wait(
    signal: AbortSignal | undefined,
    waitForReady: boolean,
  ): Promise<Connection> {
    return new Promise<Connection>((resolve, reject) => {
      const waiter: Waiter = {
        waitForReady,
        settle: (connection, error) => {
          if (!this.waiters.delete(waiter)) return;
          signal?.removeEventListener("abort", onAbort);
          if (connection) resolve(connection);
          else reject(error);
        },
      };
      const onAbort = () =>
        waiter.settle(
          undefined,
          new AbortedError(`Connect to ${this.key} aborted`, {
            cause: signal!.reason,
          }),
        );
      this.waiters.add(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Hands connections to waiters, or fails them when nothing more is coming. */
  wake(): void {
    for (const waiter of [...this.waiters]) {
      const connection = this.pick();
      if (connection) waiter.settle(connection);
      else if (
        this.dials.size === 0 && !(waiter.waitForReady && this.retryTimer)
      ) {
        waiter.settle(undefined, this.unavailable());
      }
    }
  }

  /** The error of a `get()` that finds no connection and no attempt under way. */
  unavailable(): Error {
    const error = this.lastError;
    if (error === undefined) {
      // Connected, but the connection refuses already (goaway at once, say).
      const refusal = this.connections.at(-1)?.refusal;
      return new ConnectionClosedError(
        `Connection to ${this.key} closed as it opened${
          refusal ? `: ${refusal.message}` : ""
        }`,
        { cause: refusal },
      );
    }
    if (error instanceof TypeError) return error;
    const wait = Math.max(0, Math.round(this.retryAt - performance.now()));
    const why = error instanceof ConnectError
      ? error.message
      : `Cannot connect to ${this.key}: ${(error as Error)?.message ?? error}`;
    return new ConnectError(
      wait > 0 ? `${why} (next attempt in ${wait} ms)` : why,
      { cause: error },
    );
  }

  /** True when nothing of the key is left but, perhaps, backoff. */
  idle(): boolean {
    return this.connections.length === 0 && this.dials.size === 0 &&
      this.waiters.size === 0 && this.retryTimer === undefined &&
      !this.reconnecting;
  }

  /**
   * Drops the key: stops its dials and retries, fails its waiters, and
   * closes its connections.
   *
   * @param reason Why, for the errors.
   */
  async drop(reason: string): Promise<void> {
    if (this.dropped) return;
    this.dropped = true;
    this.cancelRetry();
    for (const controller of this.dials) {
      controller.abort(new ConnectionClosedError(reason));
    }
    const error = new ConnectionClosedError(reason);
    for (const waiter of [...this.waiters]) waiter.settle(undefined, error);
    await Promise.all(this.connections.map((connection) => {
      this.retiring.add(connection);
      return connection.close(reason);
    }));
  }

  /**
   * Watches `connection` with a monitor: heartbeat, and idle eviction (an
   * evicted connection is expected to go, and is not replaced).
   *
   * @param connection The new connection.
   * @param timers The pool's timer heap.
   * @param heartbeat The heartbeat, if any.
   * @param idleTimeout The idle eviction, in ms (`0` for none).
   */
  watch(
    connection: Connection,
    timers: TimerHeap,
    heartbeat: HeartbeatOptions | undefined,
    idleTimeout: number,
  ): void {
    this.monitors.set(
      connection,
      new ConnectionMonitor(connection, {
        timers,
        heartbeat,
        idleTimeout,
        onExpire: (reason) => {
          if (reason === "idle") this.retiring.add(connection);
        },
      }),
    );
  }
}
