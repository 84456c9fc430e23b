/**
 * What listenrain tells its {@linkcode Logger}: {@linkcode LogEvent}, one
 * structured object per event with a stable `event` name.
 *
 * @module
 */

import type { ExpireReason } from "./transport/connection_monitor.ts";

/**
 * The level of a {@linkcode LogEvent}, and the {@linkcode Logger} method it
 * goes to.
 *
 * @example Counting events by level
 * ```ts
 * import type { LogLevel } from "listenrain/advanced";
 *
 * const counts: Record<LogLevel, number> = { debug: 0, info: 0, warn: 0, error: 0 };
 * counts.warn++;
 * console.log(counts.warn); // 1
 * ```
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * One event listenrain logs: a plain object whose `event` names what
 * happened (a stable name, for filters and alerts), with the fields of that
 * event. Addresses are strings (`tcp://127.0.0.1:7000`, `unix:///run/a.sock`,
 * `mem://name`): `local` is this side, `remote` the peer. `err` holds the
 * error where there is one (the key pino serializes errors under).
 *
 * | event                 | level            | fields                                                                    |
 * | --------------------- | ---------------- | ------------------------------------------------------------------------- |
 * | `connection.open`     | info             | `local`, `remote`                                                          |
 * | `connection.close`    | info             | `local`, `remote`, `reason`, `err` (the protocol or socket error, if any) |
 * | `connection.goaway`   | debug            | `local`, `remote`, `direction` (`"sent"`, `"received"`), `reason`          |
 * | `protocol.error`      | warn             | `local`, `remote`, `err` (a `ProtocolError`); the connection closes       |
 * | `handler.error`       | error (debug for a `RemoteError`) | `local`, `remote`, `requestId`, `route`, `code`, `errorId`, `err` |
 * | `request.slow`        | warn             | `local`, `remote`, `direction`, `requestId`, `route`, `elapsed`, `outcome` |
 * | `server.listen`       | info             | `local`                                                                   |
 * | `server.refuse`       | warn             | `local`, `remote`, `reason`                                               |
 * | `server.setup_error`  | error            | `local`, `remote`, `err`                                                  |
 * | `server.expire`       | info             | `local`, `remote`, `timeout` (`"idle"`, `"first-frame"`, `"heartbeat"`)   |
 * | `server.shutdown`     | info             | `connections`, `deadline`                                                 |
 * | `pool.connect`        | debug            | `key`, `attempt`                                                          |
 * | `pool.connect_error`  | warn             | `key`, `attempt`, `delay`, `err`                                          |
 * | `pool.disconnect`     | debug            | `key`, `err`                                                              |
 * | `dialer.down`         | warn             | `key`, `downFor`, `err`                                                   |
 *
 * `route` is the request's route where the connection's protocol names one.
 *
 * @example Alerting on handler errors only
 * ```ts
 * import type { LogEvent } from "listenrain/advanced";
 *
 * function onEvent(event: LogEvent): string | undefined {
 *   if (event.event !== "handler.error") return undefined;
 *   return `${event.route ?? "?"} failed: error id ${event.errorId}`;
 * }
 * console.log(onEvent({ event: "server.listen", local: "mem://api" })); // undefined
 * ```
 */
export type LogEvent =
  | {
    readonly event: "connection.open";
    readonly local: string;
    readonly remote: string;
  }
  | {
    readonly event: "connection.close";
    readonly local: string;
    readonly remote: string;
    /** The close reason's message. */
    readonly reason: string;
    /** What closed it, when it was not a close call: a protocol or socket error. */
    readonly err?: unknown;
  }
  | {
    readonly event: "connection.goaway";
    readonly local: string;
    readonly remote: string;
    readonly direction: "sent" | "received";
    readonly reason: string;
  }
  | {
    readonly event: "protocol.error";
    readonly local: string;
    readonly remote: string;
    readonly err: Error;
  }
  | {
    readonly event: "handler.error";
    readonly local: string;
    readonly remote: string;
    /** The request's id on its connection. */
    readonly requestId: number | string;
    /** The request's route, where the protocol names one. */
    readonly route?: string;
    /** The error code sent to the caller (`HANDLER_ERROR`, or a `RemoteError`'s). */
    readonly code: string;
    /** The id quoted to the caller, to find this line from its error. */
    readonly errorId: string;
    readonly err: Error;
  }
  | {
    readonly event: "request.slow";
    readonly local: string;
    readonly remote: string;
    /** Sent by this side (`"outgoing"`) or handled here (`"incoming"`). */
    readonly direction: "outgoing" | "incoming";
    /** The request's id on its connection. */
    readonly requestId: number | string;
    readonly route?: string;
    /** How long it took, in ms. */
    readonly elapsed: number;
    readonly outcome: "reply" | "error" | "timeout";
  }
  | { readonly event: "server.listen"; readonly local: string }
  | {
    readonly event: "server.refuse";
    readonly local: string;
    readonly remote: string;
    readonly reason: string;
  }
  | {
    readonly event: "server.setup_error";
    readonly local: string;
    readonly remote: string;
    readonly err: unknown;
  }
  | {
    readonly event: "server.expire";
    readonly local: string;
    readonly remote: string;
    /** Which timeout closes it. */
    readonly timeout: ExpireReason;
  }
  | {
    readonly event: "server.shutdown";
    /** Connections open when the shutdown began. */
    readonly connections: number;
    /** How long in-flight requests may take, in ms. */
    readonly deadline: number;
  }
  | {
    readonly event: "pool.connect";
    readonly key: string;
    readonly attempt: number;
  }
  | {
    readonly event: "pool.connect_error";
    readonly key: string;
    readonly attempt: number;
    /** ms until the next attempt. */
    readonly delay: number | undefined;
    readonly err: unknown;
  }
  | {
    readonly event: "pool.disconnect";
    readonly key: string;
    readonly err: unknown;
  }
  | {
    readonly event: "dialer.down";
    readonly key: string;
    /** ms the endpoint is skipped for. */
    readonly downFor: number;
    readonly err: Error;
  };

/**
 * The name of a {@linkcode LogEvent}: `"connection.open"`,
 * `"handler.error"`, ….
 *
 * @example Keeping only connection events
 * ```ts
 * import type { LogEventName } from "listenrain/advanced";
 *
 * const wanted = (name: LogEventName) => name.startsWith("connection.");
 * console.log(wanted("connection.close"), wanted("request.slow")); // true false
 * ```
 */
export type LogEventName = LogEvent["event"];
