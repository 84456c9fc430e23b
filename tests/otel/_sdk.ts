/**
 * The real OpenTelemetry SDK, in memory, for the otel tests: a tracer
 * provider whose finished spans stay in an `InMemorySpanExporter`, a meter
 * provider read on demand, and a server and a client on loopback TCP through
 * this runtime's adapter.
 */

import { propagation } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  type MetricData,
  MetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { loadAdapter } from "../../adapters/runtime.ts";
import {
  Client,
  type Interceptor,
  jsonBody,
  type Router,
  Server,
} from "../../mod.ts";

/** A reader that collects only when asked (`collect()`). */
export class ManualReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Tracer and meter providers with in-memory outputs. */
export interface Sdk {
  spans: InMemorySpanExporter;
  tracerProvider: BasicTracerProvider;
  reader: ManualReader;
  meterProvider: MeterProvider;
  /** Every metric collected now, by name. */
  metrics(): Promise<Map<string, MetricData>>;
  shutdown(): Promise<void>;
}

/** Registers the W3C trace context propagator globally (undo: `propagation.disable()`). */
export function useW3CPropagator(): void {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

/** A fresh in-memory SDK. */
export function createSdk(): Sdk {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  });
  const reader = new ManualReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    spans,
    tracerProvider,
    reader,
    meterProvider,
    async metrics() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      const all = new Map<string, MetricData>();
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          all.set(metric.descriptor.name, metric);
        }
      }
      return all;
    },
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/** The histogram points of `metric`. */
export function histogramPoints(
  metric: MetricData | undefined,
): DataPoint<Histogram>[] {
  if (metric === undefined) return [];
  return metric.dataPoints as DataPoint<Histogram>[];
}

/** The one finished span of `kind` named `name`. */
export function spanOf(
  spans: ReadableSpan[],
  kind: number,
  name: string,
): ReadableSpan {
  const found = spans.filter((s) => s.kind === kind && s.name === name);
  if (found.length !== 1) {
    throw new Error(
      `expected one span ${name} of kind ${kind}, found ${found.length}: ${
        spans.map((s) => `${s.kind}:${s.name}`).join(", ")
      }`,
    );
  }
  return found[0];
}

/** A server and a client on loopback TCP, each with its own interceptors. */
export interface TcpPair<R extends Router> {
  server: Server;
  client: Client<R>;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `router` on 127.0.0.1 (a free port) with this runtime's adapter and
 * connects a JSON client to it.
 */
export async function tcpPair<R extends Router>(
  router: R,
  serverInterceptors: Interceptor[],
  clientInterceptors: Interceptor[],
): Promise<TcpPair<R>> {
  const adapter = await loadAdapter();
  const server = new Server({
    router,
    body: jsonBody,
    interceptors: serverInterceptors,
  });
  server.serve(await adapter.listen("tcp://127.0.0.1:0"));
  const port = server.addrs[0].port!;
  const client = new Client<R>({
    endpoint: `tcp://127.0.0.1:${port}`,
    dial: (key) => adapter.dial(key.toString()),
    body: jsonBody,
    interceptors: clientInterceptors,
  });
  return {
    server,
    client,
    port,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}
