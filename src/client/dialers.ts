/**
 * Dialers, the client side of the seed's ChannelGenerator:
 * {@linkcode EndpointDialer} opens channels to one endpoint with a connect
 * timeout; {@linkcode FailoverDialer} to an active endpoint or its standbys.
 *
 * @module
 */

import type { Channel, Dialer } from "../channel/channel.ts";
import { debug } from "../debug.ts";
import { AbortedError, ConnectError, TimeoutError } from "../errors.ts";
import { TimerHeap } from "../timer/timer_heap.ts";
import {
  TransportKey,
  type TransportKeyInit,
} from "../channel/transport_key.ts";

/**
 * Opens a channel to `key`: an adapter's `dial` (`listenrain/adapters/node`
 * and the others), a {@linkcode MemoryNetwork}'s, or your own.
 *
 * @example A dial function that logs, around a memory network's
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { type DialFunction, EndpointDialer } from "./dialers.ts";
 *
 * const network = new MemoryNetwork();
 * const listener = await network.listen("mem://api");
 * const dialed: string[] = [];
 * const dial: DialFunction = (key, options) => {
 *   dialed.push(key.toString());
 *   return network.dial(key, options);
 * };
 * const channel = await new EndpointDialer("mem://api", dial).dial();
 * console.log(dialed); // [ "mem://api" ]
 * channel.close();
 * listener.close();
 * ```
 */
export type DialFunction = (
  key: TransportKey,
  options: { signal?: AbortSignal },
) => Promise<Channel>;

/**
 * The default connect timeout: 10 s. @default {10000}
 *
 * @example A dial that never answers fails after `connectTimeout`
 * ```ts
 * import { DEFAULT_CONNECT_TIMEOUT, EndpointDialer } from "./dialers.ts";
 *
 * console.log(DEFAULT_CONNECT_TIMEOUT); // 10000
 * const silent = () => new Promise<never>(() => {}); // no answer, ever
 * const dialer = new EndpointDialer("mem://void", silent, { connectTimeout: 20 });
 * const error = await dialer.dial().catch((e) => e);
 * console.log(error.message); // "Cannot connect to mem://void: timed out after 20 ms"
 * ```
 */
export const DEFAULT_CONNECT_TIMEOUT = 10_000;

/**
 * Options of {@linkcode EndpointDialer}.
 *
 * @example Two dialers sharing one timer heap
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { EndpointDialer, type EndpointDialerOptions } from "./dialers.ts";
 * import { TimerHeap } from "../timer/timer_heap.ts";
 *
 * const network = new MemoryNetwork();
 * const dial = network.dial.bind(network);
 * const options: EndpointDialerOptions = { connectTimeout: 2_000, timers: new TimerHeap() };
 * const orders = new EndpointDialer("mem://orders", dial, options);
 * const users = new EndpointDialer("mem://users", dial, options);
 * const listener = await network.listen("mem://orders");
 * const channel = await orders.dial();
 * console.log(await users.dial().catch((e) => e.code)); // "ERR_CONNECT": no listener
 * channel.close();
 * listener.close();
 * ```
 */
export interface EndpointDialerOptions {
  /** How long one attempt may take, in ms; `0` or `Infinity` for no limit. @default {10000} */
  connectTimeout?: number;
  /** The heap that holds the connect timers. @default {a heap of its own} */
  timers?: TimerHeap;
}

/**
 * Opens channels to one endpoint, each attempt bounded by a connect timeout.
 * Every failure is a {@linkcode ConnectError} (with the dial function's error
 * as `cause`), so callers can tell "not connected, nothing sent" apart;
 * a `TypeError` (a key the dial function cannot handle) passes through.
 *
 * @example A dialer with a connect timeout
 * ```ts
 * import { EndpointDialer } from "./dialers.ts";
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 *
 * const network = new MemoryNetwork();
 * const listener = await network.listen("mem://db");
 * const dialer = new EndpointDialer("mem://db", (key, o) => network.dial(key, o), {
 *   connectTimeout: 1000,
 * });
 * const channel = await dialer.dial();
 * console.log(channel.remoteAddr); // { transport: "mem", name: "db" }
 * channel.close();
 * listener.close();
 * await dialer.dial().catch((e) => console.log(e.code)); // "ERR_CONNECT"
 * ```
 */
export class EndpointDialer implements Dialer {
  /** The endpoint. */
  readonly key: TransportKey;
  #dial: DialFunction;
  #timeout: number;
  #timers: TimerHeap;

  /**
   * Creates a dialer of one endpoint; nothing is dialed yet.
   *
   * @param key The endpoint.
   * @param dial Opens the channel.
   * @param options Connect timeout and timer heap.
   * @throws {TypeError} If `key` is invalid or `dial` is not a function.
   * @throws {RangeError} If `connectTimeout` is negative.
   */
  constructor(
    key: string | TransportKeyInit,
    dial: DialFunction,
    options: EndpointDialerOptions = {},
  ) {
    this.key = TransportKey.from(key);
    if (typeof dial !== "function") {
      throw new TypeError(`dial must be a function, got ${typeof dial}`);
    }
    this.#dial = dial;
    this.#timeout = checkTimeout(
      options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
    );
    this.#timers = options.timers ?? new TimerHeap();
  }

  /**
   * Opens one channel.
   *
   * @param options `signal` aborts the attempt.
   * @returns The connected channel.
   * @throws {ConnectError} The endpoint refused, failed or timed out.
   * @throws {AbortedError} `signal` aborted first.
   */
  async dial(options: { signal?: AbortSignal } = {}): Promise<Channel> {
    const key = this.key;
    const signal = options.signal;
    if (signal?.aborted) {
      throw new AbortedError(`Dial ${key} aborted`, { cause: signal.reason });
    }
    const controller = new AbortController();
    let timedOut = false;
    const timer = this.#timeout === Infinity
      ? undefined
      : this.#timers.runAfter(this.#timeout, () => {
        timedOut = true;
        controller.abort(
          new TimeoutError(
            `Connect to ${key} timed out after ${this.#timeout} ms`,
          ),
        );
      });
    const onAbort = () => controller.abort(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await raceAbort(this.#start(controller.signal), controller.signal);
    } catch (error) {
      if (timedOut) {
        throw new ConnectError(
          `Cannot connect to ${key}: timed out after ${this.#timeout} ms`,
          { cause: controller.signal.reason },
        );
      }
      if (signal?.aborted) {
        throw new AbortedError(`Dial ${key} aborted`, { cause: signal.reason });
      }
      if (error instanceof ConnectError || error instanceof TypeError) {
        throw error;
      }
      throw new ConnectError(
        `Cannot connect to ${key}: ${(error as Error)?.message ?? error}`,
        { cause: error },
      );
    } finally {
      timer?.cancel();
      signal?.removeEventListener("abort", onAbort);
    }
  }

  #start(signal: AbortSignal): Promise<Channel> {
    try {
      return Promise.resolve(this.#dial(this.key, { signal }));
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/**
 * Options of {@linkcode FailoverDialer}.
 *
 * @example Going back to the active endpoint as soon as it is up
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { FailoverDialer, type FailoverDialerOptions } from "./dialers.ts";
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
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { DEFAULT_DOWN_TIME, FailoverDialer } from "./dialers.ts";
 *
 * console.log(DEFAULT_DOWN_TIME); // 5000
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
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { type EndpointStatus, FailoverDialer } from "./dialers.ts";
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
 * import { FailoverDialer } from "./dialers.ts";
 * import { MemoryNetwork } from "../channel/memory_network.ts";
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
        debug(
          `dialer: ${endpoint.dialer.key} down for ${this.#downTime} ms (${error.message})`,
        );
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

function checkTimeout(timeout: number): number {
  if (typeof timeout !== "number" || !(timeout >= 0)) {
    throw new RangeError(
      `connectTimeout must be a number >= 0, got ${timeout}`,
    );
  }
  return timeout === 0 ? Infinity : timeout;
}

/** Settles with `promise`, or rejects when `signal` aborts; a late channel is closed. */
function raceAbort(
  promise: Promise<Channel>,
  signal: AbortSignal,
): Promise<Channel> {
  return new Promise<Channel>((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then((channel) => {
      signal.removeEventListener("abort", onAbort);
      if (settled) return channel.close();
      settled = true;
      resolve(channel);
    }, (error) => {
      signal.removeEventListener("abort", onAbort);
      if (settled) return;
      settled = true;
      reject(error);
    });
  });
}
