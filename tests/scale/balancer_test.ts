import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client/client.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { ListResolver } from "../../src/resolve/resolver.ts";
import type { BalancerName } from "../../src/client/balancer.ts";
import { ConnectionClosedError } from "../../src/errors.ts";
import { startServers } from "./_servers.ts";
import { sleep, until } from "../lifecycle/_helpers.ts";

function clientOf(
  keys: string[],
  dial: import("../../src/client/dialers.ts").DialFunction,
  balancer: BalancerName,
  extra: Partial<import("../../src/client/client_options.ts").ClientOptions> =
    {},
) {
  const resolver = new ListResolver(keys);
  const client = new Client({
    resolver,
    balancer,
    dial,
    body: jsonBody,
    timeout: 10_000,
    ...extra,
  });
  return { client, resolver };
}

for (const net of ["mem", "tcp"] as const) {
  describe(`balancers over ${net}`, () => {
    it("round robin spreads requests evenly over 4 servers", {
      timeout: 30_000,
    }, async () => {
      const s = await startServers(4, net);
      const { client } = clientOf(s.keys, s.dial, "round_robin");
      try {
        // Warm up: every endpoint connected.
        await client.request("who", null);
        await until(
          () => client.pool.connections().length === 4,
          5_000,
          "4 connections",
        );
        s.counts.fill(0);
        for (let i = 0; i < 400; i++) await client.request("who", null);
        assert.deepEqual(s.counts, [100, 100, 100, 100]);
      } finally {
        await client.close();
        await s.close();
      }
    });

    it(
      "p2c sends clearly less to a slow server",
      { timeout: 60_000 },
      async () => {
        const s = await startServers(4, net, [40, 0, 0, 0]);
        const { client } = clientOf(s.keys, s.dial, "p2c");
        try {
          await client.request("who", null);
          await until(
            () => client.pool.connections().length === 4,
            5_000,
            "4 connections",
          );
          s.counts.fill(0);
          // 16 workers × 50 requests: the slow server's queue grows, so p2c avoids it.
          await Promise.all(Array.from({ length: 16 }, async () => {
            for (let i = 0; i < 50; i++) await client.request("who", null);
          }));
          const total = s.counts.reduce((a, b) => a + b, 0);
          assert.equal(total, 800);
          const fast = (total - s.counts[0]) / 3;
          assert.ok(
            s.counts[0] < fast / 2,
            `slow ${s.counts[0]} vs fast ${fast}: ${s.counts}`,
          );
        } finally {
          await client.close();
          await s.close();
        }
      },
    );

    it(
      "hashing: the same key, the same server; removing 1 of 4 moves about a quarter",
      { timeout: 60_000 },
      async () => {
        const s = await startServers(4, net);
        const { client, resolver } = clientOf(s.keys, s.dial, "hash");
        try {
          const keys = Array.from({ length: 400 }, (_, i) => `tenant-${i}`);
          const where = async () => {
            const out: number[] = [];
            for (const hashKey of keys) {
              out.push(await client.request("who", null, { hashKey }));
            }
            return out;
          };
          const first = await where();
          assert.deepEqual(await where(), first, "same key, same server");
          const share = [0, 1, 2, 3].map((i) =>
            first.filter((w) => w === i).length
          );
          for (const n of share) {
            assert.ok(n > 60 && n < 140, `spread ${share}`);
          }
          resolver.set(s.keys.filter((_, i) => i !== 3));
          await sleep(20); // the client takes the new set (asynchronously)
          const after = await where();
          const moved = after.filter((w, i) => w !== first[i]).length;
          // Exactly the keys of the removed server move, and only those.
          assert.equal(moved, share[3]);
          assert.ok(after.every((w, i) => first[i] === 3 || w === first[i]));
          assert.ok(moved > 60 && moved < 140, `moved ${moved} of 400`);
        } finally {
          await client.close();
          await s.close();
        }
      },
    );

    it(
      "a resolver change adds endpoints and drains removed ones without failing requests",
      { timeout: 60_000 },
      async () => {
        const s = await startServers(4, net, [30, 30, 30, 30]);
        const { client, resolver } = clientOf(
          s.keys.slice(0, 2),
          s.dial,
          "round_robin",
        );
        try {
          await client.request("who", null);
          const first = Array.from(
            { length: 40 },
            () => client.request("who", null),
          );
          await sleep(5);
          resolver.set(s.keys.slice(2)); // 0 and 1 drain with requests in flight
          const results = await Promise.allSettled(first);
          assert.deepEqual(
            results.filter((r) => r.status === "rejected"),
            [],
          );
          await until(
            () =>
              client.pool.connections(s.keys[2]).length > 0 &&
              client.pool.connections(s.keys[3]).length > 0,
            5_000,
            "new endpoints connected",
          );
          s.counts.fill(0);
          const next = await Promise.all(
            Array.from({ length: 40 }, () => client.request("who", null)),
          );
          assert.ok(next.every((w) => w === 2 || w === 3), `went to ${next}`);
          assert.deepEqual(s.counts.slice(2).map((n) => n > 0), [true, true]);
          await until(
            () =>
              client.pool.connections(s.keys[0]).length === 0 &&
              client.pool.connections(s.keys[1]).length === 0,
            5_000,
            "drained and closed",
          );
        } finally {
          await client.close();
          await s.close();
        }
      },
    );

    it(
      "ejects a failed endpoint, sends nothing to it while others are up, and takes it back",
      { timeout: 60_000 },
      async () => {
        const s = await startServers(3, net);
        const { client } = clientOf(s.keys, s.dial, "round_robin", {
          outlier: { failures: 2, ejectTime: 300, maxEjectTime: 300 },
          reconnect: { initialDelay: 50, maxDelay: 100 },
        });
        try {
          await client.request("who", null);
          await until(
            () => client.pool.connections().length === 3,
            5_000,
            "3 connections",
          );
          await s.stop(0);
          // Known down: the client saw its connection go.
          await until(
            () => client.pool.connections(s.keys[0]).length === 0,
            5_000,
            "disconnect",
          );
          // Every request succeeds without retries: none is sent to the dead one.
          const seen = new Set<number>();
          for (let i = 0; i < 60; i++) {
            seen.add(await client.request("who", null));
          }
          assert.ok(!seen.has(0));
          await sleep(100);
          await s.restart(0);
          // Once its ejection is over, it is tried again and takes requests.
          await until(
            () => {
              void client.request("who", null).catch(() => {});
              return s.counts[0] > 0;
            },
            5_000,
            "the endpoint back",
          );
        } finally {
          await client.close();
          await s.close();
        }
      },
    );

    it(
      "retries of a request go to another endpoint",
      { timeout: 30_000 },
      async () => {
        const s = await startServers(2, net);
        const { client } = clientOf(s.keys, s.dial, "hash", { retry: 1 });
        try {
          const home = await client.request("who", null, { hashKey: "k" });
          const connection = client.pool.connections(s.keys[home])[0];
          // The key's server drops its connection while the request is in flight.
          s.counts.fill(0);
          const pending = client.request("who", null, { hashKey: "k" });
          void connection.close("cut");
          assert.equal(await pending, 1 - home);
        } finally {
          await client.close();
          await s.close();
        }
      },
    );
  });
}

describe("resolver options", () => {
  it("refuses a resolver with an endpoint, and a balancer without a resolver", () => {
    const dial = () => Promise.reject(new ConnectionClosedError("no"));
    assert.throws(
      () =>
        new Client({
          resolver: new ListResolver([]),
          endpoint: "mem://a",
          dial,
        }),
      TypeError,
    );
    assert.throws(
      () => new Client({ endpoint: "mem://a", balancer: "p2c", dial }),
      TypeError,
    );
    assert.throws(
      () =>
        new Client({
          resolver: new ListResolver([]),
          balancer: "nope" as never,
          dial,
        }),
      TypeError,
    );
  });
});
