/**
 * The events a {@linkcode TransportPool} dispatches, so that connects,
 * disconnects and reconnect attempts can be observed.
 *
 * @module
 */

import type { Transport } from "../transport/transport.ts";
import type { TransportKey } from "./transport_key.ts";

/** The event types of a pool. */
export type PoolEventType = "connect" | "disconnect" | "connecterror";

/** What a {@linkcode PoolEvent} carries. */
export interface PoolEventInit<M> {
  /** The endpoint. */
  key: TransportKey;
  /** `connect`, `disconnect`: the transport. */
  transport?: Transport<M>;
  /** `connecterror`: why the attempt failed; `disconnect`: why the transport closed. */
  error?: unknown;
  /** `connecterror`: failed attempts in a row; `connect`: the attempt that succeeded (1 = first). */
  attempt?: number;
  /** `connecterror`: ms until the pool tries again by itself, if it will. */
  delay?: number;
}

/**
 * An event of a {@linkcode TransportPool}:
 *
 * - `connect`: a transport to `key` opened (`attempt` counts the attempts it
 *   took; above 1 it is a reconnect).
 * - `disconnect`: a transport to `key` closed (`error` is its
 *   `closedReason`).
 * - `connecterror`: an attempt to connect failed (`error`); `attempt` failed
 *   attempts in a row so far; `delay` is the backoff until the pool tries
 *   again by itself, or `undefined` if it waits for the next request.
 *
 * @example Logging reconnects
 * ```ts
 * import { PoolEvent } from "./pool_event.ts";
 * import { TransportKey } from "./transport_key.ts";
 *
 * const events = new EventTarget();
 * events.addEventListener("connecterror", (event) => {
 *   const { key, attempt, delay } = event as PoolEvent<unknown>;
 *   console.log(`${key}: attempt ${attempt} failed, next in ${delay} ms`);
 * });
 * events.dispatchEvent(
 *   new PoolEvent("connecterror", { key: new TransportKey("mem://a"), attempt: 2, delay: 200 }),
 * );
 * ```
 */
export class PoolEvent<M = unknown> extends Event {
  /** The endpoint. */
  readonly key: TransportKey;
  /** The transport (`connect`, `disconnect`). */
  readonly transport: Transport<M> | undefined;
  /** The error (`connecterror`, `disconnect`). */
  readonly error: unknown;
  /** Attempts: see the event types. */
  readonly attempt: number;
  /** The backoff before the next attempt (`connecterror`), if one is planned. */
  readonly delay: number | undefined;

  /**
   * Creates the event.
   *
   * @param type `"connect"`, `"disconnect"` or `"connecterror"`.
   * @param init What the event carries.
   */
  constructor(type: PoolEventType, init: PoolEventInit<M>) {
    super(type);
    this.key = init.key;
    this.transport = init.transport;
    this.error = init.error;
    this.attempt = init.attempt ?? 0;
    this.delay = init.delay;
  }
}
