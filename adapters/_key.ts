/**
 * The transport-key parser shared by the socket adapters: turns
 * `tcp://host:port`, `tls://host:port` and `unix:///path` into their parts.
 * Runtime-neutral (no Deno, Bun or Node APIs). Private to `adapters/`.
 *
 * @module
 */

import type { ChannelAddr } from "../src/channel/channel.ts";

/** The transports the socket adapters speak. */
export type SocketTransport = "tcp" | "tls" | "unix";

/**
 * A transport key given as an object rather than a URL string, for example
 * the result of {@linkcode parseKey} or a `TransportKey` instance. TCP and TLS
 * keys need `hostname` and `port`; Unix keys need `path`.
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

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(.*)$/s;
const HOST_PORT = /^(\[[^\]]*\]|[^:/[\]?#@]*)(?::([^/]*))?\/?$/;

/**
 * Parses and validates a transport key.
 *
 * @param key `tcp://127.0.0.1:7000`, `tcp://[::1]:0`, `tls://localhost:7443`,
 *   `unix:///tmp/app.sock`, or an object with the same parts.
 * @returns The key's parts.
 * @throws {TypeError} If the scheme is unknown, the port is missing, not a
 *   number or out of range, the host is empty, or a Unix path is not absolute.
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
  if (typeof key !== "string") return checkObject(key);
  const match = SCHEME.exec(key);
  if (match === null) {
    throw new TypeError(
      `Invalid transport key "${key}": expected tcp://host:port, tls://host:port or unix:///path`,
    );
  }
  const transport = checkTransport(match[1].toLowerCase(), key);
  const rest = match[2];
  if (transport === "unix") {
    let path: string;
    try {
      path = decodeURIComponent(rest);
    } catch (cause) {
      throw new TypeError(`Invalid transport key "${key}": bad escape`, {
        cause,
      });
    }
    return { transport, hostname: "", port: 0, path: checkPath(path, key) };
  }
  if (!rest.startsWith("[") && rest.indexOf(":") !== rest.lastIndexOf(":")) {
    throw new TypeError(
      `Invalid transport key "${key}": an IPv6 address goes in brackets, as in ${transport}://[::1]:7000`,
    );
  }
  const parts = HOST_PORT.exec(rest);
  if (parts === null) {
    throw new TypeError(
      `Invalid transport key "${key}": expected ${transport}://host:port with nothing after the port`,
    );
  }
  const hostname = parts[1].startsWith("[") ? parts[1].slice(1, -1) : parts[1];
  if (hostname === "") {
    throw new TypeError(`Invalid transport key "${key}": missing host`);
  }
  if (parts[1].startsWith("[") && !hostname.includes(":")) {
    throw new TypeError(
      `Invalid transport key "${key}": brackets are only for IPv6 addresses`,
    );
  }
  if (parts[2] === undefined || parts[2] === "") {
    throw new TypeError(
      `Invalid transport key "${key}": missing port (use port 0 for any free port)`,
    );
  }
  if (!/^\d+$/.test(parts[2])) {
    throw new TypeError(
      `Invalid transport key "${key}": port "${parts[2]}" is not a number`,
    );
  }
  return {
    transport,
    hostname,
    port: checkPort(Number(parts[2]), key),
    path: "",
  };
}

function checkObject(key: TransportKeyLike): ParsedKey {
  if (key === null || typeof key !== "object") {
    throw new TypeError(
      `Invalid transport key: expected a string or an object, got ${key}`,
    );
  }
  const name = `{ transport: "${key.transport}" }`;
  const transport = checkTransport(String(key.transport), name);
  if (transport === "unix") {
    return {
      transport,
      hostname: "",
      port: 0,
      path: checkPath(String(key.path ?? ""), name),
    };
  }
  if (typeof key.hostname !== "string" || key.hostname === "") {
    throw new TypeError(`Invalid transport key ${name}: missing hostname`);
  }
  if (key.port === undefined) {
    throw new TypeError(`Invalid transport key ${name}: missing port`);
  }
  const hostname = key.hostname.replace(/^\[(.*)\]$/, "$1");
  return { transport, hostname, port: checkPort(key.port, name), path: "" };
}

function checkTransport(scheme: string, key: string): SocketTransport {
  if (scheme === "tcp" || scheme === "tls" || scheme === "unix") return scheme;
  throw new TypeError(
    `Invalid transport key "${key}": unknown transport "${scheme}" (expected tcp, tls or unix)`,
  );
}

function checkPort(port: number, key: string): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(
      `Invalid transport key "${key}": port ${port} is out of range 0-65535`,
    );
  }
  return port;
}

function checkPath(path: string, key: string): string {
  if (!path.startsWith("/")) {
    throw new TypeError(
      `Invalid transport key "${key}": a Unix socket needs an absolute path, as in unix:///tmp/app.sock`,
    );
  }
  return path;
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
  if (key.transport === "unix") return `unix://${key.path}`;
  const host = key.hostname.includes(":") ? `[${key.hostname}]` : key.hostname;
  return `${key.transport}://${host}:${key.port}`;
}
