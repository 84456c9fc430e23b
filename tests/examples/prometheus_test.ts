/**
 * examples/prometheus.ts: the statistics of a server and a client, served in
 * Prometheus' text format over HTTP on 127.0.0.1 by this runtime's own HTTP
 * server, fetched once.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { main, prometheusText } from "../../examples/prometheus.ts";
import { createStats } from "../../src/transport/stats.ts";
import { within } from "../lifecycle/_helpers.ts";

/** The value of `name` with exactly `labels` in the exposition `text`. */
function sample(text: string, name: string, labels = ""): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `));
  assert.ok(line, `no sample ${name}${labels} in:\n${text}`);
  return Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("examples/prometheus: statistics in Prometheus text format", () => {
  it("serves /metrics over HTTP with the server's and the client's counters", async () => {
    const logged: string[] = [];
    const demo = await within(
      20_000,
      "example",
      main((line) => logged.push(line), 0),
    );
    try {
      assert.match(demo.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const response = await within(10_000, "fetch", fetch(demo.url));
      assert.equal(response.status, 200);
      assert.match(
        response.headers.get("content-type") ?? "",
        /^text\/plain; version=0\.0\.4/,
      );
      const text = await response.text();
      // 3 sayhi + fail + slow + the slow one that timed out.
      assert.equal(
        sample(text, "listenrain_requests_received_total", '{role="server"}'),
        6,
      );
      assert.equal(
        sample(text, "listenrain_requests_sent_total", '{role="client"}'),
        6,
      );
      assert.equal(
        sample(
          text,
          "listenrain_error_replies_received_total",
          '{role="client"}',
        ),
        1,
      );
      assert.equal(
        sample(text, "listenrain_request_timeouts_total", '{role="client"}'),
        1,
      );
      assert.equal(
        sample(text, "listenrain_slow_requests_total", '{role="server"}'),
        1,
      );
      assert.equal(sample(text, "listenrain_server_connections"), 1);
      assert.equal(sample(text, "listenrain_client_connects_total"), 1);
      assert.equal(sample(text, "listenrain_client_reconnects_total"), 0);
      assert.ok(
        sample(text, "listenrain_received_bytes_total", '{role="server"}') >
          0,
      );
      assert.match(
        text,
        /^# TYPE listenrain_requests_in_flight gauge$/m,
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

  it("prometheusText writes HELP, TYPE and escaped labels", () => {
    const stats = createStats();
    stats.requestsSent = 3;
    const text = prometheusText([
      { labels: { peer: 'a"b\\c' }, stats },
    ]);
    assert.match(
      text,
      /^# HELP listenrain_requests_sent_total Requests sent\.$/m,
    );
    assert.match(text, /^# TYPE listenrain_requests_sent_total counter$/m);
    assert.match(
      text,
      /^listenrain_requests_sent_total\{peer="a\\"b\\\\c"\} 3$/m,
    );
    assert.ok(text.endsWith("\n"));
  });
});
