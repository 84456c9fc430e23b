/**
 * {@linkcode otelInterceptor}: OpenTelemetry tracing and metrics for every
 * call of a client, server or connection.
 *
 * @module
 */

import {
  type Attributes,
  context,
  type Histogram,
  type MeterProvider,
  metrics,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type TracerProvider,
} from "@opentelemetry/api";
import type { Interceptor } from "../src/connection/interceptor.ts";
import {
  ATTR,
  errorTypeOf,
  peerAttributes,
  RPC_SYSTEM,
  serverAttributes,
  statusCodeOf,
} from "./_attributes.ts";
import { metadataGetter, metadataSetter } from "./_carrier.ts";

/** The instrumentation scope: the tracer's and the meter's name. */
const SCOPE = "listenrain";

/** The bucket boundaries, in seconds, semconv advises for RPC durations. */
const DURATION_BUCKETS = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.075,
  0.1,
  0.25,
  0.5,
  0.75,
  1,
  2.5,
  5,
  7.5,
  10,
];

/**
 * Options of {@linkcode otelInterceptor}.
 *
 * @example Providers of one's own instead of the global ones
 * ```ts
 * import type { OtelInterceptorOptions } from "listenrain/otel";
 * import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
 * import { MeterProvider } from "@opentelemetry/sdk-metrics";
 *
 * const options: OtelInterceptorOptions = {
 *   tracerProvider: new BasicTracerProvider(),
 *   meterProvider: new MeterProvider(),
 * };
 * console.log(Object.keys(options)); // [ "tracerProvider", "meterProvider" ]
 * ```
 */
export interface OtelInterceptorOptions {
  /**
   * Where spans go. Default: the global tracer provider
   * (`trace.setGlobalTracerProvider`, which an SDK's `register()` sets), read
   * when a call starts, so it may be registered after the interceptor is made.
   */
  tracerProvider?: TracerProvider;
  /**
   * Where the duration histograms go. Default: the global meter provider
   * (`metrics.setGlobalMeterProvider`), read when a call starts.
   */
  meterProvider?: MeterProvider;
}

/** The two duration histograms of one meter provider. */
interface Durations {
  client: Histogram;
  server: Histogram;
}

/**
 * An {@linkcode Interceptor} that traces and measures every call, after the
 * OpenTelemetry RPC semantic conventions. Give the same value to clients,
 * servers and connections (`interceptors: [otelInterceptor()]`); put it
 * first, so that its spans and durations cover the other interceptors
 * (retries included).
 *
 * - **Client** (`request`): a `CLIENT` span named after the route, a child
 *   of the active context, whose context the global propagator (W3C trace
 *   context: `traceparent`, `tracestate`) writes into the request's metadata;
 *   the call's duration goes to the histogram `rpc.client.call.duration`.
 * - **Server** (`handle`): the global propagator reads the caller's context
 *   from `ctx.metadata`, and a `SERVER` span, its child, covers the handler
 *   (and the interceptors after this one), which run with the span active;
 *   the duration goes to `rpc.server.call.duration`.
 *
 * Span attributes: `rpc.system.name` = `"listenrain"` (and the deprecated
 * `rpc.system`, for backends that read the name semconv used up to 1.37),
 * `rpc.method` = the route, `server.address` and `server.port` (the
 * endpoint's on the client; the connection's local address on the server),
 * `network.transport` (`tcp` for TCP and TLS, `unix`, `pipe` for in-memory
 * pipes), and on the server `network.peer.address` / `network.peer.port` (the
 * caller). A failed call sets the span status to `ERROR` with the error's
 * message, records the exception, and sets `error.type` and
 * `rpc.status_code` to the error's code: a `RemoteError`'s code
 * (`UNAUTHENTICATED`, `UNKNOWN_ROUTE`, a handler's own), the reply code of
 * listenrain's own errors (`TIMEOUT`, `CONNECTION_CLOSED`, `ABORTED`…), on a
 * server `HANDLER_ERROR` for any other error (what the caller is told), on
 * a client the error's class name (`error.type` only).
 *
 * The histograms are in seconds with the bucket boundaries semconv advises,
 * with `rpc.system.name`, `rpc.method`, on a client `server.address` and
 * `server.port`, and on failure `error.type` and `rpc.status_code`.
 *
 * Propagation needs a protocol that carries metadata (the default envelope
 * does). Nested calls from a handler become children of its server span
 * when a context manager is registered (on Node, Deno and Bun,
 * `AsyncLocalStorageContextManager` from `@opentelemetry/context-async-hooks`).
 *
 * @param options The tracer and meter providers; the global ones by default.
 * @returns The interceptor.
 *
 * @example One trace across a client and a server
 * ```ts
 * import { Client, Router, Server, textBody } from "listenrain";
 * import { otelInterceptor } from "listenrain/otel";
 * import { MemoryNetwork } from "listenrain/testing";
 * import { propagation } from "@opentelemetry/api";
 * import { W3CTraceContextPropagator } from "@opentelemetry/core";
 * import {
 *   BasicTracerProvider,
 *   InMemorySpanExporter,
 *   SimpleSpanProcessor,
 * } from "@opentelemetry/sdk-trace-base";
 *
 * propagation.setGlobalPropagator(new W3CTraceContextPropagator());
 * const spans = new InMemorySpanExporter();
 * const tracerProvider = new BasicTracerProvider({
 *   spanProcessors: [new SimpleSpanProcessor(spans)],
 * });
 * const interceptors = [otelInterceptor({ tracerProvider })];
 *
 * const network = new MemoryNetwork();
 * const router = new Router().handle("sayhi", (name: string) => `hi, ${name}`);
 * await using server = new Server({ router, body: textBody, interceptors });
 * server.serve(await network.listen("mem://api"));
 * await using client = new Client<typeof router>({
 *   endpoint: "mem://api",
 *   dial: (key, o) => network.dial(key, o),
 *   body: textBody,
 *   interceptors,
 * });
 * await client.request("sayhi", "rain");
 * const [server_, client_] = spans.getFinishedSpans();
 * console.log(server_.spanContext().traceId === client_.spanContext().traceId); // true
 * ```
 */
export function otelInterceptor(
  options: OtelInterceptorOptions = {},
): Interceptor {
  let meterProvider: MeterProvider | undefined;
  let durations: Durations | undefined;
  const histograms = (): Durations => {
    const provider = options.meterProvider ?? metrics.getMeterProvider();
    if (provider !== meterProvider || durations === undefined) {
      const meter = provider.getMeter(SCOPE);
      const advice = { explicitBucketBoundaries: DURATION_BUCKETS };
      durations = {
        client: meter.createHistogram("rpc.client.call.duration", {
          description:
            "Measures the duration of an outgoing Remote Procedure Call (RPC).",
          unit: "s",
          advice,
        }),
        server: meter.createHistogram("rpc.server.call.duration", {
          description:
            "Measures the duration of an incoming Remote Procedure Call (RPC).",
          unit: "s",
          advice,
        }),
      };
      meterProvider = provider;
    }
    return durations;
  };
  const tracer = () =>
    (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);

  return {
    request(request, next) {
      const method = String(request.route);
      const address = serverAttributes(request.endpoint);
      const measured: Attributes = {
        [ATTR.rpcSystemName]: RPC_SYSTEM,
        [ATTR.rpcMethod]: method,
      };
      for (const key of [ATTR.serverAddress, ATTR.serverPort]) {
        if (address[key] !== undefined) measured[key] = address[key];
      }
      const parent = context.active();
      const span = tracer().startSpan(method, {
        kind: SpanKind.CLIENT,
        attributes: { ...measured, ...address, [ATTR.rpcSystem]: RPC_SYSTEM },
      }, parent);
      const active = trace.setSpan(parent, span);
      propagation.inject(active, request.metadata, metadataSetter);
      const end = ender(span, histograms().client, measured, undefined);
      return endedWith(
        end,
        () => context.with(active, next, undefined, request),
      );
    },

    handle(ctx, next) {
      const parent = propagation.extract(
        context.active(),
        ctx.metadata,
        metadataGetter,
      );
      const method = String(ctx.route);
      const measured: Attributes = {
        [ATTR.rpcSystemName]: RPC_SYSTEM,
        [ATTR.rpcMethod]: method,
      };
      const span = tracer().startSpan(method, {
        kind: SpanKind.SERVER,
        attributes: {
          ...measured,
          [ATTR.rpcSystem]: RPC_SYSTEM,
          ...serverAttributes(ctx.connection.localAddr),
          ...peerAttributes(ctx.remoteAddr),
        },
      }, parent);
      const end = ender(span, histograms().server, measured, "HANDLER_ERROR");
      return endedWith(
        end,
        () => context.with(trace.setSpan(parent, span), next),
      );
    },
  };
}

/**
 * Runs `call` and ends the span with its outcome: a throw or a rejection
 * ends it as failed (and is passed on), a result as succeeded.
 *
 * @param end Ends the span and records the duration.
 * @param call The rest of the chain.
 * @returns What `call` resolves with.
 */
function endedWith<T>(
  end: (...error: [] | [unknown]) => void,
  call: () => Promise<T>,
): Promise<T> {
  let running: Promise<T>;
  try {
    running = call();
  } catch (error) {
    end(error);
    throw error;
  }
  return running.then(
    (result) => {
      end();
      return result;
    },
    (error: unknown) => {
      end(error);
      throw error;
    },
  );
}

/**
 * What ends a call: once, with the error if it failed, it ends the span and
 * records the duration.
 *
 * @param span The call's span.
 * @param histogram Its duration histogram.
 * @param measured The histogram's attributes.
 * @param fallback The status code of an error that has none of its own.
 */
function ender(
  span: Span,
  histogram: Histogram,
  measured: Attributes,
  fallback: string | undefined,
): (...error: [] | [unknown]) => void {
  const started = performance.now();
  let ended = false;
  return (...failure) => {
    if (ended) return;
    ended = true;
    const seconds = (performance.now() - started) / 1000;
    let attributes = measured;
    if (failure.length > 0) {
      const [error] = failure;
      const status = statusCodeOf(error, fallback);
      const type = errorTypeOf(error, status);
      const failed: Attributes = { [ATTR.errorType]: type };
      if (status !== undefined) failed[ATTR.rpcStatusCode] = status;
      span.setAttributes(failed);
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      attributes = { ...measured, ...failed };
    }
    span.end();
    histogram.record(seconds, attributes);
  };
}
