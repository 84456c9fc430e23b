/**
 * The {@linkcode TransportKey}: the one name of an endpoint (the seed's
 * TransportKey). Pools, dialers and listeners are keyed by it.
 *
 * @module
 */

/**
 * The kinds of endpoint a key names.
 *
 * @example Describing an endpoint by its scheme
 * ```ts
 * import { TransportKey } from "listenrain";
 * import type { TransportScheme } from "listenrain/advanced";
 *
 * function describe(scheme: TransportScheme): string {
 *   switch (scheme) {
 *     case "tcp": return "plain TCP";
 *     case "tls": return "TCP with TLS";
 *     case "unix": return "Unix socket";
 *     case "mem": return "in-process";
 *     case "ws": return "WebSocket";
 *     case "wss": return "WebSocket over TLS";
 *   }
 * }
 * console.log(describe(new TransportKey("tls://api.example.com:443").transport)); // "TCP with TLS"
 * ```
 */
export type TransportScheme = "tcp" | "tls" | "unix" | "mem" | "ws" | "wss";

/**
 * An endpoint given as an object instead of a URL string: a
 * {@linkcode TransportKey}, a `ChannelAddr`, or a plain object with the same
 * fields.
 *
 * @example A key from its parts
 * ```ts
 * import { TransportKey } from "listenrain";
 * import type { TransportKeyInit } from "listenrain/advanced";
 *
 * const init: TransportKeyInit = { transport: "tcp", hostname: "::1", port: 7000 };
 * const key = TransportKey.from(init);
 * console.log(key.toString()); // "tcp://[::1]:7000"
 * console.log(key.equals("tcp://[::1]:7000")); // true
 * ```
 */
export interface TransportKeyInit {
  /** `"tcp"`, `"tls"`, `"unix"`, `"mem"`, `"ws"` or `"wss"`. */
  readonly transport: string;
  /** Host name or IP address, with or without IPv6 brackets (TCP, TLS, WebSocket). */
  readonly hostname?: string;
  /** Port, 0 to 65535 (TCP and TLS; WebSocket: 80 or 443 when left out). */
  readonly port?: number;
  /** Absolute path (Unix); URL path and query, `"/"` when left out (WebSocket). */
  readonly path?: string;
  /** Name (in-memory). */
  readonly name?: string;
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(.*)$/s;
const HOST_PORT = /^(\[[^\]]*\]|[^:/[\]?#@]*)(?::([^/]*))?\/?$/;
const MEM_NAME = /^[^\s/?#]+$/;

/**
 * The name of one endpoint: `tcp://host:port`, `tls://host:port`,
 * `unix:///path`, `mem://name`, or a WebSocket URL `ws://host:port/path`
 * or `wss://host:port/path` (port 80 or 443 when left out; the path keeps
 * its query, as in `ws://127.0.0.1:8080/rpc?token=t`, and is `/` when left
 * out). Keys are normalized when parsed (scheme and
 * host in lower case, IPv6 in brackets, no trailing slash), so two keys that
 * name the same endpoint are {@linkcode TransportKey.equals equal} and have
 * the same {@linkcode TransportKey.toString string}. A key has the fields of
 * the adapters' `TransportKeyLike`, so it can be passed to their `dial` and
 * `listen` as it is.
 *
 * @example Parsing, comparing and printing keys
 * ```ts
 * import { TransportKey } from "listenrain";
 *
 * const key = new TransportKey("TCP://LocalHost:7000/");
 * console.log(key.transport, key.hostname, key.port); // "tcp" "localhost" 7000
 * console.log(key.toString()); // "tcp://localhost:7000"
 * console.log(key.equals("tcp://localhost:7000")); // true
 * console.log(new TransportKey("tcp://[::1]:80").toString()); // "tcp://[::1]:80"
 * console.log(new TransportKey("mem://orders").name); // "orders"
 * console.log(new TransportKey("WSS://Example.com/rpc").toString()); // "wss://example.com:443/rpc"
 * ```
 */
export class TransportKey {
  /** The kind of endpoint. */
  readonly transport: TransportScheme;
  /** Host name (lower case) or IP address without brackets; `""` for Unix and memory keys. */
  readonly hostname: string;
  /** Port; `0` for Unix and memory keys (and for "any free port"). */
  readonly port: number;
  /** Socket path of a Unix key; URL path and query of a WebSocket key; else `""`. */
  readonly path: string;
  /** Name; `""` unless a memory key. */
  readonly name: string;
  #string: string;

  /**
   * Parses and normalizes a key.
   *
   * @param key A URL string or an object with the key's fields.
   * @throws {TypeError} If the scheme is unknown, the port is missing or out
   *   of range, the host is empty, a Unix path is not absolute, a memory
   *   name is empty or holds whitespace, `/`, `?` or `#`, or a WebSocket
   *   path holds whitespace or a fragment (`#`).
   */
  constructor(key: string | TransportKeyInit) {
    const parts = typeof key === "string" ? parseString(key) : parseInit(key);
    this.transport = parts.transport;
    this.hostname = parts.hostname;
    this.port = parts.port;
    this.path = parts.path;
    this.name = parts.name;
    this.#string = format(parts);
  }

  /**
   * Returns `key` if it is already a key, else parses it.
   *
   * @param key A key, a URL string or an object with the key's fields.
   * @returns The key.
   * @throws {TypeError} If `key` is invalid (see the constructor).
   *
   * @example Parsing a key once
   * ```ts
   * import { TransportKey } from "listenrain";
   * const key = TransportKey.from("unix:///tmp/app.sock");
   * console.log(TransportKey.from(key) === key, key.path); // true "/tmp/app.sock"
   * ```
   */
  static from(key: string | TransportKeyInit | TransportKey): TransportKey {
    return key instanceof TransportKey ? key : new TransportKey(key);
  }

  /**
   * Tells whether two keys name the same endpoint.
   *
   * @param other A key, a URL string or an object with the key's fields.
   * @returns `true` if both normalize to the same key; `false` also when
   *   `other` is not a valid key.
   *
   * @example Comparing keys
   * ```ts
   * import { TransportKey } from "listenrain";
   * const key = new TransportKey("tls://API.example.com:443");
   * console.log(key.equals("tls://api.example.com:443"), key.equals("tcp://api.example.com:443")); // true false
   * ```
   */
  equals(other: string | TransportKeyInit | TransportKey): boolean {
    if (other instanceof TransportKey) return other.#string === this.#string;
    try {
      return new TransportKey(other).#string === this.#string;
    } catch {
      return false;
    }
  }

  /**
   * The normalized URL string of the key.
   *
   * @returns `tcp://host:port`, `tls://host:port`, `unix:///path`,
   *   `mem://name`, `ws://host:port/path` or `wss://host:port/path`.
   */
  toString(): string {
    return this.#string;
  }

  /**
   * The key in JSON: its URL string.
   *
   * @returns The same as {@linkcode TransportKey.toString}.
   */
  toJSON(): string {
    return this.#string;
  }
}

interface Parts {
  transport: TransportScheme;
  hostname: string;
  port: number;
  path: string;
  name: string;
}

function parseString(key: string): Parts {
  if (typeof key !== "string") {
    throw new TypeError(
      `Invalid transport key: expected a string or an object, got ${key}`,
    );
  }
  const match = SCHEME.exec(key);
  if (match === null) {
    throw new TypeError(
      `Invalid transport key "${key}": expected tcp://host:port, tls://host:port, unix:///path, mem://name or ws(s)://host:port/path`,
    );
  }
  const transport = checkScheme(match[1].toLowerCase(), key);
  const rest = match[2];
  if (transport === "ws" || transport === "wss") {
    return parseWeb(transport, rest, key);
  }
  if (transport === "unix" || transport === "mem") {
    let value: string;
    try {
      value = decodeURIComponent(rest);
    } catch (cause) {
      throw new TypeError(`Invalid transport key "${key}": bad escape`, {
        cause,
      });
    }
    return transport === "unix"
      ? local("unix", checkPath(value, key), "")
      : local("mem", "", checkName(value, key));
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
  const bracketed = parts[1].startsWith("[");
  const hostname = bracketed ? parts[1].slice(1, -1) : parts[1];
  if (bracketed && !hostname.includes(":")) {
    throw new TypeError(
      `Invalid transport key "${key}": brackets are only for IPv6 addresses`,
    );
  }
  const port = parts[2];
  if (port === undefined || port === "") {
    throw new TypeError(
      `Invalid transport key "${key}": missing port (use port 0 for any free port)`,
    );
  }
  if (!/^\d+$/.test(port)) {
    throw new TypeError(
      `Invalid transport key "${key}": port "${port}" is not a number`,
    );
  }
  return network(transport, hostname, Number(port), key);
}

function parseInit(key: TransportKeyInit): Parts {
  if (key === null || typeof key !== "object") {
    throw new TypeError(
      `Invalid transport key: expected a string or an object, got ${key}`,
    );
  }
  const what = `{ transport: "${key.transport}" }`;
  const transport = checkScheme(String(key.transport).toLowerCase(), what);
  if (transport === "unix") {
    return local("unix", checkPath(String(key.path ?? ""), what), "");
  }
  if (transport === "mem") {
    return local("mem", "", checkName(String(key.name ?? ""), what));
  }
  if (typeof key.hostname !== "string") {
    throw new TypeError(`Invalid transport key ${what}: missing hostname`);
  }
  const web = transport === "ws" || transport === "wss";
  if (key.port === undefined && !web) {
    throw new TypeError(`Invalid transport key ${what}: missing port`);
  }
  const hostname = key.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = key.port ?? (transport === "wss" ? 443 : 80);
  const parts = network(transport, hostname, port, what);
  return web ? { ...parts, path: checkWebPath(key.path ?? "/", what) } : parts;
}

function network(
  transport: TransportScheme,
  hostname: string,
  port: number,
  key: string,
): Parts {
  if (hostname === "") {
    throw new TypeError(`Invalid transport key "${key}": missing host`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(
      `Invalid transport key "${key}": port ${port} is out of range 0-65535`,
    );
  }
  return {
    transport,
    hostname: hostname.toLowerCase(),
    port,
    path: "",
    name: "",
  };
}

function local(transport: TransportScheme, path: string, name: string): Parts {
  return { transport, hostname: "", port: 0, path, name };
}

function checkScheme(scheme: string, key: string): TransportScheme {
  if (
    scheme === "tcp" || scheme === "tls" || scheme === "unix" ||
    scheme === "mem" || scheme === "ws" || scheme === "wss"
  ) return scheme;
  throw new TypeError(
    `Invalid transport key "${key}": unknown transport "${scheme}" (expected tcp, tls, unix, mem, ws or wss)`,
  );
}

/** `ws://host[:port][/path][?query]`: the port defaults to 80 (443 for wss). */
function parseWeb(transport: "ws" | "wss", rest: string, key: string): Parts {
  const cut = rest.search(/[/?#]/);
  const authority = cut === -1 ? rest : rest.slice(0, cut);
  const target = cut === -1 ? "/" : rest.slice(cut);
  if (
    !authority.startsWith("[") &&
    authority.indexOf(":") !== authority.lastIndexOf(":")
  ) {
    throw new TypeError(
      `Invalid transport key "${key}": an IPv6 address goes in brackets, as in ${transport}://[::1]:8080/rpc`,
    );
  }
  const parts = HOST_PORT.exec(authority);
  if (parts === null || (parts[2] !== undefined && !/^\d+$/.test(parts[2]))) {
    throw new TypeError(
      `Invalid transport key "${key}": expected ${transport}://host:port/path`,
    );
  }
  const bracketed = parts[1].startsWith("[");
  const hostname = bracketed ? parts[1].slice(1, -1) : parts[1];
  const port = parts[2] === undefined
    ? (transport === "wss" ? 443 : 80)
    : Number(parts[2]);
  const path = target.startsWith("?") ? `/${target}` : target;
  return {
    ...network(transport, hostname, port, key),
    path: checkWebPath(path, key),
  };
}

function checkWebPath(path: string, key: string): string {
  if (!path.startsWith("/") || /[\s#]/.test(path)) {
    throw new TypeError(
      `Invalid transport key "${key}": a WebSocket path starts with "/" and holds no whitespace or "#", as in ws://127.0.0.1:8080/rpc`,
    );
  }
  return path;
}

function checkPath(path: string, key: string): string {
  if (!path.startsWith("/")) {
    throw new TypeError(
      `Invalid transport key "${key}": a Unix socket needs an absolute path, as in unix:///tmp/app.sock`,
    );
  }
  return path;
}

function checkName(name: string, key: string): string {
  if (!MEM_NAME.test(name)) {
    throw new TypeError(
      `Invalid transport key "${key}": a memory key needs a name without whitespace, "/", "?" or "#", as in mem://orders`,
    );
  }
  return name;
}

function format(parts: Parts): string {
  switch (parts.transport) {
    case "unix":
      return `unix://${parts.path}`;
    case "mem":
      return `mem://${parts.name}`;
    default: {
      const host = parts.hostname.includes(":")
        ? `[${parts.hostname}]`
        : parts.hostname;
      return `${parts.transport}://${host}:${parts.port}${parts.path}`;
    }
  }
}
