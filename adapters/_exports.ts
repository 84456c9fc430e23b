/**
 * The types every adapter module re-exports, so that `dial` and `listen`'s
 * signatures are complete from one import. Private to `adapters/`.
 *
 * @module
 */

export type {
  Channel,
  ChannelAddr,
  ChannelIO,
  Listener,
  PeerCertificate,
} from "../src/channel/channel.ts";
export type { TransportKeyLike } from "./_key.ts";
export type { DialOptions, ListenOptions } from "./_options.ts";
export type { DnsLookupOptions, DnsResolverInit } from "./_dns_options.ts";
