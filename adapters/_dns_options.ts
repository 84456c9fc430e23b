/**
 * The options of the adapters' `dnsLookup()` and `dnsResolver()`, and the
 * name server parsing they share. Private to `adapters/`.
 *
 * @module
 */

import type { DnsResolverOptions } from "../src/resolve/dns_resolver.ts";

/**
 * Options of an adapter's `dnsLookup()`.
 *
 * @example Asking a name server on a custom port
 * ```ts
 * import { dnsLookup, type DnsLookupOptions } from "listenrain/adapters/node";
 *
 * const options: DnsLookupOptions = { nameServer: "127.0.0.1:5353", timeout: 2_000 };
 * const lookup = dnsLookup(options);
 * console.log(typeof lookup.srv); // "function"
 * ```
 */
export interface DnsLookupOptions {
  /**
   * The name server to ask, `address` or `address:port` (`[v6]:port`), an
   * IP address. @default {the system's}
   */
  nameServer?: string;
  /** How long one query may take, in ms. @default {5000} */
  timeout?: number;
}

/**
 * Options of an adapter's `dnsResolver()`: the intervals, and the lookup's.
 *
 * @example A resolver asking a given name server every 5 s
 * ```ts
 * import { dnsResolver, type DnsResolverInit } from "listenrain/adapters/node";
 *
 * const init: DnsResolverInit = { nameServer: "10.96.0.10", interval: 5_000, minInterval: 1_000 };
 * const resolver = dnsResolver("dns+tcp://api.default.svc.cluster.local:7000", init);
 * console.log(resolver.target); // "dns+tcp://api.default.svc.cluster.local:7000"
 * ```
 */
export interface DnsResolverInit
  extends DnsLookupOptions, Omit<DnsResolverOptions, "lookup"> {}

/** A parsed name server. */
export interface NameServer {
  address: string;
  port: number;
}

/**
 * Parses `nameServer`.
 *
 * @param nameServer `address`, `address:port` or `[v6]:port`.
 * @returns The address and port (53 by default).
 * @throws {TypeError} If it is not an IP address with an optional port.
 */
export function parseNameServer(nameServer: string): NameServer {
  const match =
    /^(?:\[([0-9a-fA-F:.]+)\]|(\d+\.\d+\.\d+\.\d+)|([0-9a-fA-F:]+))(?::(\d+))?$/
      .exec(String(nameServer));
  const v6 = match?.[1] ?? match?.[3];
  const address = match?.[2] ?? v6;
  const port = match?.[3] !== undefined ? 53 : Number(match?.[4] ?? 53);
  if (!match || address === undefined || port > 65535 || port < 1) {
    throw new TypeError(
      `Invalid nameServer ${
        JSON.stringify(nameServer)
      }: expected an IP address with an optional port, as in 127.0.0.1:5353 or [::1]:53`,
    );
  }
  return { address, port };
}

/**
 * Checks the query timeout.
 *
 * @param timeout The option.
 * @returns It, or 5000.
 * @throws {RangeError} If it is not a number > 0.
 */
export function queryTimeout(timeout: number | undefined): number {
  const value = timeout ?? 5_000;
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`timeout must be a finite number > 0, got ${value}`);
  }
  return value;
}
