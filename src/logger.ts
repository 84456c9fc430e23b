/**
 * The logger hook: one process-wide {@linkcode Logger}, none (silent) by
 * default. Set one with {@linkcode setLogger} and listenrain sends it
 * structured {@linkcode LogEvent}s: connections opened and closed (and why),
 * protocol errors, handler errors, slow requests, and what servers, pools and
 * dialers do with connections.
 *
 * @module
 */

import type { ChannelAddr } from "./channel/channel.ts";
import type { LogEvent, LogLevel } from "./log_event.ts";

/**
 * Receives listenrain's events: one method per level, each called with the
 * event object first and a readable message second, the order pino takes.
 * So `console` is a logger as it is, and so is a pino logger (or a child of
 * one), and `@std/log`'s `getLogger()` (it writes the event as JSON). Any
 * other logger fits with four one-line methods.
 *
 * @example Console, pino, or your own
 * ```ts
 * import { type Logger, setLogger } from "listenrain";
 *
 * setLogger(console); // console.info({ event: "connection.open", … }, "listenrain: connection open …")
 * // setLogger(pino().child({ lib: "listenrain" }));
 * const lines: string[] = [];
 * const mine: Logger = {
 *   debug: () => {},
 *   info: (event, message) => lines.push(`${event.event}: ${message}`),
 *   warn: (event, message) => lines.push(`${event.event}: ${message}`),
 *   error: (event, message) => lines.push(`${event.event}: ${message}`),
 * };
 * setLogger(mine);
 * setLogger(undefined); // silent again
 * ```
 */
export interface Logger {
  /** Routine events: goaway, pool connects and disconnects. */
  debug(event: LogEvent, message: string): void;
  /** Connections opened and closed, servers listening and shutting down. */
  info(event: LogEvent, message: string): void;
  /** Protocol errors, slow requests, refused connections, connect failures. */
  warn(event: LogEvent, message: string): void;
  /** Handler errors, connections a server could not set up. */
  error(event: LogEvent, message: string): void;
}

let current: Logger | undefined;

/**
 * Sets the process-wide logger, or none (`undefined`, the default: silent,
 * and nothing is built for it). A logger that throws is ignored: logging
 * never breaks the connection it describes. While a logger is set, every
 * request is timed (two `performance.now()` calls) for `request.slow`.
 *
 * @param logger Where events go, or `undefined` to stop logging.
 * @returns The previous logger, to restore it later.
 * @throws {TypeError} If `logger` lacks one of `debug`, `info`, `warn`, `error`.
 *
 * @example Watching a connection open and close
 * ```ts
 * import { Connection, type Logger, setLogger } from "listenrain";
 * import type { LogEvent } from "listenrain/advanced";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const events: LogEvent[] = [];
 * const record = (event: LogEvent) => void events.push(event);
 * const logger: Logger = { debug: record, info: record, warn: record, error: record };
 * const previous = setLogger(logger);
 * const [a, b] = createMemoryPipe();
 * const server = new Connection(a);
 * await new Connection(b).close("done");
 * await server.closed;
 * setLogger(previous);
 * console.log(events.map((e) => e.event)); // two "connection.open", two "connection.close"
 * ```
 */
export function setLogger(logger: Logger | undefined): Logger | undefined {
  if (logger !== undefined) {
    for (const level of LEVELS) {
      if (typeof logger?.[level] !== "function") {
        throw new TypeError(
          `setLogger takes a logger with debug, info, warn and error methods, or undefined; got ${
            logger === null ? "null" : typeof logger
          } without ${level}`,
        );
      }
    }
  }
  const previous = current;
  current = logger;
  return previous;
}

const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/**
 * True while a logger is set: callers check it before building an event.
 *
 * @internal
 */
export function logging(): boolean {
  return current !== undefined;
}

/**
 * Sends one event to the logger, if one is set; a throwing logger is
 * ignored.
 *
 * @internal
 */
export function log(level: LogLevel, event: LogEvent, message: string): void {
  const logger = current;
  if (logger === undefined) return;
  try {
    logger[level](event, `listenrain: ${message}`);
  } catch { /* never let logging break the caller */ }
}

/**
 * An address as a short string for log events: `tcp://127.0.0.1:7000`,
 * `unix:///run/app.sock`, `mem://name`, `?` when unknown.
 *
 * @internal
 */
export function addrText(addr: ChannelAddr | undefined): string {
  if (addr === undefined) return "?";
  const where = addr.path ?? addr.name ??
    (addr.hostname?.includes(":")
      ? `[${addr.hostname}]:${addr.port}`
      : `${addr.hostname}:${addr.port}`);
  return `${addr.transport}://${where}`;
}

/**
 * The `local` and `remote` fields of a connection's events.
 *
 * @internal
 */
export function ends(
  channel: { localAddr?: ChannelAddr; remoteAddr?: ChannelAddr },
): { local: string; remote: string } {
  return {
    local: addrText(channel.localAddr),
    remote: addrText(channel.remoteAddr),
  };
}

/**
 * A request's route for a log event, through the connection's protocol;
 * `undefined` when there is none or it cannot be read.
 *
 * @internal
 */
export function routeOf<M>(
  origin: { readonly route?: (message: M) => string } | undefined,
  message: M,
): string | undefined {
  try {
    return origin?.route?.(message);
  } catch {
    return undefined;
  }
}
