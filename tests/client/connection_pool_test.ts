import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { MemoryChannel } from "../../src/channel/memory_pipe.ts";
import { MemoryNetwork } from "../../src/channel/memory_network.ts";
import type { DialFunction } from "../../src/client/dialers.ts";
import type { PoolEvent } from "../../src/client/pool_event.ts";
import {
  ConnectionPool,
  type ConnectionPoolOptions,
} from "../../src/client/connection_pool.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { Connection } from "../../src/connection/connection.ts";
import {
  AbortedError,
  ConnectError,
  ConnectionClosedError,
} from "../../src/errors.ts";
import {
  countingDial,
  memoryServer,
  sleep,
  until,
  within,
} from "../lifecycle/_helpers.ts";

function poolOf(
  dial: DialFunction,
  options: Partial<ConnectionPoolOptions> = {},
): ConnectionPool {
  return new ConnectionPool({
    connect: async (key, { signal }) =>
      new Connection(await dial(key, { signal }), { body: jsonBody }),
    ...options,
  });
}

function record(pool: ConnectionPool): string[] {
  const events: string[] = [];
  for (const type of ["connect", "disconnect", "connecterror"]) {
    pool.addEventListener(type, (event) => {
      const e = event as PoolEvent;
      events.push(`${type}:${e.attempt}`);
    });
  }
  return events;
}

describe("ConnectionPool", () => {
  it("opens one connection for 1,000 concurrent first requests (single flight)", async () => {
    const { server, key, dial } = await memoryServer();
    const counted = countingDial(dial);
    const pool = poolOf(counted);
    const transports = await within(
      10_000,
      "1000 gets",
      Promise.all(Array.from({ length: 1000 }, () => pool.get(key))),
    );
    assert.equal(counted.count, 1);
    assert.equal(new Set(transports).size, 1);
    assert.equal(server.stats.accepted, 1);
    const replies = await Promise.all(
      transports.map((t, i) => t.request("echo", i)),
    );
    assert.equal(replies.length, 1000);
    await pool.close();
    await server.close();
  });

  it("opens exactly `size` connections and picks the one with the fewest in flight", async () => {
    const { server, key, dial } = await memoryServer();
    const counted = countingDial(dial);
    const pool = poolOf(counted, { size: 4 });
    const transports = await Promise.all(
      Array.from({ length: 1000 }, () => pool.get(key)),
    );
    await until(
      () => pool.connections(key).length === 4,
      5000,
      "four transports",
    );
    assert.equal(counted.count, 4);
    assert.ok(new Set(transports).size >= 1);
    // Load all but one transport; the next get must pick the idle one.
    const all = pool.connections(key);
    const busy = all.slice(0, 3).map((t) => t.request("slow", { ms: 100 }));
    const chosen = await pool.get(key);
    assert.equal(chosen, all[3]);
    await Promise.all(busy);
    assert.equal(counted.count, 4);
    await pool.close();
    await server.close();
  });

  it("drops a dead transport and replaces it on the next get", async () => {
    const { server, key, network } = await memoryServer();
    const channels: MemoryChannel[] = [];
    const pool = poolOf(async (k, o) => {
      const channel = await network.dial(k, o);
      channels.push(channel);
      return channel;
    }, { reconnect: false });
    const events = record(pool);
    const first = await pool.get(key);
    await first.request("echo", 1); // healthy: its loss resets the backoff
    const pending = first.request("slow", { ms: 1000 });
    channels[0].reset();
    await assert.rejects(pending, ConnectionClosedError);
    await until(
      () => pool.connections(key).length === 0,
      5000,
      "dead transport dropped",
    );
    const second = await pool.get(key);
    assert.notEqual(second, first);
    assert.equal(channels.length, 2);
    assert.deepEqual(events, ["connect:1", "disconnect:0", "connect:1"]);
    await pool.close();
    await server.close();
  });

  it("evicts transports idle for idleTimeout, and not busy ones", {
    timeout: 30_000,
  }, async () => {
    const { server, key, dial } = await memoryServer();
    const counted = countingDial(dial);
    const pool = poolOf(counted, { idleTimeout: 60 });
    const events = record(pool);
    const transport = await pool.get(key);
    // Busy for longer than idleTimeout: it stays.
    await transport.request("slow", { ms: 150 });
    assert.equal(pool.connections(key).length, 1);
    await within(5000, "eviction", transport.closed);
    assert.match(String(transport.closedReason?.message), /Idle for 60 ms/);
    await sleep(100);
    assert.equal(counted.count, 1, "an evicted transport is not reconnected");
    assert.deepEqual(events, ["connect:1", "disconnect:0"]);
    assert.equal((await pool.get(key)).canRequest, true);
    assert.equal(counted.count, 2);
    await pool.close();
    await server.close();
  });

  it("drop(key) closes the key's transports and rejects their pending requests", async () => {
    const { server, key, dial } = await memoryServer();
    const counted = countingDial(dial);
    const pool = poolOf(counted);
    const transport = await pool.get(key);
    const pending = transport.request("slow", { ms: 5000 });
    await pool.drop(key);
    await assert.rejects(pending, ConnectionClosedError);
    assert.deepEqual(pool.keys, []);
    const again = await pool.get(key);
    assert.notEqual(again, transport);
    assert.equal(counted.count, 2);
    await pool.drop("mem://unknown");
    await pool.close();
    await server.close();
  });

  it("close() closes everything, rejects waiters, and refuses new gets", async () => {
    const network = new MemoryNetwork();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => release = resolve);
    const listener = await network.listen("mem://slow");
    const pool = poolOf(async (k, o) => {
      await gate;
      return network.dial(k, o);
    });
    const waiting = pool.get("mem://slow");
    const closing = pool.close();
    await assert.rejects(waiting, ConnectionClosedError);
    release();
    await closing;
    await assert.rejects(pool.get("mem://slow"), /closed/);
    assert.equal(pool.tryGet("mem://slow"), undefined);
    await sleep(10);
    assert.equal(
      pool.connections().length,
      0,
      "a transport that came late was closed",
    );
    listener.close();
  });

  it("fails fast while backing off, and waitForReady waits for the next attempt", async () => {
    const network = new MemoryNetwork();
    const counted = countingDial((k, o) => network.dial(k, o));
    const pool = poolOf(counted, {
      reconnect: { initialDelay: 80, jitter: 0 },
    });
    const events = record(pool);
    await assert.rejects(pool.get("mem://late"), (e: unknown) => {
      assert.ok(e instanceof ConnectError);
      assert.match(e.message, /connection refused/);
      return true;
    });
    await assert.rejects(pool.get("mem://late"), /next attempt in \d+ ms/);
    assert.equal(counted.count, 1, "no attempt while backing off");
    const ready = pool.get("mem://late", { waitForReady: true });
    const listener = await network.listen("mem://late");
    const transport = await within(5000, "waitForReady", ready);
    assert.ok(transport.canRequest);
    assert.equal(counted.count, 2);
    assert.deepEqual(events, ["connecterror:1", "connect:2"]);
    // A signal stops the waiting.
    const controller = new AbortController();
    await pool.drop("mem://late");
    listener.close();
    await assert.rejects(pool.get("mem://late"), ConnectError);
    const aborted = pool.get("mem://late", {
      waitForReady: true,
      signal: controller.signal,
    });
    controller.abort();
    await assert.rejects(aborted, AbortedError);
    await pool.close();
  });

  it("reconnects in the background with growing, bounded delays, observably", async () => {
    const { network, server, key, dial } = await memoryServer("bg");
    const counted = countingDial(dial);
    const pool = poolOf(counted, {
      reconnect: { initialDelay: 10, maxDelay: 40, jitter: 0 },
    });
    const delays: (number | undefined)[] = [];
    pool.addEventListener(
      "connecterror",
      (e) => delays.push((e as PoolEvent).delay),
    );
    const connected: number[] = [];
    pool.addEventListener(
      "connect",
      (e) => connected.push((e as PoolEvent).attempt),
    );
    await (await pool.get(key)).request("echo", 1);
    await server.close();
    await until(() => delays.length >= 4, 5000, "four failed attempts");
    assert.deepEqual(delays.slice(0, 4), [10, 20, 40, 40]);
    const restarted = await memoryServer("bg", {}, network);
    await until(() => connected.length === 2, 5000, "reconnected");
    assert.ok(connected[1] >= 5, `attempt ${connected[1]}`);
    const transport = pool.tryGet(key);
    assert.ok(transport?.canRequest);
    await pool.close();
    await restarted.server.close();
  });

  it("stops reconnecting after maxAttempts; the next get tries again", async () => {
    const network = new MemoryNetwork();
    const first = await memoryServer("gone", {}, network);
    const counted = countingDial(first.dial);
    const pool = poolOf(counted, {
      reconnect: { initialDelay: 5, maxDelay: 5, jitter: 0, maxAttempts: 3 },
    });
    const errors: (number | undefined)[] = [];
    pool.addEventListener(
      "connecterror",
      (e) => errors.push((e as PoolEvent).delay),
    );
    await (await pool.get(first.key)).request("echo", 1);
    await first.server.close();
    await until(() => errors.length === 3, 5000, "three attempts");
    await sleep(50);
    assert.equal(errors.length, 3);
    assert.equal(errors[2], undefined, "no attempt planned after the last");
    const second = await memoryServer("gone", {}, network);
    assert.ok(await within(5000, "get after giving up", pool.get(first.key)));
    await pool.close();
    await second.server.close();
  });

  it("counts a connection lost before any reply as a failed attempt", async () => {
    const { network, server, key, dial } = await memoryServer("flaky");
    const pool = poolOf(dial, { reconnect: { initialDelay: 30, jitter: 0 } });
    const delays: (number | undefined)[] = [];
    pool.addEventListener(
      "connecterror",
      (e) => delays.push((e as PoolEvent).delay),
    );
    await pool.get(key);
    await server.close(); // before any reply: the connection proved nothing
    await until(() => delays.length >= 1, 5000, "a failed attempt");
    assert.equal(delays[0], 60, "the lost connection counted as attempt 1");
    const back = await memoryServer("flaky", {}, network);
    await within(5000, "reconnect", pool.get(key, { waitForReady: true }));
    await pool.close();
    await back.server.close();
  });

  it(
    "backs off from a server that accepts and closes at once instead of hammering it",
    { timeout: 30_000 },
    async () => {
      const { server, key, dial } = await memoryServer("full", {
        maxConnections: 1,
      });
      const blocker = poolOf(dial);
      await blocker.get(key);
      const counted = countingDial(dial);
      const pool = poolOf(counted, {
        reconnect: { initialDelay: 20, jitter: 0 },
      });
      const transport = await pool.get(key);
      await assert.rejects(
        transport.request("echo", 1),
        /maxConnections 1/,
      );
      await sleep(300);
      assert.ok(counted.count <= 6, `${counted.count} attempts in 300 ms`);
      assert.ok(server.stats.rejected >= 1);
      await pool.close();
      await blocker.close();
      await server.close();
    },
  );

  it("checks its options", () => {
    const connect = () => Promise.reject(new Error("x"));
    assert.throws(
      () => new ConnectionPool({} as ConnectionPoolOptions),
      TypeError,
    );
    assert.throws(() => new ConnectionPool({ connect, size: 0 }), RangeError);
    assert.throws(
      () => new ConnectionPool({ connect, reconnect: { maxAttempts: 0 } }),
      RangeError,
    );
    assert.throws(
      () => new ConnectionPool({ connect, reconnect: { jitter: 3 } }),
      RangeError,
    );
    assert.throws(
      () => new ConnectionPool({ connect }).tryGet("bad"),
      TypeError,
    );
  });
});
