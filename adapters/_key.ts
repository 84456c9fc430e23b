/**
 * Transport keys for the socket adapters: `tcp://host:port`,
 * `tls://host:port` and `unix:///path`, parsed by the core's
 * {@linkcode TransportKey} (so adapters and clients agree on every key).
 * Runtime-neutral (no Deno, Bun or Node APIs). Private to `adapters/`.
 *
 * @module
 */

import type { ChannelAddr } from "../src/channel/channel.ts";
import { TransportKey } from "../src/channel/transport_key.ts";

/** The transports the socket adapters speak. */
export type SocketTransport = "tcp" | "tls" | "unix";

/**
 * A transport key given as an object rather than a URL string, for example
 * the result of {@linkcode parseKey} or a `TransportKey` instance. TCP and TLS
 * keys need `hostname` and `port`; Unix keys need `path`.
 *
 * @example Listening and dialing with keys given as objects (Deno's adapter; Bun's and Node's are the same)
 * ```ts
 * import {
 *   dial,
 *   listen,
 *   type TransportKeyLike,
 * } from "listenrain/adapters/deno";
 *
 * const key: TransportKeyLike = { transport: "tcp", hostname: "127.0.0.1", port: 0 };
 * const listener = await listen(key);
 * const channel = await dial(listener.addr); // a ChannelAddr is a TransportKeyLike too
 * console.log(channel.remoteAddr.port === listener.addr.port); // true
 * channel.close();
 * listener.close();
 * ```
 */
export interface TransportKeyLike {
  /** `"tcp"`, `"tls"` or `"unix"`. */
  readonly transport: string;
  /** Host name or IP address, without brackets (TCP and TLS). */
  readonly hostname?: string;
  /** Port, `0` to `65535` (TCP and TLS). */
  readonly port?: number;
  /** File system path (Unix). */
  readonly path?: string;
}

/** A validated transport key. Unused fields are `""` or `0`. */
export interface ParsedKey {
  /** The kind of stream. */
  readonly transport: SocketTransport;
  /** Host name or IP address without brackets; `""` for Unix keys. */
  readonly hostname: string;
  /** Port number; `0` for Unix keys (and for "any free port"). */
  readonly port: number;
  /** Socket path; `""` for TCP and TLS keys. */
  readonly path: string;
}

/**
 * Parses and validates a transport key for a socket adapter, with the one
 * parser of the core ({@linkcode TransportKey}).
 *
 * @param key `tcp://127.0.0.1:7000`, `tcp://[::1]:0`, `tls://localhost:7443`,
 *   `unix:///tmp/app.sock`, or an object with the same parts.
 * @returns The key's parts.
 * @throws {TypeError} If the key is invalid (unknown scheme, missing or
 *   out-of-range port, empty host, relative Unix path) or a `mem://` key,
 *   which no socket serves.
 *
 * @example Parsing an IPv6 key
 * ```ts
 * import { parseKey } from "./_key.ts";
 *
 * const key = parseKey("tcp://[::1]:7000");
 * console.log(key.hostname, key.port); // "::1" 7000
 * ```
 */
export function parseKey(key: string | TransportKeyLike): ParsedKey {
  if (key === null || (typeof key !== "string" && typeof key !== "object")) {
    throw new TypeError(
      `Invalid transport key: expected a string or an object, got ${key}`,
    );
  }
  const parsed = TransportKey.from(key);
  if (parsed.transport === "mem") {
    throw new TypeError(
      `Invalid transport key "${parsed}": unknown transport "mem" (expected tcp, tls or unix; mem:// keys are served by a MemoryNetwork)`,
    );
  }
  if (parsed.transport === "ws" || parsed.transport === "wss") {
    throw new TypeError(
      `Invalid transport key "${parsed}": ${parsed.transport}:// is served by the adapter's dial and listen, not by a socket`,
    );
  }
  const { transport, hostname, port, path } = parsed;
  return { transport, hostname, port, path };
}

/** A socket's own view of an address, as runtimes report it. */
export interface SocketAddrLike {
  /** Host name or IP address. */
  readonly hostname?: string;
  /** Port number. */
  readonly port?: number;
}

/**
 * The two addresses of a channel made from `key`. TCP and TLS take what the
 * socket reports; Unix sockets name the key's path on the listening side and
 * `""` on the dialing side, on every runtime.
 *
 * @param key The key the channel was dialed or accepted on.
 * @param side Whether this end dialed (`"client"`) or accepted (`"server"`).
 * @param local The socket's local address.
 * @param remote The socket's remote address.
 * @returns `[localAddr, remoteAddr]`.
 *
 * @example
 * ```ts
 * import { channelAddrs, parseKey } from "./_key.ts";
 * const [local, remote] = channelAddrs(parseKey("unix:///tmp/a.sock"), "client", {}, {});
 * console.log(local.path, remote.path); // "" "/tmp/a.sock"
 * ```
 */
export function channelAddrs(
  key: ParsedKey,
  side: "client" | "server",
  local: SocketAddrLike,
  remote: SocketAddrLike,
): [ChannelAddr, ChannelAddr] {
  if (key.transport === "unix") {
    const listening: ChannelAddr = { transport: "unix", path: key.path };
    const dialing: ChannelAddr = { transport: "unix", path: "" };
    return side === "server" ? [listening, dialing] : [dialing, listening];
  }
  const { transport } = key;
  return [
    { transport, hostname: local.hostname ?? "", port: local.port ?? 0 },
    { transport, hostname: remote.hostname ?? "", port: remote.port ?? 0 },
  ];
}

/**
 * Writes a key back as a URL string, for error messages.
 *
 * @param key A parsed key.
 * @returns `tcp://host:port`, `tls://host:port` or `unix:///path`.
 *
 * @example
 * ```ts
 * import { formatKey, parseKey } from "./_key.ts";
 * console.log(formatKey(parseKey("tcp://[::1]:80"))); // "tcp://[::1]:80"
 * ```
 */
export function formatKey(key: ParsedKey): string {
  return TransportKey.from(key).toString();
}

/**
 * The key, if it is a WebSocket key (`ws://` or `wss://`), which the
 * adapters' `dial` and `listen` hand to their WebSocket code.
 *
 * @param key Any key.
 * @returns The parsed key, or `undefined` for other schemes and invalid keys
 *   (which `parseKey` then reports).
 *
 * @example
 * ```ts
 * import { webSocketKey } from "./_key.ts";
 * console.log(webSocketKey("ws://127.0.0.1:8080/rpc")?.path, webSocketKey("tcp://[::1]:1")); // "/rpc" undefined
 * ```
 */
export function webSocketKey(
  key: string | TransportKeyLike,
): TransportKey | undefined {
  let parsed: TransportKey;
  try {
    parsed = TransportKey.from(key);
  } catch {
    return undefined;
  }
  return parsed.transport === "ws" || parsed.transport === "wss"
    ? parsed
    : undefined;
}
