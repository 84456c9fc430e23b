/**
 * Balancers: which endpoint of a resolved name takes a request. Failover in
 * priority order, round robin, power of two choices on requests in flight,
 * and rendezvous hashing by a key the caller passes (`hashKey`).
 *
 * @module
 */

import type { TransportKey } from "../channel/transport_key.ts";

/**
 * An endpoint a {@linkcode Balancer} may choose: healthy (not ejected), in
 * the resolver's order.
 *
 * @example A candidate as a custom balancer sees it
 * ```ts
 * import { TransportKey } from "listenrain";
 * import type { BalancerCandidate } from "listenrain/advanced";
 *
 * const candidate: BalancerCandidate = {
 *   key: new TransportKey("tcp://10.0.0.1:7000"), priority: 0, weight: 1, ready: true, inFlight: 3,
 * };
 * console.log(candidate.ready && candidate.inFlight); // 3
 * ```
 */
export interface BalancerCandidate {
  /** The endpoint. */
  readonly key: TransportKey;
  /** Lower first (failover). */
  readonly priority: number;
  /** Relative share (hashing). */
  readonly weight: number;
  /** True when it has a usable connection now. */
  readonly ready: boolean;
  /** Requests in flight on its least loaded connection. */
  readonly inFlight: number;
}

/**
 * Chooses the endpoint of one request among `candidates` (never empty). A
 * request goes at once to a `ready` choice; to another, once it connects.
 *
 * @example Always the least loaded ready endpoint
 * ```ts
 * import type { Balancer } from "listenrain/advanced";
 *
 * const leastLoaded: Balancer = {
 *   pick(candidates) {
 *     const ready = candidates.filter((c) => c.ready);
 *     const pool = ready.length > 0 ? ready : candidates;
 *     return pool.reduce((best, c) => (c.inFlight < best.inFlight ? c : best));
 *   },
 * };
 * console.log(typeof leastLoaded.pick); // "function"
 * ```
 */
export interface Balancer {
  /**
   * Picks the endpoint of one request.
   *
   * @param candidates The healthy endpoints, in the resolver's order.
   * @param hashKey The request's `hashKey`, if it has one.
   * @returns One of `candidates`.
   */
  pick(
    candidates: readonly BalancerCandidate[],
    hashKey: string | undefined,
  ): BalancerCandidate;
}

/**
 * The built-in balancers: `"failover"` (the first ready endpoint in
 * priority order), `"round_robin"`, `"p2c"` (the less loaded of two ready
 * endpoints drawn at random) and `"hash"` (rendezvous hashing of the
 * request's `hashKey`: the same key, the same endpoint, while it is healthy).
 *
 * @example Sharding by tenant
 * ```ts
 * import type { BalancerName } from "listenrain/advanced";
 *
 * const balancer: BalancerName = "hash"; // and request(route, body, { hashKey: tenantId })
 * console.log(balancer); // "hash"
 * ```
 */
export type BalancerName = "failover" | "round_robin" | "p2c" | "hash";

/**
 * The balancer of a name, or a custom one as it is.
 *
 * @param balancer A {@linkcode BalancerName} or a {@linkcode Balancer}.
 * @returns The balancer.
 * @throws {TypeError} If the name is unknown.
 */
export function createBalancer(balancer: BalancerName | Balancer): Balancer {
  if (typeof balancer === "object" && typeof balancer?.pick === "function") {
    return balancer;
  }
  switch (balancer) {
    case "failover":
      return { pick: failover };
    case "round_robin":
      return roundRobin();
    case "p2c":
      return { pick: p2c };
    case "hash":
      return { pick: hash };
  }
  throw new TypeError(
    `Unknown balancer ${
      JSON.stringify(balancer)
    }: expected "failover", "round_robin", "p2c", "hash" or an object with pick()`,
  );
}

function readyOrAll(
  candidates: readonly BalancerCandidate[],
): readonly BalancerCandidate[] {
  let ready = 0;
  for (const candidate of candidates) if (candidate.ready) ready++;
  if (ready === 0 || ready === candidates.length) return candidates;
  return candidates.filter((candidate) => candidate.ready);
}

function failover(candidates: readonly BalancerCandidate[]): BalancerCandidate {
  let best: BalancerCandidate | undefined;
  let bestReady: BalancerCandidate | undefined;
  for (const candidate of candidates) {
    if (best === undefined || candidate.priority < best.priority) {
      best = candidate;
    }
    if (
      candidate.ready &&
      (bestReady === undefined || candidate.priority < bestReady.priority)
    ) bestReady = candidate;
  }
  return bestReady ?? best!;
}

function roundRobin(): Balancer {
  let turn = Math.floor(Math.random() * 1024);
  return {
    pick(candidates) {
      const pool = readyOrAll(candidates);
      return pool[turn++ % pool.length];
    },
  };
}

function p2c(candidates: readonly BalancerCandidate[]): BalancerCandidate {
  const pool = readyOrAll(candidates);
  if (pool.length === 1) return pool[0];
  const i = Math.floor(Math.random() * pool.length);
  let j = Math.floor(Math.random() * (pool.length - 1));
  if (j >= i) j++;
  const a = pool[i];
  const b = pool[j];
  return b.inFlight < a.inFlight ? b : a;
}

function hash(
  candidates: readonly BalancerCandidate[],
  hashKey: string | undefined,
): BalancerCandidate {
  if (hashKey === undefined) return p2c(candidates);
  let best = candidates[0];
  let bestScore = -Infinity;
  for (const candidate of candidates) {
    const score = rendezvousScore(
      hashKey,
      String(candidate.key),
      candidate.weight,
    );
    if (score > bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

/**
 * The weighted rendezvous score of `hashKey` on `endpoint`: the endpoint
 * with the highest score takes the key (`-weight / ln(u)`, `u` uniform in
 * (0, 1) from a 53-bit hash of both).
 *
 * @param hashKey The request's key.
 * @param endpoint The endpoint's name.
 * @param weight Its weight (> 0).
 * @returns The score.
 */
export function rendezvousScore(
  hashKey: string,
  endpoint: string,
  weight: number,
): number {
  const text = `${hashKey}\u0000${endpoint}`;
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^
    Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^
    Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const bits = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  const u = (bits + 1) / (2 ** 53 + 2);
  return -(weight > 0 ? weight : 1) / Math.log(u);
}
