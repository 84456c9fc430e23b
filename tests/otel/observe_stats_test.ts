/**
 * observeStats: a server's and a client's statistics, read by the real
 * OpenTelemetry SDK at collection time, over a real TCP socket.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type DataPoint,
  DataPointType,
  type MetricData,
} from "@opentelemetry/sdk-metrics";
import { RemoteError, Router } from "../../mod.ts";
import { observeStats } from "../../otel.ts";
import { within } from "../lifecycle/_helpers.ts";
import { createSdk, tcpPair } from "./_sdk.ts";

/** The value of `metric`'s point whose attributes are exactly `attributes`. */
function value(
  all: Map<string, MetricData>,
  name: string,
  attributes: Record<string, string> = {},
): number {
  const metric = all.get(name);
  assert.ok(metric, `no ${name} in ${[...all.keys()].join(", ")}`);
  const points = (metric.dataPoints as DataPoint<number>[]).filter((p) =>
    JSON.stringify(p.attributes) === JSON.stringify(attributes)
  );
  assert.equal(
    points.length,
    1,
    `${name}${JSON.stringify(attributes)} in ${
      JSON.stringify(metric.dataPoints.map((p) => p.attributes))
    }`,
  );
  return points[0].value;
}

const router = new Router()
  .handle("echo", (text: string) => text)
  .handle("fail", () => {
    throw new RemoteError("NOPE", "no");
  });

describe("observeStats with the OpenTelemetry SDK", () => {
  it(
    "exports connection, server and pool statistics, read at each collection",
    {
      timeout: 30_000,
    },
    async () => {
      const sdk = createSdk();
      const meter = sdk.meterProvider.getMeter("listenrain");
      const pair = await tcpPair(router, [], []);
      const observed = observeStats(meter, {
        server: pair.server,
        client: pair.client,
        attributes: { "service.instance.id": "one" },
      });
      try {
        const text = "x".repeat(1000);
        await within(
          10_000,
          "calls",
          Promise.all([
            pair.client.request("echo", text),
            pair.client.request("echo", text),
            pair.client.request("fail", null).catch(() => {}),
          ]),
        );
        let all = await sdk.metrics();
        const id = { "service.instance.id": "one" };
        const server = { ...id, "listenrain.role": "server" };
        const client = { ...id, "listenrain.role": "client" };
        assert.equal(value(all, "listenrain.requests.received", server), 3);
        assert.equal(value(all, "listenrain.requests.sent", client), 3);
        assert.equal(value(all, "listenrain.error_replies.sent", server), 1);
        assert.equal(
          value(all, "listenrain.error_replies.received", client),
          1,
        );
        assert.equal(value(all, "listenrain.requests.in_flight", client), 0);
        assert.equal(value(all, "listenrain.send_queue.bytes", server), 0);
        const bytesIn = value(all, "listenrain.bytes.received", server);
        assert.ok(bytesIn > 2000, String(bytesIn));
        assert.equal(value(all, "listenrain.bytes.sent", client), bytesIn);
        assert.ok(value(all, "listenrain.frames.received", server) >= 3);
        assert.equal(value(all, "listenrain.server.connections", id), 1);
        assert.equal(
          value(all, "listenrain.server.connections.accepted", id),
          1,
        );
        assert.equal(value(all, "listenrain.client.connections", id), 1);
        assert.equal(value(all, "listenrain.client.connects", id), 1);
        assert.equal(value(all, "listenrain.client.reconnects", id), 0);

        const bytes = all.get("listenrain.bytes.received")!;
        assert.equal(bytes.descriptor.unit, "By");
        // Totals are monotonic sums (Prometheus counters); values of now not.
        const monotonic = (name: string) => {
          const metric = all.get(name);
          assert.equal(metric?.dataPointType, DataPointType.SUM, name);
          return metric.isMonotonic;
        };
        assert.equal(monotonic("listenrain.bytes.received"), true);
        assert.equal(monotonic("listenrain.requests.in_flight"), false);
        assert.equal(monotonic("listenrain.server.connections"), false);

        // Read again at the next collection: new traffic shows.
        await within(10_000, "call", pair.client.request("echo", "again"));
        all = await sdk.metrics();
        assert.equal(value(all, "listenrain.requests.received", server), 4);

        // After close(), nothing more is observed: the SDK keeps reporting
        // the last value (cumulative), new traffic no longer shows.
        observed.close();
        await within(10_000, "call", pair.client.request("echo", "unseen"));
        all = await sdk.metrics();
        assert.equal(value(all, "listenrain.requests.received", server), 4);
        assert.equal(pair.server.connectionStats.requestsReceived, 5);
      } finally {
        observed.close();
        await pair.close();
        await sdk.shutdown();
      }
    },
  );
});
