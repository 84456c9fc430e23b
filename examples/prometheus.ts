/**
 * Statistics in Prometheus' text format over HTTP: a listenrain server and a
 * client, and an HTTP endpoint on 127.0.0.1 that serves their counters at
 * `/metrics`: `server.stats` (connections), `server.connectionStats` (every
 * connection's requests, replies, errors, timeouts, late and slow replies,
 * frames, bytes, in-flight requests and queued bytes, summed),
 * `client.pool.stats` (connects, reconnects, connect errors) and
 * `client.pool.connectionStats`. Slow requests also go to an `onSlowRequest`
 * hook, and `--debug` sends listenrain's log events to the console
 * (`setLogger(console)`).
 *
 * Run (any runtime; the adapter and the HTTP server are picked for it):
 *
 * ```sh
 * node --import tsx examples/prometheus.ts     # or: deno run -A …, bun …
 * node --import tsx examples/prometheus.ts 9464 60 --debug   # port, seconds to serve, log to the console
 * curl http://127.0.0.1:9464/metrics                          # while it runs
 * ```
 *
 * It prints its own `/metrics` once, then serves for the given seconds
 * (default 10) while the client keeps calling, and stops.
 *
 * @module
 */

import process from "node:process";
import { loadAdapter } from "../adapters/runtime.ts";
import {
  Client,
  jsonBody,
  RemoteError,
  Router,
  Server,
  setLogger,
} from "../mod.ts";
import type { ConnectionStats, PoolStats, ServerStats } from "../advanced.ts";
import { type HttpServer, serveHttp } from "./_http.ts";
import { isMain } from "./_main.ts";

/** A metric's name, type and help text. */
type Metric = readonly [name: string, type: "counter" | "gauge", help: string];

/** Every field of `ConnectionStats`, as a metric (the compiler checks that none is missing). */
const TRANSPORT_METRICS: Record<keyof ConnectionStats, Metric> = {
  requestsSent: ["listenrain_requests_sent_total", "counter", "Requests sent."],
  repliesReceived: [
    "listenrain_replies_received_total",
    "counter",
    "Replies that settled a request sent, error replies included.",
  ],
  errorsReceived: [
    "listenrain_error_replies_received_total",
    "counter",
    "Error replies received.",
  ],
  timeouts: [
    "listenrain_request_timeouts_total",
    "counter",
    "Requests sent that timed out.",
  ],
  aborts: [
    "listenrain_request_aborts_total",
    "counter",
    "Requests sent that their caller aborted.",
  ],
  closedWhilePending: [
    "listenrain_requests_closed_while_pending_total",
    "counter",
    "Requests sent whose connection closed before the reply.",
  ],
  lateReplies: [
    "listenrain_late_replies_total",
    "counter",
    "Replies that matched no pending request (late after a timeout).",
  ],
  slowRequests: [
    "listenrain_slow_requests_total",
    "counter",
    "Requests, sent or handled, slower than slowRequestThreshold.",
  ],
  requestsReceived: [
    "listenrain_requests_received_total",
    "counter",
    "Requests received.",
  ],
  repliesSent: [
    "listenrain_replies_sent_total",
    "counter",
    "Replies sent, error replies included.",
  ],
  errorRepliesSent: [
    "listenrain_error_replies_sent_total",
    "counter",
    "Error replies sent.",
  ],
  notifiesSent: [
    "listenrain_notifications_sent_total",
    "counter",
    "Notifications sent.",
  ],
  notifiesReceived: [
    "listenrain_notifications_received_total",
    "counter",
    "Notifications received.",
  ],
  cancelsReceived: [
    "listenrain_cancels_received_total",
    "counter",
    "Cancels received for requests being handled.",
  ],
  framesIn: ["listenrain_frames_received_total", "counter", "Frames read."],
  bytesIn: ["listenrain_received_bytes_total", "counter", "Bytes read."],
  framesOut: ["listenrain_frames_sent_total", "counter", "Frames queued."],
  bytesOut: ["listenrain_sent_bytes_total", "counter", "Bytes queued."],
  pending: [
    "listenrain_requests_in_flight",
    "gauge",
    "Requests sent that wait for their reply now.",
  ],
  handling: [
    "listenrain_requests_handling",
    "gauge",
    "Requests received that are being handled now.",
  ],
  handlingBytes: [
    "listenrain_handling_bytes",
    "gauge",
    "Bytes of the received requests being handled now.",
  ],
  queuedBytes: [
    "listenrain_send_queue_bytes",
    "gauge",
    "Bytes waiting in send queues now.",
  ],
};

const SERVER_METRICS: Record<keyof ServerStats, Metric> = {
  connections: [
    "listenrain_server_connections",
    "gauge",
    "Open connections now.",
  ],
  accepted: [
    "listenrain_server_connections_accepted_total",
    "counter",
    "Connections accepted.",
  ],
  rejected: [
    "listenrain_server_connections_rejected_total",
    "counter",
    "Connections refused by maxConnections.",
  ],
  idleClosed: [
    "listenrain_server_idle_closed_total",
    "counter",
    "Connections closed by idleTimeout.",
  ],
  firstFrameClosed: [
    "listenrain_server_first_frame_closed_total",
    "counter",
    "Connections closed by firstFrameTimeout.",
  ],
  heartbeatClosed: [
    "listenrain_server_heartbeat_closed_total",
    "counter",
    "Connections closed because no pong came.",
  ],
};

const POOL_METRICS: Record<keyof PoolStats, Metric> = {
  connections: [
    "listenrain_client_connections",
    "gauge",
    "Open client connections now.",
  ],
  connects: [
    "listenrain_client_connects_total",
    "counter",
    "Client connections opened, reconnects included.",
  ],
  reconnects: [
    "listenrain_client_reconnects_total",
    "counter",
    "Client connections opened to replace a lost one or after failed attempts.",
  ],
  connectErrors: [
    "listenrain_client_connect_errors_total",
    "counter",
    "Connect attempts that failed.",
  ],
  disconnects: [
    "listenrain_client_disconnects_total",
    "counter",
    "Client connections that closed.",
  ],
};

/** One set of samples: counters of one kind, with labels. */
export interface Samples<S> {
  /** The labels of every sample, like `{ role: "server" }`. */
  labels: Record<string, string>;
  /** The values. */
  stats: S;
}

/**
 * Writes statistics in Prometheus' text exposition format (version 0.0.4):
 * a `# HELP` and a `# TYPE` line per metric, then one sample per labelled
 * set.
 *
 * @param transports Transport counters, such as a server's and a client's.
 * @param servers Server counters.
 * @param pools Client pool counters.
 * @returns The text for `/metrics`.
 */
export function prometheusText(
  transports: Samples<ConnectionStats>[],
  servers: Samples<ServerStats>[] = [],
  pools: Samples<PoolStats>[] = [],
): string {
  const lines: string[] = [];
  const write = <S>(metrics: Record<string, Metric>, sets: Samples<S>[]) => {
    if (sets.length === 0) return;
    for (const [field, [name, type, help]] of Object.entries(metrics)) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const { labels, stats } of sets) {
        const value = (stats as Record<string, number>)[field] ?? 0;
        lines.push(`${name}${labelText(labels)} ${value}`);
      }
    }
  };
  write(TRANSPORT_METRICS, transports);
  write(SERVER_METRICS, servers);
  write(POOL_METRICS, pools);
  return lines.join("\n") + "\n";
}

function labelText(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([key, value]) =>
    `${key}="${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, "\\n")}"`
  );
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

/** What {@linkcode main} started. */
export interface MetricsDemo {
  /** The metrics URL, like `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  /** The listenrain client, to make more traffic. */
  readonly client: Client;
  /** Stops the HTTP endpoint, the client and the server. */
  close(): Promise<void>;
}

/**
 * Starts a listenrain server and client on loopback TCP, makes some traffic
 * (replies, an error reply, a slow request, a timeout), and serves the
 * statistics at `/metrics`.
 *
 * @param log Where the lines go.
 * @param port The HTTP port; 0 for a free one.
 * @returns The URL and a way to stop everything.
 */
export async function main(
  log: (line: string) => void = console.log,
  port = 0,
): Promise<MetricsDemo> {
  const adapter = await loadAdapter(); // listenrain/adapters/{deno,bun,node}
  const sleep = (ms: number) =>
    new Promise((resolve) => setTimeout(resolve, ms));
  const router = new Router()
    .handle("sayhi", (name: string) => `hi, ${name}`)
    .handle("fail", () => {
      throw new RemoteError("NOPE", "This route always fails");
    })
    .handle("slow", async (ms: number) => {
      await sleep(ms);
      return ms;
    });
  const server = new Server({
    router,
    body: jsonBody,
    slowRequestThreshold: 50,
    onSlowRequest: (slow) =>
      log(
        `slow ${slow.direction} request ${slow.id}: ${
          Math.round(slow.elapsed)
        } ms (${slow.outcome})`,
      ),
  });
  server.serve(await adapter.listen("tcp://127.0.0.1:0"));
  const client = new Client({
    endpoint: `tcp://127.0.0.1:${server.addrs[0].port}`,
    dial: (key) => adapter.dial(key.toString()),
    body: jsonBody,
  });

  // Some traffic: replies, an error reply, a slow request, a timeout.
  await Promise.all(
    ["rain", "cloud", "sun"].map((n) => client.request("sayhi", n)),
  );
  await client.request("fail", null).catch(() => {});
  await client.request("slow", 80);
  await client.request("slow", 200, { timeout: 20 }).catch(() => {});

  const http: HttpServer = await serveHttp(port, (request) => {
    if (new URL(request.url).pathname !== "/metrics") {
      return new Response("Not found: try /metrics\n", { status: 404 });
    }
    const text = prometheusText(
      [
        { labels: { role: "server" }, stats: server.connectionStats },
        { labels: { role: "client" }, stats: client.pool.connectionStats },
      ],
      [{ labels: {}, stats: server.stats }],
      [{ labels: {}, stats: client.pool.stats }],
    );
    return new Response(text, {
      headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
    });
  });
  const url = `${http.origin}/metrics`;
  log(`metrics on ${url}`);
  return {
    url,
    client,
    close: async () => {
      await http.close();
      await client.close();
      await server.close();
    },
  };
}

if (isMain(import.meta)) {
  const args = process.argv.slice(2);
  if (args.includes("--debug")) setLogger(console);
  const [port = "9464", seconds = "10"] = args.filter((a) =>
    !a.startsWith("-")
  );
  const demo = await main(console.log, Number(port));
  console.log(await (await fetch(demo.url)).text());
  console.log(`serving for ${seconds} s; try: curl ${demo.url}`);
  const traffic = setInterval(() => {
    demo.client.request("sayhi", "again").catch(() => {});
  }, 100);
  await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
  clearInterval(traffic);
  await demo.close();
}
