/**
 * The {@linkcode FailoverDialer}: opens channels to an active endpoint, or to
 * its standbys when it fails.
 *
 * @module
 */

import type { Channel, Dialer } from "../channel/channel.ts";
import type {
  TransportKey,
  TransportKeyInit,
} from "../channel/transport_key.ts";
import { log, logging } from "../logger.ts";
import { ConnectError } from "../errors.ts";
import { TimerHeap } from "../timer/timer_heap.ts";
import type { DialFunction } from "./dial_function.ts";
import {
  EndpointDialer,
  type EndpointDialerOptions,
} from "./endpoint_dialer.ts";

/**
 * Options of {@linkcode FailoverDialer}.
 *
 * @example Going back to the active endpoint as soon as it is up
 * ```ts
 * import { FailoverDialer } from "listenrain";
 * import type { FailoverDialerOptions } from "listenrain/advanced";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const network = new MemoryNetwork();
 * const standby = await network.listen("mem://standby");
 * const options: FailoverDialerOptions = { downTime: 0, connectTimeout: 1_000 };
 * const dialer = new FailoverDialer(["mem://active", "mem://standby"], network.dial.bind(network), options);
 * const first = await dialer.dial(); // the active endpoint refuses: the standby
 * const active = await network.listen("mem://active");
 * const second = await dialer.dial(); // downTime 0: the active one is tried first again
 * console.log(String(dialer.current)); // "mem://active"
 * for (const closable of [first, second, standby, active]) closable.close();
 * ```
 */
export interface FailoverDialerOptions extends EndpointDialerOptions {
  /** How long an endpoint that failed is skipped, in ms. @default {5000} */
  downTime?: number;
}

/**
 * The default time a failed endpoint is skipped: 5 s. @default {5000}
 *
 * @example A failed active endpoint is skipped for a while
 * ```ts
 * import { FailoverDialer } from "listenrain";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * // The default: 5000.
 * const network = new MemoryNetwork();
 * const standby = await network.listen("mem://standby");
 * const dialer = new FailoverDialer(["mem://active", "mem://standby"], network.dial.bind(network));
 * const first = await dialer.dial(); // the active endpoint refuses: the standby
 * const active = await network.listen("mem://active");
 * const second = await dialer.dial(); // the active one is down for 5 s yet
 * console.log(String(dialer.current)); // "mem://standby"
 * for (const closable of [first, second, standby, active]) closable.close();
 * ```
 */
export const DEFAULT_DOWN_TIME = 5_000;

/**
 * What a {@linkcode FailoverDialer} knows of one endpoint.
 *
 * @example The state of each endpoint after a failover
 * ```ts
 * import { FailoverDialer } from "listenrain";
 * import type { EndpointStatus } from "listenrain/advanced";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const network = new MemoryNetwork();
 * const listener = await network.listen("mem://b");
 * const dialer = new FailoverDialer(["mem://a", "mem://b"], network.dial.bind(network));
 * const channel = await dialer.dial();
 * const status: EndpointStatus[] = dialer.endpoints;
 * console.log(status.map(({ key, down, failures }) => `${key} down=${down} failures=${failures}`));
 * // [ "mem://a down=true failures=1", "mem://b down=false failures=0" ]
 * channel.close();
 * listener.close();
 * ```
 */
export interface EndpointStatus {
  /** The endpoint. */
  readonly key: TransportKey;
  /** True while the endpoint is skipped after a failure. */
  readonly down: boolean;
  /** Failed attempts since the last success. */
  readonly failures: number;
}

interface Endpoint {
  dialer: EndpointDialer;
  failures: number;
  /** When the endpoint may be tried first again (performance.now() time). */
  downUntil: number;
}

/**
 * Opens channels to an active endpoint, or to its standbys when it fails (the
 * seed's HA key). Each dial tries the endpoints in order, active first, and
 * skips those that failed within `downTime`; a failed endpoint is marked down
 * and the next one is tried at once. When every endpoint is down they are all
 * tried anyway, so recovery never waits for `downTime`. Once the active
 * endpoint's down time has passed, the next dial goes back to it.
 *
 * Its {@linkcode FailoverDialer.key key} is the active endpoint's: a pool or
 * client keys the connection by it whichever endpoint serves it.
 *
 * @example Failing over to a standby
 * ```ts
 * import { FailoverDialer } from "listenrain";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const network = new MemoryNetwork();
 * const standby = await network.listen("mem://standby"); // the active one is down
 * const dialer = new FailoverDialer(
 *   ["mem://active", "mem://standby"],
 *   (key, o) => network.dial(key, o),
 * );
 * const channel = await dialer.dial();
 * console.log(String(dialer.current)); // "mem://standby"
 * console.log(dialer.endpoints.map((e) => e.down)); // [ true, false ]
 * channel.close();
 * standby.close();
 * ```
 */
export class FailoverDialer implements Dialer {
  /** The active endpoint's key: the name of the whole group. */
  readonly key: TransportKey;
  #endpoints: Endpoint[];
  #downTime: number;
  #current: TransportKey | undefined;

  /**
   * Creates a dialer over `endpoints`; nothing is dialed yet.
   *
   * @param endpoints The active endpoint first, then the standbys.
   * @param dial Opens a channel to one endpoint.
   * @param options Connect timeout, down time, timer heap.
   * @throws {TypeError} If `endpoints` is empty or holds an invalid key.
   * @throws {RangeError} If a time is negative.
   */
  constructor(
    endpoints: readonly (string | TransportKeyInit)[],
    dial: DialFunction,
    options: FailoverDialerOptions = {},
  ) {
    if (!Array.isArray(endpoints) || endpoints.length === 0) {
      throw new TypeError("FailoverDialer needs at least one endpoint");
    }
    const timers = options.timers ?? new TimerHeap();
    this.#endpoints = endpoints.map((key) => ({
      dialer: new EndpointDialer(key, dial, { ...options, timers }),
      failures: 0,
      downUntil: 0,
    }));
    this.key = this.#endpoints[0].dialer.key;
    this.#downTime = options.downTime ?? DEFAULT_DOWN_TIME;
    if (!(this.#downTime >= 0) || !Number.isFinite(this.#downTime)) {
      throw new RangeError(
        `downTime must be a finite number >= 0, got ${this.#downTime}`,
      );
    }
  }

  /** The endpoints in order, with their state. */
  get endpoints(): EndpointStatus[] {
    const now = performance.now();
    return this.#endpoints.map((e) => ({
      key: e.dialer.key,
      down: e.downUntil > now,
      failures: e.failures,
    }));
  }

  /** The endpoint of the last successful dial, if any. */
  get current(): TransportKey | undefined {
    return this.#current;
  }

  /**
   * Opens a channel to the first endpoint that accepts.
   *
   * @param options `signal` aborts the attempt.
   * @returns The connected channel.
   * @throws {ConnectError} Every endpoint failed; `cause` is an
   *   `AggregateError` of their errors.
   * @throws {AbortedError} `signal` aborted first.
   */
  async dial(options: { signal?: AbortSignal } = {}): Promise<Channel> {
    const now = performance.now();
    const up = this.#endpoints.filter((e) => e.downUntil <= now);
    const down = this.#endpoints.filter((e) => e.downUntil > now)
      .sort((a, b) => a.downUntil - b.downUntil);
    const errors: unknown[] = [];
    for (const endpoint of [...up, ...down]) {
      try {
        const channel = await endpoint.dialer.dial(options);
        endpoint.failures = 0;
        endpoint.downUntil = 0;
        this.#current = endpoint.dialer.key;
        return channel;
      } catch (error) {
        if (!(error instanceof ConnectError)) throw error;
        endpoint.failures++;
        endpoint.downUntil = performance.now() + this.#downTime;
        errors.push(error);
        if (logging()) {
          const key = String(endpoint.dialer.key);
          log(
            "warn",
            {
              event: "dialer.down",
              key,
              downFor: this.#downTime,
              err: error,
            },
            `dialer: ${key} down for ${this.#downTime} ms (${error.message})`,
          );
        }
      }
    }
    const names = this.#endpoints.map((e) => String(e.dialer.key)).join(", ");
    throw new ConnectError(
      `Cannot connect to any endpoint of ${names}: ${
        errors.map((e) => (e as Error).message).join("; ")
      }`,
      { cause: new AggregateError(errors, "Every endpoint failed") },
    );
  }
}
