/**
 * examples/prometheus.ts: a server's and a client's OpenTelemetry metrics
 * (otelInterceptor's duration histograms and observeStats' statistics),
 * serialized by @opentelemetry/exporter-prometheus and served over HTTP on
 * 127.0.0.1 by this runtime's own HTTP server, scraped for real.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { main } from "../../examples/prometheus.ts";
import { within } from "../lifecycle/_helpers.ts";

/** The value of `name` with exactly `labels` in the exposition `text`. */
function sample(text: string, name: string, labels = ""): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `));
  assert.ok(line, `no sample ${name}${labels} in:\n${text}`);
  return Number(line.slice(line.lastIndexOf(" ") + 1));
}

async function scrape(url: string): Promise<string> {
  const response = await within(10_000, "fetch", fetch(url));
  assert.equal(response.status, 200);
  assert.match(
    response.headers.get("content-type") ?? "",
    /^text\/plain; version=0\.0\.4/,
  );
  return await response.text();
}

const SERVER = '{listenrain_role="server"}';
const CLIENT = '{listenrain_role="client"}';

describe("examples/prometheus: OpenTelemetry metrics in Prometheus text format", () => {
  it("serves /metrics over HTTP with the statistics and the call durations", {
    timeout: 60_000,
  }, async () => {
    const logged: string[] = [];
    const demo = await within(
      20_000,
      "example",
      main((line) => logged.push(line), 0),
    );
    try {
      assert.match(demo.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      // The call that timed out rejects at its deadline; the request under
      // the interceptors expires on its own timer a moment later (then it
      // counts as a timeout and is no longer in flight).
      let text = await scrape(demo.url);
      for (let i = 0; i < 100; i++) {
        if (sample(text, "listenrain_requests_in_flight", CLIENT) === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
        text = await scrape(demo.url);
      }

      // observeStats: 3 sayhi + fail + slow + the slow one that timed out.
      assert.equal(
        sample(text, "listenrain_requests_received_total", SERVER),
        6,
      );
      assert.equal(sample(text, "listenrain_requests_sent_total", CLIENT), 6);
      assert.equal(
        sample(text, "listenrain_error_replies_received_total", CLIENT),
        1,
      );
      assert.equal(
        sample(text, "listenrain_requests_timed_out_total", CLIENT),
        1,
      );
      assert.equal(sample(text, "listenrain_requests_slow_total", SERVER), 1);
      assert.equal(sample(text, "listenrain_server_connections"), 1);
      assert.equal(sample(text, "listenrain_client_connects_total"), 1);
      assert.equal(sample(text, "listenrain_client_reconnects_total"), 0);
      const bytes = sample(text, "listenrain_bytes_received_total", SERVER);
      assert.ok(bytes > 0, String(bytes));
      // (Not equal to the client's bytes sent: the cancel of the timed-out
      // request may still be on its way.)
      assert.ok(sample(text, "listenrain_bytes_sent_total", CLIENT) >= bytes);
      assert.equal(sample(text, "listenrain_requests_in_flight", CLIENT), 0);
      assert.match(text, /^# TYPE listenrain_requests_in_flight gauge$/m);
      assert.match(text, /^# TYPE listenrain_bytes_received_total counter$/m);
      assert.match(
        text,
        /^# HELP listenrain_requests_sent_total Requests sent\.$/m,
      );

      // otelInterceptor: the duration histograms, in seconds.
      assert.match(text, /^# TYPE rpc_server_call_duration histogram$/m);
      assert.match(text, /^# UNIT rpc_client_call_duration s$/m);
      const server = (method: string, extra = "") =>
        `{rpc_system_name="listenrain",rpc_method="${method}"${extra}}`;
      // The client's points also name the server's address and port.
      const client = (method: string, extra = "") => {
        const line = new RegExp(
          `^rpc_client_call_duration_count\\{rpc_system_name="listenrain",rpc_method="${method}",server_address="127\\.0\\.0\\.1",server_port="\\d+"${extra}\\} (\\d+)$`,
          "m",
        ).exec(text);
        assert.ok(line, `no client count for ${method}${extra} in:\n${text}`);
        return Number(line[1]);
      };
      assert.equal(
        sample(text, "rpc_server_call_duration_count", server("sayhi")),
        3,
      );
      assert.equal(
        sample(
          text,
          "rpc_server_call_duration_count",
          server("fail", ',error_type="NOPE",rpc_status_code="NOPE"'),
        ),
        1,
      );
      const slowSum = sample(
        text,
        "rpc_server_call_duration_sum",
        server("slow"),
      );
      assert.ok(slowSum >= 0.07 && slowSum < 10, `${slowSum} s`);
      assert.equal(
        sample(
          text,
          "rpc_server_call_duration_bucket",
          server("sayhi", ',le="+Inf"'),
        ),
        3,
      );
      assert.equal(client("sayhi"), 3);
      assert.equal(
        client("fail", ',error_type="NOPE",rpc_status_code="NOPE"'),
        1,
      );

      // Read at each scrape: more traffic shows in the next one.
      await within(10_000, "call", demo.client.request("sayhi", "again"));
      const again = await scrape(demo.url);
      assert.equal(
        sample(again, "listenrain_requests_received_total", SERVER),
        7,
      );
      assert.equal(
        sample(again, "rpc_server_call_duration_count", server("sayhi")),
        4,
      );

      assert.ok(
        logged.some((line) => /^slow incoming request \d+: \d+ ms/.test(line)),
        logged.join("\n"),
      );
      const missing = await within(
        10_000,
        "fetch",
        fetch(demo.url.replace("/metrics", "/other")),
      );
      assert.equal(missing.status, 404);
      await missing.body?.cancel();
    } finally {
      await demo.close();
    }
  });
});
