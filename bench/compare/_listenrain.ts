/**
 * The listenrain peers of the side-by-side benchmark, one per way a service
 * runs it, all on the same "echo" route over one connection:
 *
 * - `listenrain`: no metadata, no interceptors (what the benchmark always
 *   measured; its server and client are exactly what they were).
 * - `listenrain-metadata`: three metadata entries on every request, as a
 *   service in production sends them: a bearer token and a tenant as the
 *   connection's default metadata, and a W3C `traceparent` of its own per
 *   request (a new span id each time). The server's handler checks the token
 *   and the tenant.
 * - `listenrain-otel`: the token and the tenant as above, and
 *   `otelInterceptor()` on both sides with the OpenTelemetry SDK registered
 *   globally: every request gets a sampled CLIENT span whose `traceparent`
 *   the W3C propagator injects, the server a SERVER span as its child, both
 *   sides record the duration histograms; spans go through a
 *   `BatchSpanProcessor` and metrics through a periodic reader, both to
 *   exporters that drop what they get (the cost of the instrumentation and
 *   the SDK, without a collector).
 *
 * @module
 */

import type { ConnectionOptions } from "../../src/connection/connection_options.ts";
import type { RequestOptions } from "../../src/transport/transport_options.ts";
import { RemoteError } from "../../src/errors.ts";
import { Router } from "../../src/transport/router.ts";

/** The listenrain peers, as `--peer` names them. */
export const LISTENRAIN_PEERS: readonly string[] = [
  "listenrain",
  "listenrain-metadata",
  "listenrain-otel",
];

/** The bearer token every metadata request carries. */
const TOKEN = "Bearer eyJhbGciOiJIUzI1NiJ9.bench-token.c2lnbmF0dXJl";
/** The tenant every metadata request carries. */
const TENANT = "tenant-0042";

/** What a client connection gets, and what each request adds. */
export interface ClientSetup {
  /** Options of the client's Connection. */
  options: ConnectionOptions;
  /** The options of the next request (a fresh traceparent), if any. */
  nextRequest: (() => RequestOptions) | undefined;
}

/** A traceparent per request: a fixed trace id, a counting span id. */
function traceparents(): () => RequestOptions {
  const prefix = "00-4bf92f3577b34da6a3ce929d0e0e4736-";
  let span = 0x1000_0000_0000;
  return () => ({
    metadata: {
      traceparent: `${prefix}${(++span).toString(16).padStart(16, "0")}-01`,
    },
  });
}

/**
 * The OpenTelemetry SDK, registered globally, with exporters that drop
 * everything: the interceptors' and the SDK's cost, no collector's.
 */
async function registerOtel(): Promise<void> {
  const { metrics, propagation, trace } = await import("@opentelemetry/api");
  const { ExportResultCode, W3CTraceContextPropagator } = await import(
    "@opentelemetry/core"
  );
  const { BasicTracerProvider, BatchSpanProcessor } = await import(
    "@opentelemetry/sdk-trace-base"
  );
  const { MeterProvider, PeriodicExportingMetricReader } = await import(
    "@opentelemetry/sdk-metrics"
  );
  const done = (_: unknown, callback: (result: { code: number }) => void) =>
    callback({ code: ExportResultCode.SUCCESS });
  const drop = { export: done, shutdown: () => Promise.resolve() };
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({
      spanProcessors: [new BatchSpanProcessor(drop)],
    }),
  );
  metrics.setGlobalMeterProvider(
    new MeterProvider({
      readers: [
        new PeriodicExportingMetricReader({
          exporter: { ...drop, forceFlush: () => Promise.resolve() },
          exportIntervalMillis: 1000,
        }),
      ],
    }),
  );
}

/** `otelInterceptor()` from listenrain/otel, with the SDK registered. */
async function otelInterceptors(): Promise<ConnectionOptions["interceptors"]> {
  await registerOtel();
  // Imported here: the otel subpath loads only for this peer.
  const { otelInterceptor } = await import("../../otel.ts");
  return [otelInterceptor()];
}

/**
 * The client side of `peer`.
 *
 * @param peer A name of {@linkcode LISTENRAIN_PEERS}.
 * @returns The connection's options and each request's.
 */
export async function clientSetup(peer: string): Promise<ClientSetup> {
  const metadata = { authorization: TOKEN, "x-tenant": TENANT };
  switch (peer) {
    case "listenrain":
      return { options: {}, nextRequest: undefined };
    case "listenrain-metadata":
      return { options: { metadata }, nextRequest: traceparents() };
    case "listenrain-otel":
      return {
        options: { metadata, interceptors: await otelInterceptors() },
        nextRequest: undefined,
      };
  }
  throw new Error(`Unknown listenrain peer "${peer}"`);
}

/**
 * The server side of `peer`: its router and connection options.
 *
 * @param peer A name of {@linkcode LISTENRAIN_PEERS}.
 * @returns Options for each accepted Connection.
 */
export async function serverSetup(peer: string): Promise<ConnectionOptions> {
  if (peer === "listenrain") {
    return { router: new Router().handle("echo", (body: Uint8Array) => body) };
  }
  const router = new Router().handle("echo", (body: Uint8Array, ctx) => {
    if (
      ctx.metadata.get("authorization") !== TOKEN ||
      ctx.metadata.get("x-tenant") !== TENANT
    ) {
      throw new RemoteError("UNAUTHENTICATED", "Bad token or tenant");
    }
    return body;
  });
  return peer === "listenrain-otel"
    ? { router, interceptors: await otelInterceptors() }
    : { router };
}
