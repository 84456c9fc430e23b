/**
 * Observability: slow-request hooks, and the pool's and the server's
 * counters (the logger hook is tested in tests/logging/).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryNetwork } from "../../src/channel/memory_network.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import type { SlowRequest } from "../../src/transport/slow_request.ts";
import type { Envelope } from "../../src/codec/envelope.ts";
import { TimeoutError } from "../../src/errors.ts";
import { jsonClient, memoryServer } from "../lifecycle/_helpers.ts";
import { requestOf, sleep, transports, until } from "../_helpers/pair.ts";

const bytes = (n: number) => new Uint8Array([n]);

/** A handler that replies after `body[0]` ms (or at once for 0). */
const sleepy = async (message: Envelope): Promise<Envelope> => {
  if (message.body[0] > 0) await sleep(message.body[0]);
  return { kind: "reply", id: 0, route: "", body: message.body };
};

describe("slow requests", () => {
  it(
    "reports an outgoing request slower than the threshold once, with its reply",
    { timeout: 30_000 },
    async () => {
      const slow: SlowRequest<Envelope>[] = [];
      const { client, close } = transports({ handler: sleepy }, {
        slowRequestThreshold: 100,
        onSlowRequest: (request) => slow.push(request),
      });
      try {
        await client.request(requestOf("fast", bytes(0)));
        await client.request(requestOf("slow", bytes(250)));
        assert.equal(slow.length, 1);
        const [report] = slow;
        assert.equal(report.direction, "outgoing");
        assert.equal(report.outcome, "reply");
        assert.equal(report.request.route, "slow");
        assert.ok(report.elapsed >= 100, `elapsed ${report.elapsed}`);
        assert.equal(client.stats.slowRequests, 1);
      } finally {
        await close();
      }
    },
  );

  it("reports a slow incoming request on the side that handled it", {
    timeout: 30_000,
  }, async () => {
    const slow: SlowRequest<Envelope>[] = [];
    const { server, client, close } = transports({
      handler: sleepy,
      slowRequestThreshold: 100,
      onSlowRequest: (request) => slow.push(request),
    });
    try {
      await client.request(requestOf("fast", bytes(0)));
      await client.request(requestOf("slow", bytes(250)));
      assert.equal(slow.length, 1);
      assert.equal(slow[0].direction, "incoming");
      assert.equal(slow[0].outcome, "reply");
      assert.equal(slow[0].request.route, "slow");
      assert.equal(server.stats.slowRequests, 1);
      assert.equal(client.stats.slowRequests, 0, "the client times nothing");
    } finally {
      await close();
    }
  });

  it("reports timeouts and error replies with their outcome", async () => {
    const slow: SlowRequest<Envelope>[] = [];
    const { client, close } = transports({
      handler: async (message) => {
        await sleep(message.body[0]);
        throw new Error("late and wrong");
      },
    }, {
      slowRequestThreshold: 10,
      onSlowRequest: (request) => slow.push(request),
    });
    try {
      const timedOut = await client.request(requestOf("t", bytes(200)), {
        timeout: 30,
      }).catch((e) => e);
      assert.ok(timedOut instanceof TimeoutError);
      await client.request(requestOf("e", bytes(30))).catch(() => {});
      assert.deepEqual(slow.map((s) => s.outcome), ["timeout", "error"]);
    } finally {
      await close();
    }
  });

  it("times nothing without onSlowRequest, and a throwing hook goes to onError", async () => {
    const untimed = transports({ handler: sleepy }, {
      slowRequestThreshold: 1,
    });
    try {
      await untimed.client.request(requestOf("slow", bytes(20)));
      assert.equal(untimed.client.stats.slowRequests, 0);
    } finally {
      await untimed.close();
    }

    const errors: unknown[] = [];
    const { client, close } = transports({ handler: sleepy }, {
      slowRequestThreshold: 1,
      onSlowRequest: () => {
        throw new Error("hook failed");
      },
      onError: (error) => errors.push(error),
    });
    try {
      const reply = await client.request(requestOf("slow", bytes(20)));
      assert.deepEqual(reply.body, bytes(20));
      assert.equal(errors.length, 1);
      assert.match(String(errors[0]), /hook failed/);
    } finally {
      await close();
    }
  });

  it("rejects a negative threshold", () => {
    assert.throws(
      () => transports({}, { slowRequestThreshold: -1 }),
      RangeError,
    );
  });
});

describe("pool and server statistics", () => {
  it("counts connects, reconnects, connect errors and disconnects", async () => {
    const { server, key, dial } = await memoryServer("stats-pool");
    const client = jsonClient(key, dial, {
      reconnect: { initialDelay: 5, maxDelay: 20, jitter: 0 },
    });
    try {
      assert.equal(await client.request("echo", 1), 1);
      assert.deepEqual(client.pool.stats, {
        connections: 1,
        connects: 1,
        reconnects: 0,
        connectErrors: 0,
        disconnects: 0,
      });
      // The server drops the connection: the pool reconnects by itself.
      await server.connections[0].close("dropped");
      await until(() => client.pool.stats.reconnects === 1, 5000, "reconnect");
      assert.equal(await client.request("echo", 2), 2);
      const stats = client.pool.stats;
      assert.equal(stats.connects, 2);
      assert.equal(stats.disconnects, 1);
      assert.equal(stats.connections, 1);

      // Another key nobody listens on: a connect error.
      await client.request("echo", 3, { key: "mem://nobody" }).catch(() => {});
      assert.equal(client.pool.stats.connectErrors, 1);

      // The closed transport's counters stay in the sums.
      assert.equal(client.pool.connectionStats.requestsSent, 2);
      assert.equal(client.pool.connectionStats.repliesReceived, 2);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("sums every connection's counters, the closed ones included", async () => {
    const network = new MemoryNetwork();
    const { server, key, dial } = await memoryServer(
      "stats-server",
      {},
      network,
    );
    try {
      for (let i = 0; i < 3; i++) {
        const client = jsonClient(key, dial, { body: jsonBody });
        assert.equal(await client.request("echo", i), i);
        await client.request("fail", null).catch(() => {});
        await client.close();
      }
      await until(() => server.stats.connections === 0, 5000, "closes");
      const totals = server.connectionStats;
      assert.equal(totals.requestsReceived, 6);
      assert.equal(totals.repliesSent, 6);
      assert.equal(totals.errorRepliesSent, 3);
      assert.equal(totals.pending, 0);
      assert.ok(totals.bytesIn > 0 && totals.bytesOut > 0);
      assert.equal(totals.framesIn, 6);
      assert.equal(server.stats.accepted, 3);
    } finally {
      await server.close();
    }
  });
});
