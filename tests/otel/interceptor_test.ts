/**
 * otelInterceptor with the real OpenTelemetry SDK over a real TCP socket:
 * one trace across client and server, the server span a child of the client
 * span, the RPC semantic conventions' attributes, failures marked as errors
 * on both sides, and the duration histograms.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  metrics,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { Connection, jsonBody, RemoteError, Router } from "../../mod.ts";
import { otelInterceptor } from "../../otel.ts";
import { createMemoryPipe } from "../../testing.ts";
import { until, within } from "../lifecycle/_helpers.ts";
import {
  createSdk,
  histogramPoints,
  spanOf,
  tcpPair,
  useW3CPropagator,
} from "./_sdk.ts";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

function router(seen: string[] = []) {
  return new Router()
    .handle("sayhi", (name: string, ctx) => {
      seen.push(String(ctx.metadata.get("traceparent")));
      return `hi, ${name}`;
    })
    .handle("fail", () => {
      throw new RemoteError("NOPE", "This route always fails");
    })
    .handle("crash", () => {
      throw new TypeError("a bug in the handler");
    })
    .handle("slow", (ms: number, ctx) =>
      new Promise<number>((resolve) => {
        const timer = setTimeout(() => resolve(ms), ms);
        ctx.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve(-1);
        });
      }));
}

describe("otelInterceptor over TCP with the OpenTelemetry SDK", () => {
  before(useW3CPropagator);
  after(() => propagation.disable());

  it(
    "one trace: the server span is the client span's child, with semconv attributes",
    {
      timeout: 30_000,
    },
    async () => {
      const sdk = createSdk();
      const otel = otelInterceptor(sdk);
      const seen: string[] = [];
      const pair = await tcpPair(router(seen), [otel], [otel]);
      try {
        assert.equal(
          await within(10_000, "call", pair.client.request("sayhi", "rain")),
          "hi, rain",
        );
        const spans = sdk.spans.getFinishedSpans();
        assert.equal(spans.length, 2);
        const client = spanOf(spans, SpanKind.CLIENT, "sayhi");
        const server = spanOf(spans, SpanKind.SERVER, "sayhi");

        // One trace id; the server span's parent is the client span.
        const ids = client.spanContext();
        assert.match(ids.traceId, /^[0-9a-f]{32}$/);
        assert.notEqual(ids.traceId, "0".repeat(32));
        assert.equal(server.spanContext().traceId, ids.traceId);
        assert.equal(server.parentSpanContext?.spanId, ids.spanId);
        assert.equal(server.parentSpanContext?.isRemote, true);
        assert.equal(client.parentSpanContext, undefined);

        // What went on the wire: a W3C traceparent naming the client span.
        assert.equal(seen.length, 1);
        const [, traceId, spanId] = TRACEPARENT.exec(seen[0]) ?? [];
        assert.equal(traceId, ids.traceId, seen[0]);
        assert.equal(spanId, ids.spanId, seen[0]);

        assert.deepEqual(client.attributes, {
          "rpc.system.name": "listenrain",
          "rpc.system": "listenrain",
          "rpc.method": "sayhi",
          "server.address": "127.0.0.1",
          "server.port": pair.port,
          "network.transport": "tcp",
        });
        const peerPort = server.attributes["network.peer.port"];
        assert.equal(typeof peerPort, "number");
        assert.notEqual(peerPort, pair.port);
        assert.deepEqual(server.attributes, {
          "rpc.system.name": "listenrain",
          "rpc.system": "listenrain",
          "rpc.method": "sayhi",
          "server.address": "127.0.0.1",
          "server.port": pair.port,
          "network.transport": "tcp",
          "network.peer.address": "127.0.0.1",
          "network.peer.port": peerPort,
        });
        for (const span of [client, server]) {
          assert.equal(span.status.code, SpanStatusCode.UNSET);
          assert.equal(span.events.length, 0);
          assert.equal(span.instrumentationScope.name, "listenrain");
        }
      } finally {
        await pair.close();
        await sdk.shutdown();
      }
    },
  );

  it("a handler's RemoteError marks both spans as errors, with its code", {
    timeout: 30_000,
  }, async () => {
    const sdk = createSdk();
    const otel = otelInterceptor(sdk);
    const pair = await tcpPair(router(), [otel], [otel]);
    try {
      const error = await within(
        10_000,
        "call",
        pair.client.request("fail", null).then(
          () => assert.fail("fail replied"),
          (e: unknown) => e,
        ),
      );
      assert.ok(error instanceof RemoteError);
      const spans = sdk.spans.getFinishedSpans();
      const client = spanOf(spans, SpanKind.CLIENT, "fail");
      const server = spanOf(spans, SpanKind.SERVER, "fail");
      assert.equal(
        server.parentSpanContext?.spanId,
        client.spanContext().spanId,
      );
      for (const span of [client, server]) {
        assert.equal(span.status.code, SpanStatusCode.ERROR);
        assert.equal(span.status.message, "This route always fails");
        assert.equal(span.attributes["error.type"], "NOPE");
        assert.equal(span.attributes["rpc.status_code"], "NOPE");
        const [event] = span.events;
        assert.equal(event?.name, "exception");
        assert.equal(event.attributes?.["exception.type"], "ERR_REMOTE");
        assert.equal(
          event.attributes?.["exception.message"],
          "This route always fails",
        );
      }
    } finally {
      await pair.close();
      await sdk.shutdown();
    }
  });

  it(
    "any other handler error is HANDLER_ERROR on both sides; a client timeout is TIMEOUT",
    {
      timeout: 30_000,
    },
    async () => {
      const sdk = createSdk();
      const otel = otelInterceptor(sdk);
      const pair = await tcpPair(router(), [otel], [otel]);
      try {
        await within(
          10_000,
          "crash",
          pair.client.request("crash", null).then(
            () => assert.fail("crash replied"),
            () => {},
          ),
        );
        await within(
          10_000,
          "slow",
          pair.client.request("slow", 5_000, { timeout: 50 }).then(
            () => assert.fail("slow replied"),
            () => {},
          ),
        );
        // The call rejects at its deadline; the request under the
        // interceptor times out on its own timer, which ends the span.
        await until(
          () =>
            sdk.spans.getFinishedSpans().some((span) =>
              span.kind === SpanKind.CLIENT && span.name === "slow"
            ),
          10_000,
          "the slow call's span",
        );
        const spans = sdk.spans.getFinishedSpans();
        const crashed = [
          spanOf(spans, SpanKind.CLIENT, "crash"),
          spanOf(spans, SpanKind.SERVER, "crash"),
        ];
        for (const span of crashed) {
          assert.equal(span.status.code, SpanStatusCode.ERROR);
          assert.equal(span.attributes["error.type"], "HANDLER_ERROR");
        }
        // The server's span has the real error; the caller was told less.
        assert.equal(crashed[1].status.message, "a bug in the handler");
        assert.equal(
          crashed[1].events[0].attributes?.["exception.type"],
          "TypeError",
        );
        const slow = spanOf(spans, SpanKind.CLIENT, "slow");
        assert.equal(slow.status.code, SpanStatusCode.ERROR);
        assert.equal(slow.attributes["error.type"], "TIMEOUT");
        assert.equal(slow.attributes["rpc.status_code"], "TIMEOUT");
      } finally {
        await pair.close();
        await sdk.shutdown();
      }
    },
  );

  it(
    "records rpc.client.call.duration and rpc.server.call.duration in seconds",
    {
      timeout: 30_000,
    },
    async () => {
      const sdk = createSdk();
      const otel = otelInterceptor(sdk);
      const pair = await tcpPair(router(), [otel], [otel]);
      try {
        await within(
          10_000,
          "calls",
          Promise.all([
            pair.client.request("sayhi", "a"),
            pair.client.request("sayhi", "b"),
            pair.client.request("slow", 30),
            pair.client.request("fail", null).catch(() => {}),
          ]),
        );
        const all = await sdk.metrics();
        for (const side of ["client", "server"]) {
          const metric = all.get(`rpc.${side}.call.duration`);
          assert.ok(
            metric,
            `no rpc.${side}.call.duration in ${[...all.keys()]}`,
          );
          assert.equal(metric.descriptor.unit, "s");
          const points = histogramPoints(metric);
          const point = (method: string) => {
            const found = points.filter((p) =>
              p.attributes["rpc.method"] === method
            );
            assert.equal(found.length, 1, `${side} ${method}`);
            return found[0];
          };
          const expected = side === "client"
            ? { "server.address": "127.0.0.1", "server.port": pair.port }
            : {};
          const hi = point("sayhi");
          assert.deepEqual(hi.attributes, {
            "rpc.system.name": "listenrain",
            "rpc.method": "sayhi",
            ...expected,
          });
          assert.equal(hi.value.count, 2);
          assert.ok(
            (hi.value.sum ?? -1) >= 0 && (hi.value.sum ?? 99) < 10,
            String(hi.value.sum),
          );
          // The slow call took ≥ 30 ms: in seconds, not milliseconds.
          const slow = point("slow");
          assert.equal(slow.value.count, 1);
          assert.ok(
            (slow.value.sum ?? 0) >= 0.025 && (slow.value.sum ?? 99) < 10,
            String(slow.value.sum),
          );
          assert.deepEqual(slow.value.buckets.boundaries.slice(0, 3), [
            0.005,
            0.01,
            0.025,
          ]);
          const failed = point("fail");
          assert.equal(failed.value.count, 1);
          assert.equal(failed.attributes["error.type"], "NOPE");
          assert.equal(failed.attributes["rpc.status_code"], "NOPE");
        }
      } finally {
        await pair.close();
        await sdk.shutdown();
      }
    },
  );

  it(
    "uses the global providers by default, even when registered after it is made",
    {
      timeout: 30_000,
    },
    async () => {
      const otel = otelInterceptor(); // before any global provider
      const sdk = createSdk();
      const pair = await tcpPair(router(), [otel], [otel]);
      try {
        trace.setGlobalTracerProvider(sdk.tracerProvider);
        metrics.setGlobalMeterProvider(sdk.meterProvider);
        await within(10_000, "call", pair.client.request("sayhi", "global"));
        const spans = sdk.spans.getFinishedSpans();
        assert.equal(
          spanOf(spans, SpanKind.SERVER, "sayhi").spanContext().traceId,
          spanOf(spans, SpanKind.CLIENT, "sayhi").spanContext().traceId,
        );
        const all = await sdk.metrics();
        assert.equal(
          histogramPoints(all.get("rpc.client.call.duration"))[0]?.value.count,
          1,
        );
        assert.equal(
          histogramPoints(all.get("rpc.server.call.duration"))[0]?.value.count,
          1,
        );
      } finally {
        trace.disable();
        metrics.disable();
        await pair.close();
        await sdk.shutdown();
      }
    },
  );

  it(
    "works on a Connection (both ends), over an in-memory pipe: network.transport pipe",
    {
      timeout: 30_000,
    },
    async () => {
      const sdk = createSdk();
      const otel = otelInterceptor(sdk);
      const [a, b] = createMemoryPipe({ names: ["client", "server"] });
      const served = router();
      const server = new Connection(b, {
        router: served,
        body: jsonBody,
        interceptors: [otel],
      });
      const client = new Connection<typeof served>(a, {
        body: jsonBody,
        interceptors: [otel],
      });
      try {
        await within(10_000, "call", client.request("sayhi", "pipe"));
        const spans = sdk.spans.getFinishedSpans();
        const c = spanOf(spans, SpanKind.CLIENT, "sayhi");
        const s = spanOf(spans, SpanKind.SERVER, "sayhi");
        assert.equal(s.parentSpanContext?.spanId, c.spanContext().spanId);
        assert.equal(c.attributes["network.transport"], "pipe");
        assert.equal(c.attributes["server.address"], "server");
        assert.equal(s.attributes["server.address"], "server");
        assert.equal(s.attributes["network.peer.address"], "client");
        assert.equal(c.attributes["server.port"], undefined);
      } finally {
        await client.close();
        await server.close();
        await sdk.shutdown();
      }
    },
  );
});
