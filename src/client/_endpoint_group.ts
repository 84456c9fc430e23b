/**
 * The endpoints of a client's resolver: the current set, their health
 * (consecutive failures, ejection with backoff), the balancer's choice per
 * request, and the draining of removed endpoints. Private to the client.
 *
 * @module
 */

import {
  TransportKey,
  type TransportKeyInit,
} from "../channel/transport_key.ts";
import { type Connection, connectionParts } from "../connection/connection.ts";
import {
  ConnectError,
  ConnectionClosedError,
  TimeoutError,
} from "../errors.ts";
import type { ResolvedEndpoint, Resolver } from "../resolve/resolver.ts";
import type { TimerHeap } from "../timer/timer_heap.ts";
import { backoffDelay } from "./backoff.ts";
import type { Balancer, BalancerCandidate } from "./balancer.ts";
import type { ConnectionPool } from "./connection_pool.ts";
import type { PoolEvent } from "./pool_event.ts";
import { EndpointWaiters } from "./_endpoint_waiters.ts";

/** Ejection defaults: after 5 failures in a row, 1 s doubling up to 30 s. */
export const DEFAULT_OUTLIER = {
  failures: 5,
  ejectTime: 1_000,
  maxEjectTime: 30_000,
};

/** How often a removed endpoint is looked at while it drains, in ms. */
const DRAIN_POLL_MS = 25;

/** One endpoint of the set. */
interface Entry extends BalancerCandidate {
  key: TransportKey;
  priority: number;
  weight: number;
  ready: boolean;
  inFlight: number;
  name: string;
  /** Failures in a row (connects, requests, lost connections). */
  failures: number;
  /** Not chosen before this time (performance.now()); 0 when healthy. */
  ejectedUntil: number;
  /** Ejections since the last success: the backoff's step. */
  ejections: number;
  /** The connection tryGet gave in the last scan. */
  connection: Connection | undefined;
  /** Ejected because a connect failed: a connect ends it. */
  down: boolean;
}

/** What a group needs of its client. */
export interface GroupOptions {
  pool: ConnectionPool;
  resolver: Resolver;
  balancer: Balancer;
  timers: TimerHeap;
  failures: number;
  ejectTime: number;
  maxEjectTime: number;
  /** How long a removed endpoint may drain before it is dropped, in ms. */
  drainTimeout: number;
  report: (error: unknown) => void;
}

/** The endpoints of a resolver, and the choice among them. */
export class EndpointGroup {
  #o: GroupOptions;
  #entries: Entry[] = [];
  #byName = new Map<string, Entry>();
  #owner = new WeakMap<object, string>();
  #draining = new Map<string, { cancel(): void }>();
  #abort = new AbortController();
  #started = false;
  #waiters = new EndpointWaiters();
  /** The last resolver error, while no set is known. */
  #error: unknown = undefined;
  #scan: Entry[] = [];

  constructor(options: GroupOptions) {
    this.#o = options;
    const pool = options.pool;
    pool.addEventListener("connect", (e) => this.#connected(e as PoolEvent));
    pool.addEventListener(
      "connecterror",
      (e) => this.#connectFailed(e as PoolEvent),
    );
    pool.addEventListener("disconnect", (e) => this.#lost(e as PoolEvent));
  }

  /** The current endpoints with their health, for tests and stats. */
  get endpoints(): { key: TransportKey; ejected: boolean; failures: number }[] {
    const now = performance.now();
    return this.#entries.map((e) => ({
      key: e.key,
      ejected: e.ejectedUntil > now,
      failures: e.failures,
    }));
  }

  /** A name for the set (the interceptors' endpoint): its first key. */
  get label(): TransportKey {
    return this.#entries[0]?.key ?? new TransportKey("mem://resolver");
  }

  /**
   * A usable connection for a request now, or `undefined` (then acquire).
   * @param hashKey The request's hash key.
   * @param tried Transports of earlier attempts: other endpoints preferred.
   */
  pick(
    hashKey: string | undefined,
    tried: object[] | undefined,
  ): Connection | undefined {
    this.#start();
    const chosen = this.#choose(hashKey, tried, undefined);
    return chosen?.ready ? chosen.connection : undefined;
  }

  /**
   * Waits for a connection for a request: the first set, then the chosen
   * endpoint's connection; an endpoint that fails to connect is ejected and
   * the next is tried while time remains.
   */
  async acquire(
    remaining: number,
    signal: AbortSignal | undefined,
    waitForReady: boolean,
    hashKey: string | undefined,
    tried: object[] | undefined,
    connect: (key: TransportKey, remaining: number) => Promise<Connection>,
  ): Promise<Connection> {
    this.#start();
    const started = performance.now();
    if (this.#entries.length === 0) {
      await this.#waiters.wait(
        remaining,
        signal,
        waitForReady,
        () => this.#noEndpoint(),
      );
    }
    const skip = new Set<Entry>();
    let lastError: unknown;
    for (;;) {
      const chosen = this.#choose(hashKey, tried, skip);
      if (chosen === undefined) {
        throw lastError ?? this.#noEndpoint();
      }
      if (chosen.ready && chosen.connection) return chosen.connection;
      const left = remaining - (performance.now() - started);
      try {
        return await connect(chosen.key, left);
      } catch (error) {
        if (!(error instanceof ConnectError)) throw error;
        lastError = error;
        skip.add(chosen);
      }
    }
  }

  /** The outcome of a request sent on `transport`: counts toward its endpoint's health. */
  outcome(transport: object, error: unknown): void {
    const name = this.#owner.get(transport);
    const entry = name === undefined ? undefined : this.#byName.get(name);
    if (entry === undefined) return;
    if (
      error instanceof ConnectionClosedError || error instanceof TimeoutError
    ) this.#failed(entry, false);
    else {
      entry.failures = 0;
      entry.ejections = 0;
    }
  }

  /** Stops resolving and draining. */
  close(): void {
    this.#abort.abort();
    for (const drain of this.#draining.values()) drain.cancel();
    this.#draining.clear();
    this.#waiters.fail(new ConnectionClosedError("Client closed"), true);
  }

  #choose(
    hashKey: string | undefined,
    tried: object[] | undefined,
    skip: Set<Entry> | undefined,
  ): Entry | undefined {
    const entries = this.#entries;
    if (entries.length === 0) return undefined;
    const now = performance.now();
    const avoid = tried && tried.length > 0
      ? new Set(tried.map((t) => this.#owner.get(t)))
      : undefined;
    const scan = this.#scan;
    scan.length = 0;
    for (const entry of entries) {
      if (
        entry.ejectedUntil > now || skip?.has(entry) || avoid?.has(entry.name)
      ) continue;
      scan.push(entry);
    }
    // Tried every healthy one: the tried ones again; none healthy: all.
    if (scan.length === 0 && avoid) {
      for (const entry of entries) {
        if (entry.ejectedUntil <= now && !skip?.has(entry)) scan.push(entry);
      }
    }
    if (scan.length === 0) {
      if (skip && skip.size > 0) return undefined;
      for (const entry of entries) scan.push(entry);
    }
    for (const entry of scan) {
      const connection = this.#o.pool.tryGet(entry.key);
      entry.connection = connection;
      entry.ready = connection !== undefined;
      entry.inFlight = connection?.inFlight ?? 0;
    }
    return this.#o.balancer.pick(scan, hashKey) as Entry;
  }

  #noEndpoint(): Error {
    const error = this.#error;
    return new ConnectError(
      error === undefined
        ? "The resolver knows no endpoint yet"
        : `The resolver failed: ${(error as Error)?.message ?? error}`,
      { cause: error },
    );
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    void this.#run();
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    for (let failures = 0; !signal.aborted;) {
      try {
        for await (const set of this.#o.resolver.resolve(signal)) {
          if (signal.aborted) return;
          failures = 0;
          this.#error = undefined;
          this.#update(set);
        }
        return;
      } catch (error) {
        if (signal.aborted) return;
        this.#error = error;
        this.#o.report(error);
        if (this.#entries.length === 0) this.#waiters.fail(this.#noEndpoint());
        failures++;
        await new Promise<void>((resolve) => {
          const timer = this.#o.timers.runAfter(
            backoffDelay(failures, { initialDelay: 250, maxDelay: 30_000 }),
            resolve,
          );
          signal.addEventListener("abort", () => {
            timer.cancel();
            resolve();
          }, { once: true });
        });
      }
    }
  }

  #update(set: readonly ResolvedEndpoint[]): void {
    const next: Entry[] = [];
    const names = new Set<string>();
    for (const endpoint of set) {
      const key = TransportKey.from(endpoint.key as string | TransportKeyInit);
      const name = key.toString();
      if (names.has(name)) continue;
      names.add(name);
      const entry = this.#byName.get(name) ?? {
        key,
        name,
        priority: 0,
        weight: 1,
        ready: false,
        inFlight: 0,
        failures: 0,
        ejectedUntil: 0,
        ejections: 0,
        connection: undefined,
        down: false,
      };
      entry.priority = endpoint.priority ?? 0;
      entry.weight = endpoint.weight ?? 1;
      this.#draining.get(name)?.cancel();
      this.#draining.delete(name);
      next.push(entry);
    }
    for (const entry of this.#entries) {
      if (!names.has(entry.name)) this.#drain(entry);
    }
    const added = next.filter((entry) => !this.#byName.has(entry.name));
    this.#entries = next;
    this.#byName = new Map(next.map((entry) => [entry.name, entry]));
    // New endpoints connect now, so they take requests from the next pick.
    for (const entry of added) this.#o.pool.tryGet(entry.key);
    if (next.length > 0) this.#waiters.wake();
  }

  /** No new requests go to `entry`; its connections close once their requests are done. */
  #drain(entry: Entry): void {
    const { pool, timers, drainTimeout } = this.#o;
    const until = performance.now() + drainTimeout;
    let timer = timers.runAfter(0, function look() {
      const busy = pool.connections(entry.key).some((c) => c.inFlight > 0);
      if (busy && performance.now() < until) {
        timer = timers.runAfter(DRAIN_POLL_MS, look);
        return;
      }
      cancel.cancel();
      void pool.drop(entry.key);
    });
    const cancel = {
      cancel: () => {
        timer.cancel();
        if (this.#draining.get(entry.name) === cancel) {
          this.#draining.delete(entry.name);
        }
      },
    };
    this.#draining.set(entry.name, cancel);
  }

  #connected(event: PoolEvent): void {
    const connection = event.connection;
    const name = event.key.toString();
    if (connection) {
      this.#owner.set(connectionParts(connection).transport, name);
    }
    const entry = this.#byName.get(name);
    // A connect ends an ejection for failed connects; request failures keep theirs.
    if (entry?.down) {
      entry.down = false;
      entry.failures = 0;
      entry.ejectedUntil = 0;
    }
  }

  #connectFailed(event: PoolEvent): void {
    const entry = this.#byName.get(event.key.toString());
    if (entry === undefined) return;
    this.#failed(entry, true);
    this.#o.resolver.refresh?.();
  }

  #lost(event: PoolEvent): void {
    const entry = this.#byName.get(event.key.toString());
    if (entry === undefined || this.#abort.signal.aborted) return;
    const error = event.error;
    if (error === undefined) return;
    // A heartbeat that got no pong, a peer that went away: a failure.
    this.#failed(entry, false);
    this.#o.resolver.refresh?.();
  }

  /** One more failure in a row; a connect failure ejects at once. */
  #failed(entry: Entry, connect: boolean): void {
    entry.failures++;
    if (!connect && entry.failures < this.#o.failures) return;
    entry.down = connect;
    entry.ejections++;
    entry.ejectedUntil = performance.now() + backoffDelay(entry.ejections, {
      initialDelay: this.#o.ejectTime,
      maxDelay: this.#o.maxEjectTime,
      jitter: 0.2,
    });
    if (!connect) entry.failures = 0;
  }
}
