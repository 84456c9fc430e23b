/**
 * The options of a {@linkcode TransportPool} and of its `get()`.
 *
 * @module
 */

import type { HeartbeatOptions } from "../server/connection_monitor.ts";
import type { TimerHeap } from "../timer/timer_heap.ts";
import type { Transport } from "../transport/transport.ts";
import type { BackoffOptions } from "./backoff.ts";
import type { TransportKey } from "./transport_key.ts";

/** Background reconnection after a transport is lost, with backoff. */
export interface ReconnectOptions extends BackoffOptions {
  /** Failed attempts in a row after which the pool stops trying by itself (the next request tries again). @default {Infinity} */
  maxAttempts?: number;
}

/** Options of {@linkcode TransportPool}. */
export interface TransportPoolOptions<M> {
  /** Opens a transport to `key`; the pool aborts `signal` when it no longer wants it. */
  connect: (
    key: TransportKey,
    options: { signal: AbortSignal },
  ) => Promise<Transport<M>>;
  /** Transports per key; a request takes the one with the fewest in flight. @default {1} */
  size?: number;
  /** Close a transport after this many ms without requests (see `ConnectionMonitor`). `0` for never. @default {0} */
  idleTimeout?: number;
  /** Ping quiet transports and close those whose pong does not come. */
  heartbeat?: HeartbeatOptions;
  /**
   * Backoff between failed attempts, and reconnection in the background after
   * a transport closes unexpectedly. `false`: no background reconnection
   * (failed attempts still back off with the default delays).
   * @default {{}}
   */
  reconnect?: ReconnectOptions | false;
  /** The heap of the pool's timers. @default {a heap of its own, cleared by close()} */
  timers?: TimerHeap;
}

/** Options of {@linkcode TransportPool.get}. */
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
