import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  BoundedExecutor,
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_QUEUE,
} from "../../src/executor/executor.ts";
import { deferred } from "../_helpers/pair.ts";

/** Lets pending promise callbacks run. */
async function ticks(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

function collecting(): { errors: unknown[]; onError: (e: unknown) => void } {
  const errors: unknown[] = [];
  return { errors, onError: (error) => errors.push(error) };
}

describe("BoundedExecutor", () => {
  it("BoundedExecutor has documented defaults", () => {
    assert.equal(DEFAULT_CONCURRENCY, 1024);
    assert.equal(DEFAULT_MAX_QUEUE, 65536);
    const executor = new BoundedExecutor();
    assert.equal(executor.active, 0);
    assert.equal(executor.queued, 0);
  });

  it("BoundedExecutor never runs more than concurrency async tasks at once", async () => {
    const executor = new BoundedExecutor({ concurrency: 3 });
    let running = 0;
    let maxRunning = 0;
    let done = 0;
    for (let i = 0; i < 50; i++) {
      assert.equal(
        executor.execute(async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          assert.ok(executor.active <= 3);
          await new Promise((resolve) => setTimeout(resolve, i % 3));
          running--;
          done++;
        }),
        true,
      );
    }
    assert.equal(executor.active, 3);
    assert.equal(executor.queued, 47);
    await executor.drain();
    assert.equal(maxRunning, 3);
    assert.equal(done, 50);
    assert.equal(executor.active, 0);
    assert.equal(executor.queued, 0);
  });

  it("BoundedExecutor refuses tasks when the queue is full", async () => {
    const executor = new BoundedExecutor({ concurrency: 2, maxQueue: 3 });
    const gate = deferred();
    let ran = 0;
    const task = async () => {
      ran++;
      await gate.promise;
    };
    const accepted = Array.from({ length: 8 }, () => executor.execute(task));
    assert.deepEqual(accepted, [
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    assert.equal(executor.active, 2);
    assert.equal(executor.queued, 3);
    gate.resolve();
    await executor.drain();
    assert.equal(ran, 5);
  });

  it("BoundedExecutor with maxQueue 0 runs or refuses, never queues", async () => {
    const executor = new BoundedExecutor({ concurrency: 1, maxQueue: 0 });
    const gate = deferred();
    assert.equal(executor.execute(() => gate.promise), true);
    assert.equal(executor.execute(() => {}), false);
    assert.equal(executor.queued, 0);
    gate.resolve();
    await executor.drain();
    assert.equal(executor.execute(() => {}), true);
  });

  it("BoundedExecutor starts queued tasks in FIFO order", async () => {
    const executor = new BoundedExecutor({ concurrency: 2 });
    const started: number[] = [];
    for (let i = 0; i < 100; i++) {
      executor.execute(async () => {
        started.push(i);
        await new Promise((resolve) => setTimeout(resolve, (i * 7) % 4));
      });
    }
    await executor.drain();
    assert.deepEqual(started, Array.from({ length: 100 }, (_, i) => i));
  });

  it("BoundedExecutor keeps FIFO order across ring buffer growth and wrap-around", async () => {
    const executor = new BoundedExecutor({ concurrency: 1 });
    const order: number[] = [];
    let gate = deferred();
    let next = 0;
    // Interleave pushes and shifts so the ring wraps, then grows while wrapped.
    for (let round = 0; round < 5; round++) {
      const current = gate;
      executor.execute(() => current.promise);
      for (let i = 0; i < 13 * (round + 1); i++) {
        const n = next++;
        executor.execute(() => void order.push(n));
      }
      gate = deferred();
      current.resolve();
      await ticks(3);
    }
    await executor.drain();
    assert.deepEqual(order, Array.from({ length: next }, (_, i) => i));
  });

  it("BoundedExecutor finishes a sync task at once and starts the next queued task", () => {
    const executor = new BoundedExecutor({ concurrency: 1 });
    const order: string[] = [];
    executor.execute(() => {
      order.push("a start");
      assert.equal(executor.execute(() => void order.push("b")), true);
      assert.equal(executor.queued, 1);
      order.push("a end");
    });
    // b ran synchronously when a finished.
    assert.deepEqual(order, ["a start", "a end", "b"]);
    assert.equal(executor.active, 0);
    assert.equal(executor.queued, 0);
  });

  it("BoundedExecutor runs a long queue of sync tasks without deep recursion", async () => {
    const executor = new BoundedExecutor({
      concurrency: 1,
      maxQueue: Infinity,
    });
    const gate = deferred();
    let count = 0;
    executor.execute(() => gate.promise);
    for (let i = 0; i < 200_000; i++) executor.execute(() => void count++);
    assert.equal(executor.queued, 200_000);
    gate.resolve();
    await executor.drain();
    assert.equal(count, 200_000);
  });

  it("BoundedExecutor sends sync throws and rejections to onError without leaking", async () => {
    const { errors, onError } = collecting();
    const executor = new BoundedExecutor({ concurrency: 2, onError });
    assert.equal(
      executor.execute(() => {
        throw new Error("sync");
      }),
      true,
    );
    assert.equal(executor.active, 0);
    executor.execute(() => Promise.reject(new Error("async")));
    executor.execute(async () => {
      await ticks(1);
      throw new Error("later");
    });
    executor.execute(() => ({
      then() {
        throw new Error("thenable");
      },
    }));
    let ran = false;
    executor.execute(() => void (ran = true));
    await executor.drain();
    assert.equal(ran, true);
    assert.deepEqual(
      errors.map((e) => (e as Error).message).sort(),
      ["async", "later", "sync", "thenable"],
    );
    assert.equal(executor.active, 0);
  });

  it("BoundedExecutor survives an onError that throws", async () => {
    const executor = new BoundedExecutor({
      concurrency: 1,
      onError: () => {
        throw new Error("bad onError");
      },
    });
    // The failure is rethrown in a microtask; catch it where the runtime
    // would report it so the test stays green.
    const original = globalThis.queueMicrotask;
    const surfaced: unknown[] = [];
    globalThis.queueMicrotask = (callback) => {
      try {
        callback();
      } catch (error) {
        surfaced.push(error);
      }
    };
    try {
      assert.equal(
        executor.execute(() => {
          throw new Error("task");
        }),
        true,
      );
    } finally {
      globalThis.queueMicrotask = original;
    }
    assert.equal(surfaced.length, 1);
    assert.equal(executor.active, 0);
    let ran = false;
    executor.execute(() => void (ran = true));
    assert.equal(ran, true);
    await executor.drain();
  });

  it("BoundedExecutor whenReady is undefined with room and resolves when room appears", async () => {
    const executor = new BoundedExecutor({ concurrency: 1, maxQueue: 2 });
    assert.equal(executor.whenReady(), undefined);
    const gates = [deferred(), deferred(), deferred()];
    for (const gate of gates) executor.execute(() => gate.promise);
    assert.equal(executor.queued, 2);
    const ready = executor.whenReady();
    assert.ok(ready instanceof Promise);
    assert.equal(executor.whenReady(), ready); // one shared promise
    let resolved = false;
    ready.then(() => resolved = true);
    await ticks();
    assert.equal(resolved, false);
    gates[0].resolve(); // the first finishes, the second starts: one slot free
    await ready;
    assert.equal(executor.queued, 1);
    assert.equal(executor.whenReady(), undefined);
    assert.equal(executor.execute(() => {}), true);
    gates[1].resolve();
    gates[2].resolve();
    await executor.drain();
  });

  it("BoundedExecutor whenReady with maxQueue 0 waits for a free slot", async () => {
    const executor = new BoundedExecutor({ concurrency: 1, maxQueue: 0 });
    const gate = deferred();
    executor.execute(() => gate.promise);
    const ready = executor.whenReady();
    assert.ok(ready instanceof Promise);
    gate.resolve();
    await ready;
    assert.equal(executor.whenReady(), undefined);
  });

  it("BoundedExecutor drain resolves at once when idle and after the last task otherwise", async () => {
    const executor = new BoundedExecutor({ concurrency: 1 });
    await executor.drain();
    const gate = deferred();
    executor.execute(() => gate.promise);
    executor.execute(() => {});
    let drained = false;
    const drain = executor.drain().then(() => drained = true);
    await ticks();
    assert.equal(drained, false);
    gate.resolve();
    await drain;
    assert.equal(drained, true);
    assert.equal(executor.active + executor.queued, 0);
  });

  it("BoundedExecutor close keeps queued tasks running and refuses new ones", async () => {
    const executor = new BoundedExecutor({ concurrency: 1 });
    const gate = deferred();
    const ran: number[] = [];
    executor.execute(() => gate.promise);
    executor.execute(() => void ran.push(1));
    executor.execute(() => void ran.push(2));
    assert.equal(executor.close(), 0);
    assert.equal(executor.execute(() => void ran.push(3)), false);
    assert.equal(executor.whenReady(), undefined);
    gate.resolve();
    await executor.drain();
    assert.deepEqual(ran, [1, 2]);
  });

  it("BoundedExecutor close with discard drops queued tasks and returns their number", async () => {
    const executor = new BoundedExecutor({ concurrency: 1, maxQueue: 5 });
    const gate = deferred();
    const ran: number[] = [];
    executor.execute(() => gate.promise);
    for (let i = 0; i < 5; i++) executor.execute(() => void ran.push(i));
    const ready = executor.whenReady();
    assert.ok(ready instanceof Promise);
    assert.equal(executor.close({ discard: true }), 5);
    await ready; // waiters resolve on close
    assert.equal(executor.queued, 0);
    assert.equal(executor.active, 1);
    assert.equal(executor.execute(() => {}), false);
    gate.resolve();
    await executor.drain();
    assert.deepEqual(ran, []);
    assert.equal(executor.close({ discard: true }), 0);
  });

  it("BoundedExecutor rejects bad options with RangeError and TypeError", () => {
    for (const concurrency of [0, -1, 1.5, NaN, -Infinity]) {
      assert.throws(() => new BoundedExecutor({ concurrency }), RangeError);
    }
    for (const maxQueue of [-1, 0.5, NaN]) {
      assert.throws(() => new BoundedExecutor({ maxQueue }), RangeError);
    }
    assert.throws(
      () => new BoundedExecutor({ concurrency: 0 }),
      /Invalid concurrency: expected a positive integer or Infinity, got 0/,
    );
    assert.throws(
      () => new BoundedExecutor({ concurrency: "2" as unknown as number }),
      TypeError,
    );
    assert.throws(
      () =>
        new BoundedExecutor({ onError: 1 as unknown as (e: unknown) => void }),
      TypeError,
    );
    new BoundedExecutor({ concurrency: Infinity, maxQueue: Infinity });
    new BoundedExecutor({ maxQueue: 0 });
    const executor = new BoundedExecutor();
    assert.throws(
      () => executor.execute(null as unknown as () => void),
      /Invalid task: expected a function, got object/,
    );
  });
});
