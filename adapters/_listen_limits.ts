/**
 * The defaults that keep a listener safe against hostile clients: a TLS
 * handshake timeout, and a limit of open connections that stays below the
 * process's file-descriptor limit. Runtime-neutral: each adapter reads the
 * descriptor limit its own way and passes the text here. Private to
 * `adapters/`.
 *
 * @module
 */

/**
 * How long a TLS client may take to finish its handshake before the listener
 * closes the connection, when `ListenOptions.handshakeTimeout` is not given:
 * 10 s. A client that stops mid-handshake otherwise holds its socket and file
 * descriptor forever (listenrain sees a TLS connection only after its
 * handshake, so `firstFrameTimeout` cannot cover it).
 * @default {10000}
 */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

/**
 * The most open connections a listener accepts when
 * `ListenOptions.maxConnections` is not given and the process's descriptor
 * limit cannot be read (not Linux, or Deno without read permission for
 * `/proc/self/limits`). Low enough for the common hard limits of servers
 * (4,096 and more), high enough for a server that is not tuned.
 * @default {4096}
 */
export const FALLBACK_MAX_CONNECTIONS = 4_096;

/**
 * The open connections a listener accepts by default, from the soft
 * `RLIMIT_NOFILE` of the process: the limit less a reserve of an eighth
 * (64 at least, 1,024 at most) for the process's own files, its outgoing
 * connections and the connections the listener accepts only to close them.
 *
 * @param softLimit The soft descriptor limit, or `undefined` if unknown.
 * @returns The limit of open accepted connections.
 *
 * @example
 * ```ts
 * import { defaultMaxConnections } from "./_listen_limits.ts";
 * console.log(defaultMaxConnections(1024)); // 896
 * console.log(defaultMaxConnections(undefined)); // 4096
 * ```
 */
export function defaultMaxConnections(softLimit: number | undefined): number {
  if (softLimit === undefined || !(softLimit > 0)) {
    return FALLBACK_MAX_CONNECTIONS;
  }
  if (softLimit === Infinity) return Infinity;
  const reserve = Math.min(1024, Math.max(64, Math.floor(softLimit / 8)));
  return Math.max(1, softLimit - reserve);
}

/**
 * Reads the soft "Max open files" limit from the text of `/proc/self/limits`.
 *
 * @param text The file's text.
 * @returns The limit (`Infinity` for "unlimited"), or `undefined` if absent.
 *
 * @example
 * ```ts
 * import { softFileLimit } from "./_listen_limits.ts";
 * const text = "Max open files            1024                 524288               files\n";
 * console.log(softFileLimit(text)); // 1024
 * ```
 */
export function softFileLimit(text: string): number | undefined {
  const match = /^Max open files\s+(\S+)/m.exec(text);
  if (match === null) return undefined;
  if (match[1] === "unlimited") return Infinity;
  const value = Number(match[1]);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/** The checked limits of one listener. */
export interface ListenLimits {
  /** Open accepted connections at most. */
  maxConnections: number;
  /** Ms a TLS handshake may take; `Infinity` for no limit. */
  handshakeTimeout: number;
}

/**
 * Checks `maxConnections` and `handshakeTimeout` of `ListenOptions`, filling
 * in the defaults.
 *
 * @param options The listen options.
 * @param readLimits Returns the text of `/proc/self/limits`, or throws.
 * @returns The limits.
 * @throws {RangeError} If a value is out of range.
 *
 * @example
 * ```ts
 * import { listenLimits } from "./_listen_limits.ts";
 * const limits = listenLimits({ handshakeTimeout: 0 }, () => "");
 * console.log(limits); // { maxConnections: 4096, handshakeTimeout: Infinity }
 * ```
 */
export function listenLimits(
  options: { maxConnections?: number; handshakeTimeout?: number },
  readLimits: () => string,
): ListenLimits {
  const { maxConnections, handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT } =
    options;
  if (
    maxConnections !== undefined &&
    !(maxConnections === Infinity ||
      (Number.isInteger(maxConnections) && maxConnections >= 1))
  ) {
    throw new RangeError(
      `maxConnections must be an integer >= 1 or Infinity, got ${maxConnections}`,
    );
  }
  if (
    typeof handshakeTimeout !== "number" || !(handshakeTimeout >= 0) ||
    handshakeTimeout === Infinity
  ) {
    throw new RangeError(
      `handshakeTimeout must be a finite number >= 0, got ${handshakeTimeout}`,
    );
  }
  return {
    maxConnections: maxConnections ?? defaultMaxConnections(read(readLimits)),
    handshakeTimeout: handshakeTimeout === 0 ? Infinity : handshakeTimeout,
  };
}

function read(readLimits: () => string): number | undefined {
  try {
    return softFileLimit(readLimits());
  } catch {
    return undefined; // not Linux, or no permission
  }
}
