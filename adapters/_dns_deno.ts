/**
 * DNS lookups with `Deno.resolveDns`. Private to `adapters/`.
 *
 * @module
 */

import { type DnsLookup, DnsResolver } from "../src/resolve/dns_resolver.ts";
import {
  type DnsLookupOptions,
  type DnsResolverInit,
  parseNameServer,
  queryTimeout,
} from "./_dns_options.ts";

interface DenoDns {
  resolveDns(
    query: string,
    type: "A" | "AAAA" | "SRV",
    options?: {
      nameServer?: { ipAddr: string; port?: number };
      signal?: AbortSignal;
    },
  ): Promise<unknown[]>;
}

/**
 * A {@linkcode DnsLookup} over `Deno.resolveDns` (needs `--allow-net`).
 *
 * @param options Name server and timeout.
 * @returns The lookups.
 * @throws {TypeError} If `nameServer` is not an IP address with an optional port.
 */
export function denoDnsLookup(options: DnsLookupOptions = {}): DnsLookup {
  const deno = (globalThis as unknown as { Deno: DenoDns }).Deno;
  const server = options.nameServer === undefined
    ? undefined
    : parseNameServer(options.nameServer);
  const timeout = queryTimeout(options.timeout);
  const query = async (
    name: string,
    type: "A" | "AAAA" | "SRV",
    signal: AbortSignal,
  ): Promise<unknown[]> => {
    try {
      return await deno.resolveDns(name, type, {
        nameServer: server && { ipAddr: server.address, port: server.port },
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeout)]),
      });
    } catch (error) {
      if ((error as Error)?.name === "NotFound") return [];
      throw error;
    }
  };
  return {
    a: (name, signal) => query(name, "A", signal) as Promise<string[]>,
    aaaa: (name, signal) => query(name, "AAAA", signal) as Promise<string[]>,
    srv: async (name, signal) =>
      (await query(name, "SRV", signal) as {
        priority: number;
        weight: number;
        port: number;
        target: string;
      }[]).map(({ priority, weight, port, target }) => ({
        priority,
        weight,
        port,
        target,
      })),
  };
}

/**
 * The runtime's DNS lookups, for a `DnsResolver`: A, AAAA and SRV queries
 * to the system's name server or to `nameServer` (any port).
 *
 * @param options Name server and query timeout.
 * @returns The lookups.
 * @throws {TypeError} If `nameServer` is not an IP address with an optional port.
 *
 * @example Asking a name server on a custom port
 * ```ts
 * import { dnsLookup } from "listenrain/adapters/deno";
 *
 * const lookup = dnsLookup({ nameServer: "127.0.0.1:5353" });
 * console.log(typeof lookup.a); // "function"
 * ```
 */
export function dnsLookup(options: DnsLookupOptions = {}): DnsLookup {
  return denoDnsLookup(options);
}

/**
 * A resolver of a DNS name for a client's `resolver` option, with this
 * runtime's lookups.
 *
 * @param target `dns+tcp://name:port`, `dns+tls://name:port`,
 *   `dns+srv+tcp://_service._tcp.name` or `dns+srv+tls://…`.
 * @param options Intervals, name server, query timeout.
 * @returns The resolver.
 * @throws {TypeError} If the target or `nameServer` is malformed.
 * @throws {RangeError} If an interval or the timeout is out of range.
 *
 * @example The instances of a Kubernetes headless service
 * ```ts
 * import { Client } from "listenrain";
 * import { dial, dnsResolver } from "listenrain/adapters/deno";
 *
 * const resolver = dnsResolver("dns+tcp://api.default.svc.cluster.local:7000", { interval: 10_000 });
 * await using client = new Client({ resolver, balancer: "p2c", dial });
 * ```
 */
export function dnsResolver(
  target: string,
  options: DnsResolverInit = {},
): DnsResolver {
  return new DnsResolver(target, {
    ...options,
    lookup: denoDnsLookup(options),
  });
}
