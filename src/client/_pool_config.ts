/**
 * A {@linkcode ConnectionPool}'s options, checked and with their defaults.
 *
 * @module
 */

import { type BackoffOptions, resolveBackoff } from "./backoff.ts";
import type { ConnectionPoolOptions } from "./pool_options.ts";

/** The pool's policy, resolved. */
export interface PoolPolicy {
  /** Connections per key. */
  size: number;
  /** Idle eviction, in ms; `0` for never. */
  idleTimeout: number;
  /** Whether lost connections are replaced. */
  reconnect: boolean;
  /** The backoff between connect attempts. */
  backoff: Required<BackoffOptions>;
  /** Connect attempts in a row before `get()` fails. */
  maxAttempts: number;
}

/**
 * Checks `options` and fills in the defaults.
 *
 * @param options The pool's options.
 * @returns The policy.
 * @throws {TypeError} If `connect` is not a function.
 * @throws {RangeError} If an option is out of range.
 */
export function resolvePoolOptions(options: ConnectionPoolOptions): PoolPolicy {
  if (typeof options?.connect !== "function") {
    throw new TypeError("ConnectionPool needs a connect function");
  }
  const size = options.size ?? 1;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`size must be a positive integer, got ${size}`);
  }
  const reconnect = options.reconnect ?? {};
  const maxAttempts =
    (reconnect === false ? undefined : reconnect.maxAttempts) ?? Infinity;
  if (!(maxAttempts >= 1)) {
    throw new RangeError(`maxAttempts must be at least 1, got ${maxAttempts}`);
  }
  return {
    size,
    idleTimeout: options.idleTimeout ?? 0,
    reconnect: reconnect !== false,
    backoff: resolveBackoff(reconnect === false ? {} : reconnect),
    maxAttempts,
  };
}
