/**
 * Requests with the connection's default timeout share one deadline timer
 * (the pending table is in deadline order): each still times out on time,
 * and no timer is left once nothing waits. A request with its own timeout
 * keeps a timer of its own. A closed loop (the next request sent when the
 * reply came) arms the runtime timer once, not once per round trip.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Connection, Router, TimeoutError } from "../../mod.ts";
import { TimerHeap } from "../../advanced.ts";
import { createMemoryPipe } from "../../testing.ts";

describe("the default deadline", () => {
  it("100 requests sent over 40 ms with the default timeout each time out on time, on one timer", async () => {
    const timers = new TimerHeap();
    const router = new Router().handle("never", () => new Promise(() => {}));
    const [a, b] = createMemoryPipe();
    const server = new Connection(a, { router });
    const client = new Connection<typeof router>(b, { timeout: 150, timers });
    const outcomes: Promise<number>[] = [];
    for (let i = 0; i < 100; i++) {
      const sent = performance.now();
      outcomes.push(
        client.request("never", new Uint8Array([i])).then(
          () => assert.fail("no reply can come"),
          (error) => {
            assert.ok(error instanceof TimeoutError, String(error));
            return performance.now() - sent;
          },
        ),
      );
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 4));
    }
    // One timer holds all their deadlines (not one per request).
    assert.equal(client.inFlight, 100);
    assert.ok(timers.size <= 1, `${timers.size} timers for 100 requests`);
    const elapsed = await Promise.all(outcomes);
    for (const ms of elapsed) {
      assert.ok(ms >= 149, `timed out after ${ms} ms, before its 150 ms`);
    }
    // Nothing waits: no timer is left (the fence that frees the ids may
    // still be out; its pong comes back).
    for (let i = 0; i < 100 && timers.size > 0; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(client.inFlight, 0);
    assert.equal(timers.size, 0);
    await client.close();
    await server.close();
  });

  it("a request with its own timeout keeps its own timer and expires first", async () => {
    const timers = new TimerHeap();
    const router = new Router().handle("never", () => new Promise(() => {}));
    const [a, b] = createMemoryPipe();
    const server = new Connection(a, { router });
    const client = new Connection<typeof router>(b, { timeout: 5_000, timers });
    const slow = client.request("never", new Uint8Array([1]));
    const quick = client.request("never", new Uint8Array([2]), { timeout: 30 });
    assert.equal(timers.size, 2);
    await assert.rejects(quick, TimeoutError);
    assert.equal(client.inFlight, 1);
    await client.close();
    await assert.rejects(slow); // closed, not timed out
    await server.close();
    assert.equal(timers.size, 0);
  });

  it("closed loops of requests arm the runtime timer once, not once per round trip; it is cleared once nothing waits", async () => {
    let armed = 0;
    let cleared = 0;
    let handle: unknown;
    const timers = new TimerHeap({
      setTimer: (callback, ms) => {
        armed++;
        return handle = setTimeout(callback, ms);
      },
      clearTimer: (handle) => {
        cleared++;
        clearTimeout(handle as ReturnType<typeof setTimeout>);
      },
    });
    const router = new Router().handle("echo", (body: Uint8Array) => body);
    const [a, b] = createMemoryPipe();
    const server = new Connection(a, { router });
    const client = new Connection<typeof router>(b, {
      timeout: 30_000,
      timers,
    });
    for (const loops of [1, 16]) {
      await Promise.all(Array.from({ length: loops }, async (_, slot) => {
        for (let i = 0; i < 200; i++) {
          const reply = await client.request("echo", new Uint8Array([slot, i]));
          assert.deepEqual([...reply], [slot, i]);
        }
      }));
    }
    // 3,400 round trips (each emptied the pending table): one timer.
    assert.equal(armed, 1, `the runtime timer was armed ${armed} times`);
    // Nothing waits: the timer goes within a few microtasks.
    for (let i = 0; i < 10 && timers.size > 0; i++) await Promise.resolve();
    assert.equal(timers.size, 0);
    // Cleared, or (a handle with unref(): Node's, Bun's) parked unreferenced.
    const { hasRef } = handle as { hasRef?: () => boolean };
    if (typeof hasRef === "function") {
      assert.equal(cleared, 0);
      assert.equal(hasRef.call(handle), false);
    } else assert.equal(cleared, 1);
    await client.close();
    await server.close();
  });

  it("the requests of one turn read the clock once for their deadlines, and still time out no earlier than the timeout", async () => {
    let readings = 0;
    const timers = new TimerHeap({
      now: () => {
        readings++;
        return performance.now();
      },
    });
    const router = new Router().handle("never", () => new Promise(() => {}));
    const [a, b] = createMemoryPipe();
    const server = new Connection(a, { router });
    const client = new Connection<typeof router>(b, { timeout: 60, timers });
    const sent = performance.now();
    const outcomes = Array.from(
      { length: 200 },
      (_, i) =>
        client.request("never", Uint8Array.of(i)).then(
          () => assert.fail("no reply can come"),
          (error) => {
            assert.ok(error instanceof TimeoutError, String(error));
            return performance.now() - sent;
          },
        ),
    );
    await Promise.resolve();
    // The sweep timer's schedule and the turn's one stamp (not 200 reads).
    assert.ok(readings <= 3, `${readings} clock readings for 200 requests`);
    for (const ms of await Promise.all(outcomes)) {
      assert.ok(ms >= 59, `timed out after ${ms} ms, before its 60 ms`);
    }
    await client.close();
    await server.close();
  });
});
