/**
 * The events a {@linkcode ConnectionPool} dispatches, so that connects,
 * disconnects and reconnect attempts can be observed.
 *
 * @module
 */

import type { Connection } from "../connection/connection.ts";
import type { TransportKey } from "../channel/transport_key.ts";

/**
 * The event types of a pool.
 *
 * @example Listening to every event type
 * ```ts
 * import { Connection } from "listenrain";
 * import { ConnectionPool, type PoolEventType } from "listenrain/advanced";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const network = new MemoryNetwork();
 * const listener = await network.listen("mem://api");
 * const pool = new ConnectionPool({
 *   connect: async (key, o) => new Connection(await network.dial(key, o)),
 * });
 * const seen: PoolEventType[] = [];
 * const types: PoolEventType[] = ["connect", "disconnect", "connecterror"];
 * for (const type of types) pool.addEventListener(type, () => seen.push(type));
 * await pool.get("mem://nobody").catch(() => {});
 * await pool.get("mem://api");
 * await pool.close();
 * console.log(seen); // [ "connecterror", "connect", "disconnect" ]
 * listener.close();
 * ```
 */
export type PoolEventType = "connect" | "disconnect" | "connecterror";

/**
 * What a {@linkcode PoolEvent} carries.
 *
 * @example A connect error, as a pool reports it
 * ```ts
 * import { ConnectError, TransportKey } from "listenrain";
 * import { PoolEvent, type PoolEventInit } from "listenrain/advanced";
 *
 * const init: PoolEventInit = {
 *   key: new TransportKey("mem://api"),
 *   error: new ConnectError("Cannot connect to mem://api: connection refused"),
 *   attempt: 3,
 *   delay: 400,
 * };
 * const event = new PoolEvent("connecterror", init);
 * console.log(event.attempt, event.delay, event.connection); // 3 400 undefined
 * ```
 */
export interface PoolEventInit {
  /** The endpoint. */
  key: TransportKey;
  /** `connect`, `disconnect`: the connection. */
  connection?: Connection;
  /** `connecterror`: why the attempt failed; `disconnect`: why the connection closed. */
  error?: unknown;
  /** `connecterror`: failed attempts in a row; `connect`: the attempt that succeeded (1 = first). */
  attempt?: number;
  /** `connecterror`: ms until the pool tries again by itself, if it will. */
  delay?: number;
}

/**
 * An event of a {@linkcode ConnectionPool}:
 *
 * - `connect`: a connection to `key` opened (`attempt` counts the attempts it
 *   took; above 1 it is a reconnect).
 * - `disconnect`: a connection to `key` closed (`error` is its
 *   `closedReason`).
 * - `connecterror`: an attempt to connect failed (`error`); `attempt` failed
 *   attempts in a row so far; `delay` is the backoff until the pool tries
 *   again by itself, or `undefined` if it waits for the next request.
 *
 * @example Logging reconnects
 * ```ts
 * import { TransportKey } from "listenrain";
 * import { PoolEvent } from "listenrain/advanced";
 *
 * const events = new EventTarget();
 * events.addEventListener("connecterror", (event) => {
 *   const { key, attempt, delay } = event as PoolEvent;
 *   console.log(`${key}: attempt ${attempt} failed, next in ${delay} ms`);
 * });
 * events.dispatchEvent(
 *   new PoolEvent("connecterror", { key: new TransportKey("mem://a"), attempt: 2, delay: 200 }),
 * );
 * ```
 */
export class PoolEvent extends Event {
  /** The endpoint. */
  readonly key: TransportKey;
  /** The connection (`connect`, `disconnect`). */
  readonly connection: Connection | undefined;
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
  constructor(type: PoolEventType, init: PoolEventInit) {
    super(type);
    this.key = init.key;
    this.connection = init.connection;
    this.error = init.error;
    this.attempt = init.attempt ?? 0;
    this.delay = init.delay;
  }
}
