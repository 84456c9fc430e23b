/**
 * The {@linkcode EndpointDialer}: opens channels to one endpoint with a
 * connect timeout.
 *
 * @module
 */

import type { Channel, Dialer } from "../channel/channel.ts";
import { AbortedError, ConnectError, TimeoutError } from "../errors.ts";
import { TimerHeap } from "../timer/timer_heap.ts";
import {
  TransportKey,
  type TransportKeyInit,
} from "../channel/transport_key.ts";
import { raceAbort } from "./_race_abort.ts";
import type { DialFunction } from "./dial_function.ts";

/**
 * The default connect timeout: 10 s. @default {10000}
 *
 * @example A dial that never answers fails after `connectTimeout`
 * ```ts
 * import { EndpointDialer } from "listenrain/advanced";
 *
 * // The default: 10000.
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
 * import {
 *   EndpointDialer,
 *   type EndpointDialerOptions,
 *   TimerHeap,
 * } from "listenrain/advanced";
 * import { MemoryNetwork } from "listenrain/testing";
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
 * import { EndpointDialer } from "listenrain/advanced";
 * import { MemoryNetwork } from "listenrain/testing";
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

function checkTimeout(timeout: number): number {
  if (typeof timeout !== "number" || !(timeout >= 0)) {
    throw new RangeError(
      `connectTimeout must be a number >= 0, got ${timeout}`,
    );
  }
  return timeout === 0 ? Infinity : timeout;
}
