/**
 * The {@linkcode Resolver}: what gives a client the current endpoints of a
 * name (DNS, a static list, Consul, etcd …), and {@linkcode ListResolver},
 * a list the program sets.
 *
 * @module
 */

import {
  TransportKey,
  type TransportKeyInit,
} from "../channel/transport_key.ts";

/**
 * One endpoint a resolver found: its key, and for the balancers its
 * `priority` (lower first: failover) and `weight` (hashing; DNS SRV's).
 *
 * @example An SRV-style endpoint
 * ```ts
 * import type { ResolvedEndpoint } from "listenrain/advanced";
 *
 * const endpoint: ResolvedEndpoint = { key: "tcp://10.0.0.7:7000", priority: 10, weight: 5 };
 * console.log(String(endpoint.key)); // "tcp://10.0.0.7:7000"
 * ```
 */
export interface ResolvedEndpoint {
  /** Where to connect. */
  readonly key: string | TransportKeyInit;
  /** Lower is preferred by the failover balancer. @default {0} */
  readonly priority?: number;
  /** Relative share for the hashing balancer. @default {1} */
  readonly weight?: number;
}

/**
 * The source of a name's endpoints. `resolve(signal)` yields the whole
 * current set each time it changes (the first set as soon as it is known),
 * until `signal` aborts; an iterator that ends leaves the last set in force,
 * one that throws is called again later (the error goes to the client's
 * `onError` and to requests that find no endpoint). `refresh()`, if there,
 * is the client's hint that a connection failed: look again soon.
 *
 * An async generator is all it takes to plug a watch API in (Consul's
 * blocking queries, etcd's watch, a Kubernetes endpoint watch): see
 * docs/scale.md.
 *
 * @example A resolver written as an async generator
 * ```ts
 * import type { ResolvedEndpoint, Resolver } from "listenrain/advanced";
 *
 * const resolver: Resolver = {
 *   async *resolve(signal: AbortSignal): AsyncIterable<readonly ResolvedEndpoint[]> {
 *     yield [{ key: "tcp://127.0.0.1:7000" }, { key: "tcp://127.0.0.1:7001" }];
 *     // a real one would wait here for the next change, until signal aborts
 *     void signal;
 *   },
 * };
 * for await (const set of resolver.resolve(new AbortController().signal)) {
 *   console.log(set.length); // 2
 * }
 * ```
 */
export interface Resolver {
  /** The endpoint sets, whole, as they change, until `signal` aborts. */
  resolve(signal: AbortSignal): AsyncIterable<readonly ResolvedEndpoint[]>;
  /** A connection to one of the endpoints failed: look again (rate limited by the resolver). */
  refresh?(): void;
}

/**
 * A resolver over a list the program sets: static endpoints, or a bridge
 * from a callback-style watch (call {@linkcode ListResolver.set} from it).
 * Every client resolving through it sees each new list.
 *
 * @example Two endpoints, then three
 * ```ts
 * import { Client, Router, Server } from "listenrain";
 * import { ListResolver } from "listenrain/advanced";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const network = new MemoryNetwork();
 * const router = new Router().handle("ping", () => new Uint8Array());
 * await using server = new Server({ router });
 * for (const name of ["a", "b", "c"]) server.serve(await network.listen(`mem://${name}`));
 * const resolver = new ListResolver(["mem://a", "mem://b"]);
 * await using client = new Client({ resolver, balancer: "round_robin", dial: (k, o) => network.dial(k, o) });
 * await client.request("ping", new Uint8Array());
 * resolver.set(["mem://a", "mem://b", "mem://c"]); // the next requests reach c too
 * console.log(resolver.endpoints.length); // 3
 * ```
 */
export class ListResolver implements Resolver {
  #endpoints: readonly ResolvedEndpoint[];
  #wakers = new Set<() => void>();

  /**
   * Creates the resolver with its first list.
   *
   * @param endpoints The first list: keys, or endpoints with priority and weight.
   * @throws {TypeError} If a key is invalid.
   */
  constructor(
    endpoints: readonly (string | TransportKeyInit | ResolvedEndpoint)[] = [],
  ) {
    this.#endpoints = normalize(endpoints);
  }

  /** The current list. */
  get endpoints(): readonly ResolvedEndpoint[] {
    return this.#endpoints;
  }

  /**
   * Replaces the list; clients add the new endpoints and drain the removed.
   *
   * @param endpoints The new list.
   * @throws {TypeError} If a key is invalid.
   */
  set(
    endpoints: readonly (string | TransportKeyInit | ResolvedEndpoint)[],
  ): void {
    this.#endpoints = normalize(endpoints);
    for (const wake of [...this.#wakers]) wake();
  }

  /**
   * The current list, then each new one, until `signal` aborts.
   *
   * @param signal Stops the iteration.
   * @returns The lists.
   */
  async *resolve(
    signal: AbortSignal,
  ): AsyncIterable<readonly ResolvedEndpoint[]> {
    let seen: readonly ResolvedEndpoint[] | undefined;
    while (!signal.aborted) {
      if (seen !== this.#endpoints) {
        seen = this.#endpoints;
        yield seen;
        continue;
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#wakers.delete(wake);
          signal.removeEventListener("abort", wake);
          resolve();
        };
        this.#wakers.add(wake);
        signal.addEventListener("abort", wake, { once: true });
      });
    }
  }
}

function normalize(
  endpoints: readonly (string | TransportKeyInit | ResolvedEndpoint)[],
): readonly ResolvedEndpoint[] {
  return Object.freeze(endpoints.map((endpoint) => {
    if (
      typeof endpoint === "object" && endpoint !== null && "key" in endpoint
    ) {
      return Object.freeze({
        ...endpoint,
        key: TransportKey.from(endpoint.key as string | TransportKeyInit),
      });
    }
    return Object.freeze({ key: TransportKey.from(endpoint) });
  }));
}
