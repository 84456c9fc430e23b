/**
 * The {@linkcode DnsResolver}: a name's endpoints from DNS A/AAAA or SRV
 * records, looked up again on an interval and when a connection fails, never
 * more often than a minimum interval. The lookups themselves are the
 * runtime's ({@linkcode DnsLookup}, from an adapter's `dnsLookup()`), so this
 * module stays runtime-neutral.
 *
 * @module
 */

import { TransportKey } from "../channel/transport_key.ts";
import type { ResolvedEndpoint, Resolver } from "./resolver.ts";

/**
 * One SRV record, as a {@linkcode DnsLookup} returns it.
 *
 * @example The record of one instance
 * ```ts
 * import type { DnsSrvRecord } from "listenrain/advanced";
 *
 * const record: DnsSrvRecord = { priority: 10, weight: 5, port: 7000, target: "a.api.internal" };
 * console.log(record.port); // 7000
 * ```
 */
export interface DnsSrvRecord {
  /** Lower first. */
  readonly priority: number;
  /** Relative share within a priority. */
  readonly weight: number;
  /** The instance's port. */
  readonly port: number;
  /** The instance's host name (or address). */
  readonly target: string;
}

/**
 * The DNS queries a {@linkcode DnsResolver} makes: each resolves to the
 * records found, `[]` when the name or the records do not exist (NXDOMAIN,
 * no data), and rejects on failure (timeout, server failure). The adapters'
 * `dnsLookup()` gives one per runtime.
 *
 * @example A lookup over a fixed table (a test double)
 * ```ts
 * import { type DnsLookup, DnsResolver } from "listenrain/advanced";
 *
 * const lookup: DnsLookup = {
 *   a: (name) => Promise.resolve(name === "api.internal" ? ["10.0.0.1"] : []),
 *   aaaa: () => Promise.resolve([]),
 *   srv: () => Promise.resolve([]),
 * };
 * const resolver = new DnsResolver("dns+tcp://api.internal:7000", { lookup });
 * for await (const set of resolver.resolve(AbortSignal.timeout(1_000))) {
 *   console.log(set.map((e) => String(e.key))); // [ "tcp://10.0.0.1:7000" ]
 *   break;
 * }
 * ```
 */
export interface DnsLookup {
  /** IPv4 addresses of `name`. */
  a(name: string, signal: AbortSignal): Promise<string[]>;
  /** IPv6 addresses of `name`. */
  aaaa(name: string, signal: AbortSignal): Promise<string[]>;
  /** SRV records of `name`. */
  srv(name: string, signal: AbortSignal): Promise<DnsSrvRecord[]>;
}

/**
 * Options of {@linkcode DnsResolver}.
 *
 * @example Looking again every 10 s, at most every 2 s
 * ```ts
 * import type { DnsResolverOptions } from "listenrain/advanced";
 * import { dnsLookup } from "listenrain/adapters/node";
 *
 * const options: DnsResolverOptions = { lookup: dnsLookup(), interval: 10_000, minInterval: 2_000 };
 * console.log(options.interval); // 10000
 * ```
 */
export interface DnsResolverOptions {
  /** The runtime's queries: an adapter's `dnsLookup()`. */
  lookup: DnsLookup;
  /** Look again after this many ms. @default {30000} */
  interval?: number;
  /** Never look more often than this, in ms (refreshes after failures included). @default {5000} */
  minInterval?: number;
  /** Which address records (A/AAAA targets). @default {"any"} */
  family?: "any" | "ipv4" | "ipv6";
}

/** The default interval between lookups: 30 s. */
export const DEFAULT_DNS_INTERVAL = 30_000;
/** The default minimum interval between lookups: 5 s. */
export const DEFAULT_DNS_MIN_INTERVAL = 5_000;

const TARGET =
  /^dns\+(srv\+)?(tcp|tls):\/\/(\[[^\]]+\]|[^:/[\]]+)(?::(\d+))?\/?$/i;

interface Target {
  srv: boolean;
  transport: "tcp" | "tls";
  name: string;
  port: number;
}

/**
 * A name's endpoints from DNS. The target is `dns+tcp://name:port` (or
 * `dns+tls://…`): one endpoint per A/AAAA address of `name`, on `port`; or
 * `dns+srv+tcp://_service._tcp.name` (or `dns+srv+tls://…`): one endpoint
 * per SRV record, its target's addresses with the record's port, priority
 * and weight. Looked up at once, every `interval`, and on `refresh()` (a
 * client calls it when a connection fails), never more often than
 * `minInterval`. A set is yielded when it differs from the last one; a name
 * that does not exist gives the empty set; a failed lookup throws (the
 * client keeps the last set, reports the error and resolves again later).
 *
 * TLS: the keys hold addresses, so a certificate must name the address,
 * or the dial options must give the server name.
 *
 * @example A client behind a DNS name, on Node
 * ```ts
 * import { Client } from "listenrain";
 * import { dial, dnsResolver } from "listenrain/adapters/node";
 *
 * const resolver = dnsResolver("dns+tcp://api.default.svc.cluster.local:7000", { interval: 10_000 });
 * await using client = new Client({ resolver, balancer: "round_robin", dial });
 * ```
 */
export class DnsResolver implements Resolver {
  /** The target, as given. */
  readonly target: string;
  #target: Target;
  #lookup: DnsLookup;
  #interval: number;
  #minInterval: number;
  #family: "any" | "ipv4" | "ipv6";
  #wakers = new Set<() => void>();

  /**
   * Creates the resolver; it looks nothing up before `resolve()`.
   *
   * @param target `dns+tcp://name:port`, `dns+tls://name:port`,
   *   `dns+srv+tcp://_service._tcp.name` or `dns+srv+tls://…`.
   * @param options The lookups and the intervals.
   * @throws {TypeError} If the target is malformed or `lookup` is missing.
   * @throws {RangeError} If an interval is out of range.
   */
  constructor(target: string, options: DnsResolverOptions) {
    this.target = target;
    this.#target = parseTarget(target);
    if (typeof options?.lookup?.a !== "function") {
      throw new TypeError(
        "DnsResolver needs a lookup: an adapter's dnsLookup()",
      );
    }
    this.#lookup = options.lookup;
    this.#interval = checkTime(
      "interval",
      options.interval ?? DEFAULT_DNS_INTERVAL,
    );
    this.#minInterval = checkTime(
      "minInterval",
      options.minInterval ?? DEFAULT_DNS_MIN_INTERVAL,
    );
    this.#family = options.family ?? "any";
  }

  /** Asks every iteration to look again now, or as soon as `minInterval` allows. */
  refresh(): void {
    for (const wake of [...this.#wakers]) wake();
  }

  /**
   * The endpoint sets, as they change, until `signal` aborts.
   *
   * @param signal Stops the lookups.
   * @returns The sets.
   * @throws The lookup's error when one fails.
   */
  async *resolve(
    signal: AbortSignal,
  ): AsyncIterable<readonly ResolvedEndpoint[]> {
    let last: string | undefined;
    let lastAt = -Infinity;
    while (!signal.aborted) {
      const early = lastAt + this.#minInterval - performance.now();
      if (early > 0) await sleep(early, signal, undefined);
      if (signal.aborted) return;
      lastAt = performance.now();
      const endpoints = await this.lookup(signal);
      const print = endpoints.map((e) =>
        `${e.key}/${e.priority ?? 0}/${e.weight ?? 1}`
      ).sort().join(" ");
      if (print !== last) {
        last = print;
        yield endpoints;
      }
      await sleep(this.#interval, signal, this.#wakers);
    }
  }

  /**
   * Looks the target up once.
   *
   * @param signal Aborts the lookup.
   * @returns The endpoints found.
   * @throws The lookup's error.
   */
  async lookup(signal: AbortSignal): Promise<ResolvedEndpoint[]> {
    const { srv, transport, name, port } = this.#target;
    if (!srv) {
      return (await this.#addresses(name, signal)).map((address) => ({
        key: new TransportKey({ transport, hostname: address, port }),
      }));
    }
    const records = await this.#lookup.srv(name, signal);
    const found = await Promise.all(records.map(async (record) => {
      const addresses = await this.#addresses(record.target, signal);
      return addresses.map((address): ResolvedEndpoint => ({
        key: new TransportKey({
          transport,
          hostname: address,
          port: record.port,
        }),
        priority: record.priority,
        weight: record.weight,
      }));
    }));
    return found.flat();
  }

  async #addresses(name: string, signal: AbortSignal): Promise<string[]> {
    const host = name.replace(/\.$/, "").replace(/^\[(.*)\]$/, "$1");
    if (/^[\d.]+$/.test(host) || host.includes(":")) return [host];
    const queries: Promise<string[]>[] = [];
    if (this.#family !== "ipv6") queries.push(this.#lookup.a(host, signal));
    if (this.#family !== "ipv4") queries.push(this.#lookup.aaaa(host, signal));
    const results = await Promise.allSettled(queries);
    const ok = results.filter((r) => r.status === "fulfilled");
    if (ok.length === 0) throw (results[0] as PromiseRejectedResult).reason;
    return ok.flatMap((r) => (r as PromiseFulfilledResult<string[]>).value);
  }
}

function parseTarget(target: string): Target {
  const match = typeof target === "string" ? TARGET.exec(target) : null;
  if (match === null) {
    throw new TypeError(
      `Invalid DNS target ${
        JSON.stringify(target)
      }: expected dns+tcp://name:port, dns+tls://name:port or dns+srv+tcp://_service._tcp.name`,
    );
  }
  const srv = match[1] !== undefined;
  const port = match[4] === undefined ? undefined : Number(match[4]);
  if (srv && port !== undefined) {
    throw new TypeError(
      `Invalid DNS target "${target}": an SRV target takes its ports from the records`,
    );
  }
  if (!srv && (port === undefined || port > 65535)) {
    throw new TypeError(
      `Invalid DNS target "${target}": needs a port 0-65535, as in dns+tcp://name:7000`,
    );
  }
  return {
    srv,
    transport: match[2].toLowerCase() as "tcp" | "tls",
    name: match[3].toLowerCase(),
    port: port ?? 0,
  };
}

function checkTime(name: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  }
  return value;
}

/** Waits `ms`, or until `signal` aborts, or (with `wakers`) a refresh. */
function sleep(
  ms: number,
  signal: AbortSignal,
  wakers: Set<() => void> | undefined,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      wakers?.delete(done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    wakers?.add(done);
    signal.addEventListener("abort", done, { once: true });
  });
}
