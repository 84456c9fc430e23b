/**
 * The {@linkcode ConnectionPool}: live connections per {@linkcode TransportKey},
 * created once (single flight), dropped when dead, evicted when idle, and
 * reconnected with backoff.
 *
 * @module
 */

import { logging } from "../logger.ts";
import { AbortedError, ConnectionClosedError } from "../errors.ts";
import { TimerHeap } from "../timer/timer_heap.ts";
import type { Connection } from "../connection/connection.ts";
import type { ConnectionStats } from "../transport/stats.ts";
import type { HeartbeatOptions } from "../transport/connection_monitor.ts";
import { backoffDelay, type BackoffOptions } from "./backoff.ts";
import type { ConnectionPoolOptions, PoolGetOptions } from "./pool_options.ts";
import type { KeyState } from "./_key_state.ts";
import { KeyTable } from "./_key_table.ts";
import { PoolCounters } from "./_pool_counters.ts";
import { logPoolEvent } from "./_pool_log.ts";
import { resolvePoolOptions } from "./_pool_config.ts";
import {
  PoolEvent,
  type PoolEventInit,
  type PoolEventType,
} from "./pool_event.ts";
import type { PoolStats } from "./pool_stats.ts";
import type {
  TransportKey,
  TransportKeyInit,
} from "../channel/transport_key.ts";

export type { PoolStats } from "./pool_stats.ts";
export type {
  ConnectionPoolOptions,
  PoolGetOptions,
  ReconnectOptions,
} from "./pool_options.ts";

/** A connection that lived this long, or got a reply, was healthy: its loss resets the backoff. */
const HEALTHY_AFTER_MS = 1000;

/**
 * Live connections per key. The first `get()` of a key opens a connection, and
 * every concurrent `get()` waits for that same attempt (single flight): a
 * thousand concurrent first requests open one connection, or exactly `size`.
 * A `get()` returns the usable connection with the fewest requests in flight;
 * connections that closed, or whose peer sent goaway, are skipped and
 * replaced. After a failed attempt the key backs off (exponential, with
 * jitter); a `get()` in that time fails at once with {@linkcode ConnectError}
 * unless `waitForReady`. A connection that closes unexpectedly is reconnected
 * in the background. Events (`connect`, `disconnect`, `connecterror`) are
 * {@linkcode PoolEvent}s.
 *
 * @example One connection for many concurrent requests
 * ```ts
 * import { Connection } from "listenrain";
 * import { ConnectionPool } from "listenrain/advanced";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const network = new MemoryNetwork();
 * const listener = await network.listen("mem://api");
 * const pool = new ConnectionPool({
 *   connect: async (key, { signal }) => new Connection(await network.dial(key, { signal })),
 * });
 * const connections = await Promise.all(Array.from({ length: 100 }, () => pool.get("mem://api")));
 * console.log(new Set(connections).size); // 1
 * await pool.close();
 * listener.close();
 * ```
 */
export class ConnectionPool extends EventTarget {
  #connect: ConnectionPoolOptions["connect"];
  #size: number;
  #idleTimeout: number;
  #heartbeat: HeartbeatOptions | undefined;
  #backoff: Required<BackoffOptions>;
  #reconnect: boolean;
  #maxAttempts: number;
  #timers: TimerHeap;
  #ownTimers: boolean;
  #keys = new KeyTable();
  #closing: Promise<void> | undefined;
  #counters = new PoolCounters();

  /**
   * Creates an empty pool; nothing connects before the first `get()`.
   *
   * @param options How to connect, and the pool's policy.
   * @throws {TypeError} If `connect` is not a function.
   * @throws {RangeError} If an option is out of range.
   */
  constructor(options: ConnectionPoolOptions) {
    super();
    const policy = resolvePoolOptions(options);
    this.#connect = options.connect;
    this.#size = policy.size;
    this.#idleTimeout = policy.idleTimeout;
    this.#heartbeat = options.heartbeat;
    this.#reconnect = policy.reconnect;
    this.#backoff = policy.backoff;
    this.#maxAttempts = policy.maxAttempts;
    this.#ownTimers = options.timers === undefined;
    this.#timers = options.timers ?? new TimerHeap();
  }

  /** Connects, reconnects, connect errors and disconnects, and the open connections now. */
  get stats(): PoolStats {
    let connections = 0;
    for (const state of this.#keys.values()) {
      connections += state.connections.length;
    }
    return this.#counters.stats(connections);
  }

  /**
   * The counters of every connection the pool has had (requests, replies,
   * errors, timeouts, late and slow replies, frames and bytes), summed; the
   * current values (`pending`, `handling`, `queuedBytes`) over the open ones.
   */
  get connectionStats(): ConnectionStats {
    return this.#counters.connectionStats(this.connections());
  }

  /** The keys the pool has connections, attempts or backoff state for. */
  get keys(): TransportKey[] {
    return [...this.#keys.values()].map((state) => state.key);
  }

  /**
   * The open connections of `key`, or of every key.
   *
   * @param key A key, or nothing for all.
   * @returns The connections, usable or draining.
   */
  connections(key?: string | TransportKeyInit): Connection[] {
    if (key === undefined) {
      return [...this.#keys.values()].flatMap((state) => state.connections);
    }
    return [...(this.#keys.get(key)?.connections ?? [])];
  }

  /**
   * A usable connection of `key` now, without waiting. Tops the key up to
   * `size` connections in the background.
   *
   * @param key The endpoint.
   * @returns The connection with the fewest requests in flight, or `undefined`.
   * @throws {TypeError} If `key` is invalid.
   */
  tryGet(key: string | TransportKeyInit): Connection | undefined {
    if (this.#closing) return undefined;
    const state = this.#keys.stateOf(key);
    const connection = state.pick();
    this.#topUp(state);
    return connection;
  }

  /**
   * A usable connection of `key`, connecting if there is none.
   *
   * @param key The endpoint.
   * @param options Abort signal; `waitForReady`.
   * @returns The connection with the fewest requests in flight.
   * @throws {ConnectError} The attempt failed, or the key backs off after one.
   * @throws {AbortedError} `signal` aborted first.
   * @throws {ConnectionClosedError} The pool closed, or the key was dropped.
   * @throws {TypeError} If `key` is invalid.
   */
  get(
    key: string | TransportKeyInit,
    options: PoolGetOptions = {},
  ): Promise<Connection> {
    try {
      if (this.#closing) {
        throw new ConnectionClosedError("Connection pool is closed");
      }
      const connection = this.tryGet(key);
      if (connection) return Promise.resolve(connection);
      return this.#wait(this.#keys.stateOf(key), options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Closes the connections of `key` and forgets it: their pending requests
   * reject with `ConnectionClosedError`, attempts in progress are abandoned.
   *
   * @param key The endpoint.
   * @returns A promise that resolves once its connections are closed.
   * @throws {TypeError} If `key` is invalid.
   */
  drop(key: string | TransportKeyInit): Promise<void> {
    const state = this.#keys.get(key);
    if (state === undefined) return Promise.resolve();
    return this.#drop(state, `Connections to ${state.key} dropped`);
  }

  /**
   * Closes every connection and stops every timer of the pool.
   *
   * @returns A promise that resolves once all connections are closed.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all(
        [...this.#keys.values()].map((state) =>
          this.#drop(state, "Connection pool closed")
        ),
      );
      if (this.#ownTimers) this.#timers.clear();
    })();
    return this.#closing;
  }

  /** Closes the pool. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #wait(state: KeyState, options: PoolGetOptions): Promise<Connection> {
    const { signal, waitForReady = false } = options;
    if (signal?.aborted) {
      return Promise.reject(
        new AbortedError(`Connect to ${state.key} aborted`, {
          cause: signal.reason,
        }),
      );
    }
    if (state.dials.size === 0) {
      if (!waitForReady) return Promise.reject(state.unavailable());
      this.#scheduleRetry(state);
    }
    return state.wait(signal, waitForReady);
  }

  #topUp(state: KeyState): void {
    if (this.#closing || state.dropped) return;
    let missing = this.#size - state.dials.size - state.usable();
    if (missing <= 0) return;
    // Backing off after a failed attempt: the retry timer, if any, comes back.
    if (state.retryAt > 0 && state.retryAt > performance.now()) return;
    for (; missing > 0; missing--) this.#dial(state);
  }

  #dial(state: KeyState): void {
    const controller = new AbortController();
    state.dials.add(controller);
    let connecting: Promise<Connection>;
    try {
      connecting = Promise.resolve(
        this.#connect(state.key, { signal: controller.signal }),
      );
    } catch (error) {
      connecting = Promise.reject(error);
    }
    connecting.then(
      (connection) => this.#connected(state, controller, connection),
      (error) => this.#failed(state, controller, error),
    );
  }

  #connected(
    state: KeyState,
    controller: AbortController,
    connection: Connection,
  ): void {
    state.dials.delete(controller);
    if (this.#closing || state.dropped || controller.signal.aborted) {
      void connection.close("Connection pool closed");
      return;
    }
    const attempt = state.failures + 1;
    this.#counters.connects++;
    if (state.reconnecting || state.failures > 0) this.#counters.reconnects++;
    // The failure count stays until the connection proves healthy (see #lost):
    // a server that accepts and at once refuses must not be hammered.
    state.retryAt = 0;
    state.reconnecting = false;
    state.cancelRetry();
    state.connections.push(connection);
    state.openedAt.set(connection, performance.now());
    if (this.#heartbeat || this.#idleTimeout > 0) {
      state.watch(connection, this.#timers, this.#heartbeat, this.#idleTimeout);
    }
    connection.closed.then(() => this.#lost(state, connection));
    this.#emit("connect", { key: state.key, connection, attempt });
    this.#wake(state);
  }

  #failed(
    state: KeyState,
    controller: AbortController,
    error: unknown,
  ): void {
    state.dials.delete(controller);
    if (this.#closing || state.dropped) return;
    this.#counters.connectErrors++;
    state.failures++;
    state.lastError = error;
    const delay = backoffDelay(state.failures, this.#backoff);
    state.retryAt = performance.now() + delay;
    if (state.failures >= this.#maxAttempts) state.reconnecting = false;
    const retry = state.reconnecting ||
      [...state.waiters].some((w) => w.waitForReady);
    if (retry) this.#scheduleRetry(state);
    this.#emit("connecterror", {
      key: state.key,
      error,
      attempt: state.failures,
      delay: retry ? delay : undefined,
    });
    this.#wake(state);
  }

  #lost(state: KeyState, connection: Connection): void {
    const lived = performance.now() - (state.openedAt.get(connection) ?? 0);
    state.remove(connection);
    this.#counters.lost(connection);
    const expected = state.retiring.delete(connection);
    this.#emit("disconnect", {
      key: state.key,
      connection,
      error: connection.closedReason,
    });
    if (this.#closing || state.dropped) return;
    if (connection.stats.repliesReceived > 0 || lived >= HEALTHY_AFTER_MS) {
      state.failures = 0;
      state.lastError = undefined;
    } else if (!expected) {
      // Closed before it proved healthy (refused by maxConnections, say).
      state.failures++;
      state.lastError = connection.refusal ?? connection.closedReason;
      state.retryAt = performance.now() +
        backoffDelay(state.failures, this.#backoff);
    }
    if (!expected && this.#reconnect) state.reconnecting = true;
    if (state.reconnecting || state.waiters.size > 0) {
      this.#topUp(state);
      if (state.dials.size === 0) this.#scheduleRetry(state);
    }
    this.#keys.forgetIfEmpty(state);
  }

  /** Hands connections to waiters, or fails them when nothing more is coming. */
  #wake(state: KeyState): void {
    state.wake();
    this.#keys.forgetIfEmpty(state);
  }

  #scheduleRetry(state: KeyState): void {
    if (state.retryTimer || this.#closing || state.dropped) return;
    const delay = Math.max(0, state.retryAt - performance.now());
    state.retryTimer = this.#timers.runAfter(delay, () => {
      state.retryTimer = undefined;
      state.retryAt = 0;
      this.#topUp(state);
    });
  }

  async #drop(state: KeyState, reason: string): Promise<void> {
    this.#keys.delete(state);
    await state.drop(reason);
  }

  #emit(type: PoolEventType, init: PoolEventInit): void {
    if (logging()) logPoolEvent(type, init);
    this.dispatchEvent(new PoolEvent(type, init));
  }
}
