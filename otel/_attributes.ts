/**
 * Span and metric attributes after the OpenTelemetry RPC semantic
 * conventions (semconv 1.38 and later: `rpc.system.name`, `rpc.method`,
 * `rpc.status_code`, `error.type`, `server.address`, `server.port`,
 * `network.transport`, `network.peer.*`).
 *
 * @module
 */

import type { Attributes } from "@opentelemetry/api";
import type { ChannelAddr } from "../src/channel/channel.ts";
import type { TransportKey } from "../src/channel/transport_key.ts";
import {
  ERROR_REPLY_CODES,
  ListenRainError,
  RemoteError,
} from "../src/errors.ts";

/** `rpc.system.name` (and the deprecated `rpc.system`) of every span. */
export const RPC_SYSTEM = "listenrain";

/** Attribute keys. @internal */
export const ATTR = {
  rpcSystemName: "rpc.system.name",
  /** Deprecated by semconv 1.38 in favour of `rpc.system.name`; still read by older backends. */
  rpcSystem: "rpc.system",
  rpcMethod: "rpc.method",
  rpcStatusCode: "rpc.status_code",
  errorType: "error.type",
  serverAddress: "server.address",
  serverPort: "server.port",
  networkTransport: "network.transport",
  networkPeerAddress: "network.peer.address",
  networkPeerPort: "network.peer.port",
} as const;

/**
 * `network.transport` of a listenrain transport: TCP and TLS are `tcp`, Unix
 * sockets `unix`, in-memory pipes `pipe` (the well-known values).
 */
function networkTransport(transport: string): string {
  switch (transport) {
    case "tcp":
    case "tls":
      return "tcp";
    case "unix":
      return "unix";
    case "mem":
      return "pipe";
    default:
      return transport;
  }
}

/** The address part of an endpoint: host, socket path or pipe name. */
function addressOf(addr: TransportKey | ChannelAddr): string | undefined {
  return addr.hostname || addr.path || addr.name || undefined;
}

/**
 * `server.address`, `server.port` and `network.transport` of the address a
 * request goes to (client) or came in on (server).
 *
 * @internal
 */
export function serverAttributes(
  addr: TransportKey | ChannelAddr | undefined,
): Attributes {
  if (addr === undefined) return {};
  const attributes: Attributes = {
    [ATTR.networkTransport]: networkTransport(addr.transport),
  };
  const address = addressOf(addr);
  if (address !== undefined) attributes[ATTR.serverAddress] = address;
  if (addr.port) attributes[ATTR.serverPort] = addr.port;
  return attributes;
}

/**
 * `network.peer.address` and `network.peer.port` of the caller (server).
 *
 * @internal
 */
export function peerAttributes(addr: ChannelAddr | undefined): Attributes {
  const address = addr && addressOf(addr);
  if (addr === undefined || address === undefined) return {};
  const attributes: Attributes = { [ATTR.networkPeerAddress]: address };
  if (addr.port) attributes[ATTR.networkPeerPort] = addr.port;
  return attributes;
}

/**
 * The status code an error stands for: a `RemoteError`'s code (what the
 * handler sent: `UNAUTHENTICATED`, `UNKNOWN_ROUTE`…), or the code of the error
 * reply listenrain sends for its own errors (`TIMEOUT`, `CONNECTION_CLOSED`…);
 * for any other error `fallback`.
 *
 * @internal
 */
export function statusCodeOf(
  error: unknown,
  fallback: string | undefined,
): string | undefined {
  if (error instanceof RemoteError) return error.remoteCode;
  if (error instanceof ListenRainError) {
    return ERROR_REPLY_CODES[error.code] ?? fallback;
  }
  return fallback;
}

/**
 * `error.type` of a failed call: its status code where it has one, else the
 * error's class name (`TypeError`), else `_OTHER`.
 *
 * @internal
 */
export function errorTypeOf(
  error: unknown,
  status: string | undefined,
): string {
  if (status !== undefined) return status;
  return error instanceof Error && error.name ? error.name : "_OTHER";
}
