/**
 * Metrics for Prometheus through OpenTelemetry: a listenrain server and a
 * client with `otelInterceptor` (the histograms `rpc.server.call.duration`
 * and `rpc.client.call.duration`) and `observeStats` (`server.stats`,
 * `server.connectionStats`, `client.pool.stats` and
 * `client.pool.connectionStats`: requests, replies, errors, timeouts, frames,
 * bytes, requests in flight, queued bytes, connections, reconnects), read
 * by `@opentelemetry/exporter-prometheus` at each scrape of `/metrics`, served
 * on 127.0.0.1 by the runtime's own HTTP server. Slow requests also go to an
 * `onSlowRequest` hook, and `--debug` sends listenrain's log events to the
 * console (`setLogger(console)`).
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
import {
  PrometheusExporter,
  PrometheusSerializer,
} from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { loadAdapter } from "../adapters/runtime.ts";
import {
  Client,
  jsonBody,
  RemoteError,
  Router,
  Server,
  setLogger,
} from "../mod.ts";
import { observeStats, otelInterceptor } from "../otel.ts";
import { type HttpServer, serveHttp } from "./_http.ts";
import { isMain } from "./_main.ts";

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
 * (replies, an error reply, a slow request, a timeout), and serves their
 * metrics at `/metrics`.
 *
 * @param log Where the lines go.
 * @param port The HTTP port; 0 for a free one.
 * @returns The URL and a way to stop everything.
 */
export async function main(
  log: (line: string) => void = console.log,
  port = 0,
): Promise<MetricsDemo> {
  // The OpenTelemetry side: a meter provider read by the Prometheus exporter
  // (its own HTTP server off: the runtime's serves /metrics below).
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  const serializer = new PrometheusSerializer(
    undefined, // no prefix
    false, // no timestamps
    undefined, // no resource attributes as labels
    false, // with target_info
    true, // without otel_scope_* labels
  );
  const interceptors = [otelInterceptor({ meterProvider })];

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
    interceptors,
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
    interceptors,
  });
  const observed = observeStats(meterProvider.getMeter("listenrain"), {
    server,
    client,
  });

  // Some traffic: replies, an error reply, a slow request, a timeout.
  await Promise.all(
    ["rain", "cloud", "sun"].map((n) => client.request("sayhi", n)),
  );
  await client.request("fail", null).catch(() => {});
  await client.request("slow", 80);
  await client.request("slow", 200, { timeout: 20 }).catch(() => {});

  // The scrape endpoint: collect, serialize, answer.
  const http: HttpServer = await serveHttp(port, async (request) => {
    if (new URL(request.url).pathname !== "/metrics") {
      return new Response("Not found: try /metrics\n", { status: 404 });
    }
    const { resourceMetrics } = await exporter.collect();
    return new Response(serializer.serialize(resourceMetrics), {
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
      observed.close();
      await client.close();
      await server.close();
      await meterProvider.shutdown();
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
