/**
 * OpenTelemetry for listenrain: tracing and metrics after the RPC semantic
 * conventions, and the connection statistics as OpenTelemetry metrics.
 * `@opentelemetry/api` is an optional peer dependency: install it to use
 * this subpath (`npm install @opentelemetry/api`, with an SDK of your
 * choice; Deno maps `npm:@opentelemetry/api`). The rest of listenrain does
 * not load it.
 *
 * - {@linkcode otelInterceptor}: a `CLIENT` span per request, its context
 *   sent in the metadata (W3C `traceparent`), a `SERVER` span per handled
 *   call as its child, and the histograms `rpc.client.call.duration` and
 *   `rpc.server.call.duration`.
 * - {@linkcode observeStats}: a server's and a client's statistics (bytes,
 *   frames, queued bytes, connections, reconnects, requests in flight…) as
 *   observable instruments, read at each collection.
 *
 * @example Tracing a client and a server
 * ```ts
 * import { Client, jsonBody, Router, Server } from "listenrain";
 * import { otelInterceptor } from "listenrain/otel";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * // With an OpenTelemetry SDK registered (NodeSDK, or the providers'
 * // register()), spans and durations go to its exporters.
 * const interceptors = [otelInterceptor()];
 * const network = new MemoryNetwork();
 * const router = new Router().handle("sum", (xs: number[]) => xs.reduce((s, x) => s + x, 0));
 * await using server = new Server({ router, body: jsonBody, interceptors });
 * server.serve(await network.listen("mem://calc"));
 * await using client = new Client<typeof router>({
 *   endpoint: "mem://calc",
 *   dial: (key, o) => network.dial(key, o),
 *   body: jsonBody,
 *   interceptors,
 * });
 * console.log(await client.request("sum", [1, 2, 3])); // 6
 * ```
 *
 * @module
 */

export {
  otelInterceptor,
  type OtelInterceptorOptions,
} from "./otel/interceptor.ts";
export { observeStats, type StatsSources } from "./otel/observe_stats.ts";
