/**
 * DNS lookups with `node:dns` (Node and Bun). A fresh `Resolver` per query:
 * Bun's keeps answers for their TTL, which would hide changes. Private to
 * `adapters/`.
 *
 * @module
 */

import { promises as dns } from "node:dns";
import {
  type DnsLookup,
  DnsResolver,
  type DnsSrvRecord,
} from "../src/resolve/dns_resolver.ts";
import {
  type DnsLookupOptions,
  type DnsResolverInit,
  parseNameServer,
  queryTimeout,
} from "./_dns_options.ts";

/**
 * A {@linkcode DnsLookup} over `node:dns`.
 *
 * @param options Name server and timeout.
 * @returns The lookups.
 * @throws {TypeError} If `nameServer` is not an IP address with an optional port.
 */
export function nodeDnsLookup(options: DnsLookupOptions = {}): DnsLookup {
  const server = options.nameServer === undefined
    ? undefined
    : parseNameServer(options.nameServer);
  const timeout = queryTimeout(options.timeout);
  const query = async <R>(
    run: (resolver: dns.Resolver) => Promise<R[]>,
    signal: AbortSignal,
  ): Promise<R[]> => {
    signal.throwIfAborted();
    const resolver = new dns.Resolver({ timeout, tries: 1 });
    if (server) {
      const host = server.address.includes(":")
        ? `[${server.address}]`
        : server.address;
      resolver.setServers([`${host}:${server.port}`]);
    }
    const onAbort = () => resolver.cancel();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      return await run(resolver);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "ENOTFOUND" || code === "ENODATA") return [];
      throw error;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  };
  return {
    a: (name, signal) => query((r) => r.resolve4(name), signal),
    aaaa: (name, signal) => query((r) => r.resolve6(name), signal),
    srv: (name, signal) =>
      query(
        async (r) =>
          (await r.resolveSrv(name)).map((record): DnsSrvRecord => ({
            priority: record.priority,
            weight: record.weight,
            port: record.port,
            target: record.name,
          })),
        signal,
      ),
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
 * import { dnsLookup } from "listenrain/adapters/node";
 *
 * const lookup = dnsLookup({ nameServer: "127.0.0.1:5353" });
 * console.log(typeof lookup.a); // "function"
 * ```
 */
export function dnsLookup(options: DnsLookupOptions = {}): DnsLookup {
  return nodeDnsLookup(options);
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
 * import { dial, dnsResolver } from "listenrain/adapters/node";
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
    lookup: nodeDnsLookup(options),
  });
}
