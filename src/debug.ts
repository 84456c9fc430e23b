/**
 * The debug log: one process-wide switch, off (silent) by default. When on,
 * listenrain reports what happens to connections (connects, closes and why,
 * goaway, connect failures and reconnects, protocol errors, server limits),
 * never anything per request, so it costs nothing on the hot path.
 *
 * @module
 */

import type { ChannelAddr } from "./channel/channel.ts";

/**
 * Receives one debug line: what happened, and the details (the key, the
 * reason, the error). `console.debug` and `console.error` fit.
 *
 * @example Collecting the lines of a connection that closes
 * ```ts
 * import { Connection, setDebugLog } from "listenrain";
 * import type { DebugLog } from "listenrain/advanced";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const lines: string[] = [];
 * const log: DebugLog = (message) => lines.push(message);
 * const previous = setDebugLog(log);
 * const [a, b] = createMemoryPipe();
 * const server = new Connection(a);
 * await new Connection(b).close("done");
 * await server.closed;
 * setDebugLog(previous);
 * // One line per end: "listenrain transport mem://b -> mem://a: closed (…)"
 * console.log(lines.length, lines.every((line) => line.includes(": closed ("))); // 2 true
 * ```
 */
export type DebugLog = (message: string, details?: DebugDetails) => void;

/**
 * The details of a debug line: plain values, an `error` where there is one.
 *
 * @example The error of a failed connect attempt
 * ```ts
 * import { ConnectError, setDebugLog } from "listenrain";
 * import { ConnectionPool, type DebugDetails } from "listenrain/advanced";
 *
 * const details: DebugDetails[] = [];
 * const previous = setDebugLog((_message, d) => d && details.push(d));
 * const pool = new ConnectionPool({
 *   connect: () => Promise.reject(new ConnectError("connection refused")),
 * });
 * await pool.get("mem://down").catch(() => {});
 * setDebugLog(previous);
 * await pool.close();
 * console.log(details[0].error instanceof ConnectError); // true
 * ```
 */
export type DebugDetails = Record<string, unknown>;

let sink: DebugLog | undefined;

/**
 * Turns the debug log on (with a function that receives each line) or off
 * (`undefined`, the default). Lines start with `listenrain` and the part that
 * speaks (`transport`, `pool`, `server`, `dialer`).
 *
 * @param log Where the lines go, or `undefined` to stop logging.
 * @returns The previous function, to restore it later.
 *
 * @example Seeing connection events while debugging
 * ```ts
 * import { Connection, setDebugLog } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const lines: string[] = [];
 * const previous = setDebugLog((message) => lines.push(message));
 * const [a, b] = createMemoryPipe();
 * const server = new Connection(a);
 * const client = new Connection(b);
 * await client.close("done");
 * await server.closed;
 * setDebugLog(previous); // off again
 * console.log(lines.some((line) => line.includes("closed"))); // true
 * ```
 */
export function setDebugLog(log: DebugLog | undefined): DebugLog | undefined {
  if (log !== undefined && typeof log !== "function") {
    throw new TypeError("setDebugLog takes a function or undefined");
  }
  const previous = sink;
  sink = log;
  return previous;
}

/**
 * Writes one debug line if the log is on. A throwing log function is
 * ignored: debugging must not break the connection it describes.
 *
 * @internal
 */
export function debug(message: string, details?: DebugDetails): void {
  const log = sink;
  if (log === undefined) return;
  try {
    if (details === undefined) log(`listenrain ${message}`);
    else log(`listenrain ${message}`, details);
  } catch { /* never let logging break the caller */ }
}

/**
 * True while the debug log is on: callers check it before building details
 * that cost something.
 *
 * @internal
 */
export function debugging(): boolean {
  return sink !== undefined;
}

/**
 * An address as a short string for debug lines: `tcp://127.0.0.1:7000`,
 * `unix:///run/app.sock`, `mem://name`.
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
