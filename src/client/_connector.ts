/**
 * How a {@linkcode Client} gets connections: a dialer per endpoint, one
 * connect attempt at a time through the pool, waiting within a deadline.
 *
 * @module
 */

import type { Channel, Dialer } from "../channel/channel.ts";
import {
  TransportKey,
  type TransportKeyInit,
} from "../channel/transport_key.ts";
import { Connection } from "../connection/connection.ts";
import type { ConnectionOptions } from "../connection/connection_options.ts";
import { TimeoutError } from "../errors.ts";
import type { TimerHeap } from "../timer/timer_heap.ts";
import type { ConnectionPool } from "./connection_pool.ts";
import { type DialFunction, EndpointDialer } from "./dialers.ts";

/** The dialing part of a client's options. */
export interface ConnectorOptions {
  /** The client's default endpoint. */
  key: TransportKey | undefined;
  /** Opens channels to any key. */
  dial: DialFunction | undefined;
  /** Opens the channels of the default endpoint. */
  dialer: Dialer | undefined;
  /** How long one connect attempt may take, in ms. */
  connectTimeout: number | undefined;
  /** The client's timer heap. */
  timers: TimerHeap;
  /** The options of every connection. */
  connection: ConnectionOptions;
}

/** Dials endpoints and builds their connections; one per client. */
export class Connector {
  #options: ConnectorOptions;
  #dialers = new Map<string, EndpointDialer>();

  /** @param options How to dial and what to build. */
  constructor(options: ConnectorOptions) {
    this.#options = options;
  }

  /**
   * Opens a connection to `key` (for the pool).
   *
   * @param key The endpoint.
   * @param signal Aborts the attempt.
   * @returns The connection.
   */
  async connect(key: TransportKey, signal: AbortSignal): Promise<Connection> {
    const channel: Channel = await this.#dialerFor(key).dial({ signal });
    try {
      return new Connection(channel, this.#options.connection);
    } catch (error) {
      channel.close();
      throw error;
    }
  }

  /**
   * Waits for a usable connection of `key` from `pool`, within `remaining`
   * ms.
   *
   * @param pool The client's pool.
   * @param key The endpoint.
   * @param remaining The time left, in ms.
   * @param signal The caller's signal.
   * @param waitForReady Wait through failed connects until the deadline.
   * @returns The connection.
   * @throws {TimeoutError} If the time ran out.
   */
  async acquire(
    pool: ConnectionPool,
    key: string | TransportKeyInit,
    remaining: number,
    signal: AbortSignal | undefined,
    waitForReady: boolean,
  ): Promise<Connection> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = remaining === Infinity
      ? undefined
      : this.#options.timers.runAfter(remaining, () => {
        timedOut = true;
        controller.abort();
      });
    const onAbort = () => controller.abort(signal!.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await pool.get(key, { signal: controller.signal, waitForReady });
    } catch (error) {
      if (timedOut) {
        throw new TimeoutError(
          `Request to ${TransportKey.from(key)} timed out after ${
            Math.round(remaining)
          } ms waiting for a connection`,
          { cause: error },
        );
      }
      throw error;
    } finally {
      timer?.cancel();
      signal?.removeEventListener("abort", onAbort);
    }
  }

  #dialerFor(key: TransportKey): Dialer {
    const { dialer, key: own, dial, connectTimeout, timers } = this.#options;
    if (dialer && own?.equals(key)) return dialer;
    const name = key.toString();
    let found = this.#dialers.get(name);
    if (found === undefined) {
      if (dial === undefined) {
        throw new TypeError(
          `Cannot connect to ${key}: the client has no dial function for other endpoints`,
        );
      }
      found = new EndpointDialer(key, dial, { connectTimeout, timers });
      this.#dialers.set(name, found);
    }
    return found;
  }
}

/**
 * The client's default endpoint: `endpoint`, or the dialer's key.
 *
 * @param endpoint The `endpoint` option.
 * @param dial The `dial` option.
 * @param dialer The `dialer` option.
 * @returns The key, or `undefined` if requests must name theirs.
 * @throws {TypeError} If neither `dial` nor `dialer` is given, a key is
 *   invalid, or a dialer without a key comes without an endpoint.
 */
export function defaultKeyOf(
  endpoint: string | TransportKeyInit | undefined,
  dial: DialFunction | undefined,
  dialer: (Dialer & { readonly key?: TransportKey }) | undefined,
): TransportKey | undefined {
  if (dial === undefined && dialer === undefined) {
    throw new TypeError("A client needs a dial function or a dialer");
  }
  const init = endpoint ?? dialer?.key;
  const key = init === undefined ? undefined : TransportKey.from(init);
  if (dialer !== undefined && key === undefined) {
    throw new TypeError(
      "A client with a dialer that has no key needs an endpoint",
    );
  }
  return key;
}

/**
 * Checks the `retry` option.
 *
 * @param retry Times a request may be sent again.
 * @returns It.
 * @throws {RangeError} If it is not an integer >= 0.
 */
export function checkRetry(retry: number): number {
  if (!Number.isInteger(retry) || retry < 0) {
    throw new RangeError(`retry must be an integer >= 0, got ${retry}`);
  }
  return retry;
}
