/**
 * {@linkcode observeStats}: a server's and a client's statistics as
 * OpenTelemetry observable instruments.
 *
 * @module
 */

import type {
  Attributes,
  BatchObservableResult,
  Meter,
  Observable,
} from "@opentelemetry/api";
import type { Client } from "../src/client/client.ts";
import type { PoolStats } from "../src/client/pool_stats.ts";
import type { Server } from "../src/server/server.ts";
import type { ServerStats } from "../src/server/server_options.ts";
import type { ConnectionStats } from "../src/transport/stats.ts";

/**
 * An instrument: a counter (only goes up) or an up-down counter (a value
 * now: in flight, queued, open), its name, unit and description.
 */
type Instrument = readonly [
  kind: "counter" | "updown",
  name: string,
  unit: string,
  description: string,
];

/** Every field of `ConnectionStats` (the compiler checks that none is missing). */
const CONNECTION: Record<keyof ConnectionStats, Instrument> = {
  requestsSent: [
    "counter",
    "listenrain.requests.sent",
    "{request}",
    "Requests sent.",
  ],
  repliesReceived: [
    "counter",
    "listenrain.replies.received",
    "{reply}",
    "Replies that settled a request sent, error replies included.",
  ],
  errorsReceived: [
    "counter",
    "listenrain.error_replies.received",
    "{reply}",
    "Error replies received.",
  ],
  timeouts: [
    "counter",
    "listenrain.requests.timed_out",
    "{request}",
    "Requests sent that timed out.",
  ],
  aborts: [
    "counter",
    "listenrain.requests.aborted",
    "{request}",
    "Requests sent that their caller aborted.",
  ],
  closedWhilePending: [
    "counter",
    "listenrain.requests.closed_while_pending",
    "{request}",
    "Requests sent whose connection closed before the reply.",
  ],
  lateReplies: [
    "counter",
    "listenrain.replies.late",
    "{reply}",
    "Replies that matched no pending request (late after a timeout).",
  ],
  slowRequests: [
    "counter",
    "listenrain.requests.slow",
    "{request}",
    "Requests, sent or handled, slower than slowRequestThreshold.",
  ],
  requestsReceived: [
    "counter",
    "listenrain.requests.received",
    "{request}",
    "Requests received.",
  ],
  repliesSent: [
    "counter",
    "listenrain.replies.sent",
    "{reply}",
    "Replies sent, error replies included.",
  ],
  errorRepliesSent: [
    "counter",
    "listenrain.error_replies.sent",
    "{reply}",
    "Error replies sent.",
  ],
  notifiesSent: [
    "counter",
    "listenrain.notifications.sent",
    "{notification}",
    "Notifications sent.",
  ],
  notifiesReceived: [
    "counter",
    "listenrain.notifications.received",
    "{notification}",
    "Notifications received.",
  ],
  cancelsReceived: [
    "counter",
    "listenrain.cancels.received",
    "{cancel}",
    "Cancels received for requests being handled.",
  ],
  framesIn: [
    "counter",
    "listenrain.frames.received",
    "{frame}",
    "Frames read.",
  ],
  bytesIn: ["counter", "listenrain.bytes.received", "By", "Bytes read."],
  framesOut: [
    "counter",
    "listenrain.frames.sent",
    "{frame}",
    "Frames queued.",
  ],
  bytesOut: ["counter", "listenrain.bytes.sent", "By", "Bytes queued."],
  pending: [
    "updown",
    "listenrain.requests.in_flight",
    "{request}",
    "Requests sent that wait for their reply now.",
  ],
  handling: [
    "updown",
    "listenrain.requests.handling",
    "{request}",
    "Requests received that are being handled now.",
  ],
  handlingBytes: [
    "updown",
    "listenrain.requests.handling_bytes",
    "By",
    "Bytes of the received requests being handled now.",
  ],
  queuedBytes: [
    "updown",
    "listenrain.send_queue.bytes",
    "By",
    "Bytes waiting in send queues now.",
  ],
};

/** Every field of `ServerStats`. */
const SERVER: Record<keyof ServerStats, Instrument> = {
  connections: [
    "updown",
    "listenrain.server.connections",
    "{connection}",
    "Open connections now.",
  ],
  accepted: [
    "counter",
    "listenrain.server.connections.accepted",
    "{connection}",
    "Connections accepted.",
  ],
  rejected: [
    "counter",
    "listenrain.server.connections.rejected",
    "{connection}",
    "Connections refused by maxConnections.",
  ],
  idleClosed: [
    "counter",
    "listenrain.server.connections.idle_closed",
    "{connection}",
    "Connections closed by idleTimeout.",
  ],
  firstFrameClosed: [
    "counter",
    "listenrain.server.connections.first_frame_closed",
    "{connection}",
    "Connections closed by firstFrameTimeout.",
  ],
  heartbeatClosed: [
    "counter",
    "listenrain.server.connections.heartbeat_closed",
    "{connection}",
    "Connections closed because no pong came.",
  ],
};

/** Every field of `PoolStats`. */
const POOL: Record<keyof PoolStats, Instrument> = {
  connections: [
    "updown",
    "listenrain.client.connections",
    "{connection}",
    "Open client connections now.",
  ],
  connects: [
    "counter",
    "listenrain.client.connects",
    "{connection}",
    "Client connections opened, reconnects included.",
  ],
  reconnects: [
    "counter",
    "listenrain.client.reconnects",
    "{connection}",
    "Client connections opened to replace a lost one or after failed attempts.",
  ],
  connectErrors: [
    "counter",
    "listenrain.client.connect_errors",
    "{error}",
    "Connect attempts that failed.",
  ],
  disconnects: [
    "counter",
    "listenrain.client.disconnects",
    "{connection}",
    "Client connections that closed.",
  ],
};

/** The attribute that tells a server's connection statistics from a client's. */
const ROLE = "listenrain.role";

/**
 * What {@linkcode observeStats} reads.
 *
 * @example Two servers on one meter, told apart by an attribute
 * ```ts
 * import { Server } from "listenrain";
 * import { observeStats, type StatsSources } from "listenrain/otel";
 * import { metrics } from "@opentelemetry/api";
 *
 * const meter = metrics.getMeter("listenrain");
 * const [api, admin] = [new Server(), new Server()];
 * const sources: StatsSources[] = [
 *   { server: api, attributes: { "listenrain.server": "api" } },
 *   { server: admin, attributes: { "listenrain.server": "admin" } },
 * ];
 * const observed = sources.map((s) => observeStats(meter, s));
 * observed.forEach((o) => o.close());
 * await api.close();
 * await admin.close();
 * ```
 */
export interface StatsSources {
  /** A server: `server.stats` and `server.connectionStats`. */
  server?: Pick<Server, "stats" | "connectionStats">;
  /** A client: `client.pool.stats` and `client.pool.connectionStats`. */
  client?: Pick<Client, "pool">;
  /**
   * Attributes added to every observation, to tell the statistics of one
   * `observeStats` call from another's on the same meter.
   */
  attributes?: Attributes;
}

/**
 * Exports a server's and a client's statistics through `meter`, read at each
 * collection (a Prometheus scrape, an OTLP export interval), so nothing is
 * counted twice and nothing costs anything between collections.
 *
 * - `server.connectionStats` and `client.pool.connectionStats` (requests,
 *   replies, errors, timeouts, frames and bytes in and out, requests in
 *   flight and being handled, bytes in send queues), one instrument per
 *   field (`listenrain.requests.sent`, `listenrain.bytes.received`,
 *   `listenrain.send_queue.bytes`, `listenrain.requests.in_flight`…), with the
 *   attribute `listenrain.role` = `"server"` or `"client"`;
 * - `server.stats`: `listenrain.server.connections` (open now),
 *   `listenrain.server.connections.accepted`, `….rejected`,
 *   `….idle_closed`, `….first_frame_closed`, `….heartbeat_closed`;
 * - `client.pool.stats`: `listenrain.client.connections`,
 *   `listenrain.client.connects`, `listenrain.client.reconnects`,
 *   `listenrain.client.connect_errors`, `listenrain.client.disconnects`.
 *
 * Totals are observable counters; values of now (open connections, in
 * flight, queued bytes) observable up-down counters. Units are UCUM (`By`
 * for bytes, `{request}`…). Through `@opentelemetry/exporter-prometheus` the
 * dots become underscores and counters get `_total`:
 * `listenrain_bytes_received_total{listenrain_role="server"}`.
 *
 * @param meter The meter (for example `metrics.getMeter("listenrain")`).
 * @param sources The server and the client to read, and extra attributes.
 * @returns A handle whose `close()` (or `using`) stops observing.
 *
 * @example A server's and a client's statistics, collected
 * ```ts
 * import { Client, jsonBody, Router, Server } from "listenrain";
 * import { observeStats } from "listenrain/otel";
 * import { MemoryNetwork } from "listenrain/testing";
 * import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
 *
 * class Reader extends MetricReader {
 *   protected onForceFlush = () => Promise.resolve();
 *   protected onShutdown = () => Promise.resolve();
 * }
 * const reader = new Reader();
 * const meter = new MeterProvider({ readers: [reader] }).getMeter("listenrain");
 *
 * const network = new MemoryNetwork();
 * await using server = new Server({
 *   router: new Router().handle("ping", () => 1),
 *   body: jsonBody,
 * });
 * server.serve(await network.listen("mem://api"));
 * await using client = new Client({
 *   endpoint: "mem://api",
 *   dial: (key, o) => network.dial(key, o),
 *   body: jsonBody,
 * });
 * await client.request("ping", null);
 * using _observed = observeStats(meter, { server, client });
 *
 * const { resourceMetrics } = await reader.collect();
 * const names = resourceMetrics.scopeMetrics[0].metrics.map((m) => m.descriptor.name);
 * console.log(names.includes("listenrain.bytes.received")); // true
 * ```
 */
export function observeStats(
  meter: Meter,
  sources: StatsSources,
): { close(): void; [Symbol.dispose](): void } {
  const extra = sources.attributes ?? {};
  const make = ([kind, name, unit, description]: Instrument): Observable =>
    kind === "counter"
      ? meter.createObservableCounter(name, { unit, description })
      : meter.createObservableUpDownCounter(name, { unit, description });
  const table = <S>(spec: Record<keyof S & string, Instrument>) =>
    (Object.entries(spec) as [keyof S & string, Instrument][]).map((
      [field, instrument],
    ) => [field, make(instrument)] as const);

  const connection = table<ConnectionStats>(CONNECTION);
  const server = sources.server ? table<ServerStats>(SERVER) : [];
  const pool = sources.client ? table<PoolStats>(POOL) : [];
  const observe = <S>(
    result: BatchObservableResult,
    instruments: readonly (readonly [keyof S & string, Observable])[],
    stats: S,
    attributes: Attributes,
  ) => {
    for (const [field, instrument] of instruments) {
      result.observe(instrument, stats[field] as number, attributes);
    }
  };
  const callback = (result: BatchObservableResult) => {
    if (sources.server) {
      observe(result, connection, sources.server.connectionStats, {
        ...extra,
        [ROLE]: "server",
      });
      observe(result, server, sources.server.stats, extra);
    }
    if (sources.client) {
      const { pool: clientPool } = sources.client;
      observe(result, connection, clientPool.connectionStats, {
        ...extra,
        [ROLE]: "client",
      });
      observe(result, pool, clientPool.stats, extra);
    }
  };
  const all = [...connection, ...server, ...pool].map(([, i]) => i);
  meter.addBatchObservableCallback(callback, all);
  const close = () => meter.removeBatchObservableCallback(callback, all);
  return { close, [Symbol.dispose]: close };
}
