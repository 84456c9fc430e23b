import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Timer, TimerHeap } from "../../src/timer/timer_heap.ts";

/**
 * A fake clock with fake runtime timers. `advance()` moves time forward and
 * fires every runtime timer that falls due, in order. `lag` makes runtime
 * timers fire that many ms late, like a busy event loop.
 */
class FakeClock {
  time = 0;
  lag = 0;
  sets = 0;
  fires = 0;
  maxLive = 0;
  delays: number[] = [];
  #timers = new Map<number, { at: number; callback: () => void }>();
  #nextId = 1;

  now = (): number => this.time;

  setTimer = (callback: () => void, delayMs: number): unknown => {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.time + delayMs + this.lag, callback });
    this.sets++;
    this.delays.push(delayMs);
    this.maxLive = Math.max(this.maxLive, this.#timers.size);
    return id;
  };

  clearTimer = (handle: unknown): void => {
    this.#timers.delete(handle as number);
  };

  get live(): number {
    return this.#timers.size;
  }

  /** When the live runtime timer fires, or undefined. */
  get nextAt(): number | undefined {
    let next: number | undefined;
    for (const { at } of this.#timers.values()) {
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let dueId = -1;
      let dueAt = Infinity;
      for (const [id, { at }] of this.#timers) {
        if (at <= end && at < dueAt) {
          dueId = id;
          dueAt = at;
        }
      }
      if (dueId === -1) break;
      const { callback } = this.#timers.get(dueId)!;
      this.#timers.delete(dueId);
      this.time = Math.max(this.time, dueAt);
      this.fires++;
      callback();
    }
    this.time = end;
  }

  heap(onError?: (error: unknown) => void): TimerHeap {
    return new TimerHeap({
      now: this.now,
      setTimer: this.setTimer,
      clearTimer: this.clearTimer,
      onError: onError ?? ((error) => {
        throw error;
      }),
    });
  }
}

/** A deterministic PRNG (mulberry32), so a failing run can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("TimerHeap", () => {
  it("TimerHeap fires timers in deadline order", () => {
    const clock = new FakeClock();
    const heap = clock.heap();
    const fired: number[] = [];
    for (const delay of [50, 10, 40, 20, 30, 5, 45]) {
      heap.schedule(delay, (d) => fired.push(d), delay);
    }
    assert.equal(heap.size, 7);
    assert.equal(heap.peekDeadline(), 5);
    clock.advance(100);
    assert.deepEqual(fired, [5, 10, 20, 30, 40, 45, 50]);
    assert.equal(heap.size, 0);
    assert.equal(heap.peekDeadline(), undefined);
    assert.equal(clock.live, 0);
  });

  it("TimerHeap fires equal deadlines in schedule order", () => {
    const clock = new FakeClock();
    const heap = clock.heap();
    const fired: string[] = [];
    for (const name of ["a", "b", "c", "d", "e", "f", "g", "h"]) {
      heap.schedule(10, (n) => fired.push(n), name);
    }
    heap.schedule(5, (n) => fired.push(n), "early");
    clock.advance(10);
    assert.deepEqual(fired, ["early", "a", "b", "c", "d", "e", "f", "g", "h"]);
  });

  it("TimerHeap fires a timer at its deadline, not before", () => {
    const clock = new FakeClock();
    const heap = clock.heap();
    let fired = false;
    heap.schedule(10, () => fired = true, undefined);
    clock.advance(8);
    assert.equal(fired, false);
    clock.advance(2);
    assert.equal(fired, true);
  });

  it("TimerHeap runs timers due within 1 ms in the same pass", () => {
    const clock = new FakeClock();
    const heap = clock.heap();
    const fired: number[] = [];
    heap.schedule(10, (d) => fired.push(d), 10);
    heap.schedule(10.5, (d) => fired.push(d), 10.5);
    heap.schedule(12, (d) => fired.push(d), 12);
    clock.advance(10);
    assert.deepEqual(fired, [10, 10.5]);
    assert.equal(clock.fires, 1);
    clock.advance(2);
    assert.deepEqual(fired, [10, 10.5, 12]);
  });

  it("TimerHeap keeps the heap valid when the root, a middle and the last node are cancelled", () => {
    const clock = new FakeClock();
    const heap = clock.heap();
    const fired: number[] = [];
    const timers = [7, 3, 9, 1, 5, 8, 2, 6, 4].map((d) =>
      heap.schedule(d, (x) => fired.push(x), d)
    );
    assert.equal(heap.peekDeadline(), 1);
    assert.equal(timers[3].cancel(), true); // the root (deadline 1)
    assert.equal(heap.peekDeadline(), 2);
    assert.equal(timers[4].cancel(), true); // a middle node (deadline 5)
    assert.equal(timers[8].cancel(), true); // the last node (deadline 4)
    assert.equal(heap.size, 6);
    clock.advance(20);
    assert.deepEqual(fired, [2, 3, 6, 7, 8, 9]);
  });

  it("TimerHeap fires 1000 randomly scheduled and cancelled timers in sorted order", () => {
    const rand = random(0x5eed);
    const clock = new FakeClock();
    const heap = clock.heap();
    const fired: number[] = [];
    const live = new Map<number, Timer<number>>();
    const expected: { id: number; deadline: number }[] = [];
    for (let id = 0; id < 1000; id++) {
      const delay = rand() < 0.2
        ? Math.floor(rand() * 10) * 10 // many ties
        : rand() * 1000;
      live.set(id, heap.schedule(delay, (x) => fired.push(x), id));
      expected.push({ id, deadline: delay });
      if (rand() < 0.3) {
        // Cancel a random live timer: root, middle or last alike.
        const ids = [...live.keys()];
        const victim = ids[Math.floor(rand() * ids.length)];
        assert.equal(live.get(victim)!.cancel(), true);
        live.delete(victim);
      }
      assert.equal(heap.size, live.size);
    }
    // Also cancel some timers from inside callbacks while firing.
    const canceller = heap.schedule(500, () => {
      for (const [id, timer] of live) {
        if (timer.active && rand() < 0.1) {
          timer.cancel();
          live.delete(id);
        }
      }
    }, undefined);
    while (heap.size > 0) {
      const min = Math.min(
        ...[...live.values()].filter((t) => t.active).map((t) => t.deadline),
        canceller.active ? canceller.deadline : Infinity,
      );
      assert.equal(heap.peekDeadline(), min);
      clock.advance(rand() * 50);
      assert.ok(clock.live <= 1);
    }
    const want = expected
      .filter(({ id }) => live.has(id))
      .sort((a, b) => a.deadline - b.deadline || a.id - b.id)
      .map(({ id }) => id);
    assert.equal(fired.length, live.size);
    assert.deepEqual(fired, want);
    assert.equal(clock.maxLive, 1);
    assert.equal(clock.live, 0);
  });

  it("TimerHeap arms only one runtime timer at a time", () => {
    const clock = new FakeClock();
    const heap = clock.heap();
    for (let delay = 100; delay > 0; delay -= 10) {
      heap.schedule(delay, () => {}, undefined);
      assert.equal(clock.live, 1);
    }
    assert.equal(clock.sets, 10); // each new earliest re-arms
    for (let delay = 200; delay < 300; delay += 10) {
      heap.schedule(delay, () => {}, undefined);
    }
    assert.equal(clock.sets, 10); // later deadlines do not
    clock.advance(300);
    assert.equal(clock.maxLive, 1);
    assert.equal(clock.live, 0);
  });

  it("TimerHeap does not re-arm when the earliest timer is cancelled", () => {
    const clock = new FakeClock();
    const heap = clock.heap();
    const fired: number[] = [];
    const first = heap.schedule(10, (d) => fired.push(d), 10);
    heap.schedule(30, (d) => fired.push(d), 30);
    assert.equal(clock.sets, 1);
    first.cancel();
    assert.equal(clock.sets, 1);
    assert.equal(clock.nextAt, 10);
    clock.advance(10); // fires early, runs nothing, re-arms for 30
    assert.deepEqual(fired, []);
    assert.equal(clock.nextAt, 30);
    clock.advance(20);
    assert.deepEqual(fired, [30]);
  });

  it("TimerHeap clears the runtime timer when the heap becomes empty", () => {
    const clock = new FakeClock();
    const heap = clock.heap();
    const a = heap.schedule(10, () => {}, undefined);
    const b = heap.schedule(20, () => {}, undefined);
    a.cancel();
    assert.equal(clock.live, 1);
    b.cancel();
    assert.equal(clock.live, 0);
    heap.schedule(5, () => {}, undefined);
    heap.schedule(6, () => {}, undefined);
    assert.equal(clock.live, 1);
    heap.clear();
    assert.equal(clock.live, 0);
    assert.equal(heap.size, 0);
  });

  it("TimerHeap cancel is idempotent and false after firing", () => {
    const clock = new FakeClock();
    const heap = clock.heap();
    const timer = heap.schedule(10, () => {}, undefined);
    assert.equal(timer.active, true);
    assert.equal(timer.deadline, 10);
    assert.equal(timer.cancel(), true);
    assert.equal(timer.active, false);
    assert.equal(timer.cancel(), false);
    assert.equal(heap.size, 0);
    const fired = heap.schedule(10, () => {}, undefined);
    clock.advance(10);
    assert.equal(fired.active, false);
    assert.equal(fired.cancel(), false);
  });

  it("TimerHeap sends callback errors to onError and still fires the other due timers", () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    const heap = clock.heap((error) => errors.push(error));
    const fired: number[] = [];
    heap.schedule(10, () => {
      throw new Error("boom 1");
    }, undefined);
    heap.schedule(10, (d) => fired.push(d), 1);
    heap.schedule(10, () => {
      throw new Error("boom 2");
    }, undefined);
    heap.schedule(20, (d) => fired.push(d), 2);
    clock.advance(10);
    assert.deepEqual(errors.map((e) => (e as Error).message), [
      "boom 1",
      "boom 2",
    ]);
    assert.deepEqual(fired, [1]);
    clock.advance(10);
    assert.deepEqual(fired, [1, 2]);
    assert.equal(clock.live, 0);
  });

  it("TimerHeap lets callbacks schedule and cancel other timers while firing", () => {
    const clock = new FakeClock();
    const heap = clock.heap();
    const fired: string[] = [];
    const doomed = heap.schedule(10, () => fired.push("doomed"), undefined);
    heap.schedule(10, () => {
      fired.push("first");
      doomed.cancel();
      heap.schedule(5, () => fired.push("scheduled"), undefined);
    }, undefined);
    // doomed was scheduled before, so it fires before "first" does.
    clock.advance(10);
    assert.deepEqual(fired, ["doomed", "first"]);
    assert.equal(heap.size, 1);
    assert.equal(clock.live, 1);
    clock.advance(5);
    assert.deepEqual(fired, ["doomed", "first", "scheduled"]);

    fired.length = 0;
    heap.schedule(10, () => {
      fired.push("canceller");
      later.cancel();
    }, undefined);
    const later = heap.schedule(10, () => fired.push("later"), undefined);
    clock.advance(10);
    assert.deepEqual(fired, ["canceller"]);
    assert.equal(clock.live, 0);
  });

  it("TimerHeap runs a timer scheduled with 0 delay during firing in the next pass", () => {
    const clock = new FakeClock();
    const heap = clock.heap();
    let runs = 0;
    const again = (): void => {
      if (++runs < 3) heap.schedule(0, again, undefined);
    };
    heap.schedule(0, again, undefined);
    clock.advance(0);
    assert.equal(runs, 3);
    assert.equal(clock.fires, 3);
  });

  it("TimerHeap clear cancels every timer and the heap stays usable", () => {
    const clock = new FakeClock();
    const heap = clock.heap();
    const timers = [1, 2, 3].map((d) => heap.schedule(d, () => {}, undefined));
    heap.clear();
    assert.ok(timers.every((t) => !t.active && !t.cancel()));
    let fired = false;
    heap.schedule(5, () => fired = true, undefined);
    assert.equal(clock.live, 1);
    clock.advance(5);
    assert.equal(fired, true);
  });

  it("TimerHeap caps the runtime timer delay and re-arms for far deadlines", () => {
    const clock = new FakeClock();
    const heap = clock.heap();
    const timer = heap.schedule(3e9, () => {}, undefined);
    assert.equal(clock.delays.at(-1), 2_147_483_647);
    clock.advance(2_147_483_647);
    assert.equal(timer.active, true);
    assert.equal(clock.delays.at(-1), 3e9 - 2_147_483_647);
    timer.cancel();
    assert.equal(clock.live, 0);
  });

  it("TimerHeap runAfter runs a task once and cancel stops it", () => {
    const clock = new FakeClock();
    const heap = clock.heap();
    let runs = 0;
    const handle = heap.runAfter(10, () => runs++);
    assert.equal(handle.active, true);
    clock.advance(20);
    assert.equal(runs, 1);
    assert.equal(handle.active, false);
    assert.equal(handle.cancel(), false);
    const cancelled = heap.runAfter(10, () => runs++);
    assert.equal(cancelled.cancel(), true);
    clock.advance(20);
    assert.equal(runs, 1);
    assert.equal(clock.live, 0);
  });

  it("TimerHeap runEvery plans each run from the previous planned time, without drift", () => {
    const clock = new FakeClock();
    clock.lag = 3; // every runtime timer fires 3 ms late
    const heap = clock.heap();
    const runs: number[] = [];
    const handle = heap.runEvery(10, () => runs.push(clock.time));
    clock.advance(55);
    assert.deepEqual(runs, [13, 23, 33, 43, 53]);
    assert.equal(handle.cancel(), true);
    assert.equal(handle.active, false);
    assert.equal(clock.live, 0);
  });

  it("TimerHeap runEvery skips runs missed while the event loop was blocked", () => {
    const clock = new FakeClock();
    const heap = clock.heap();
    const runs: number[] = [];
    const handle = heap.runEvery(10, () => runs.push(clock.time));
    clock.advance(10);
    clock.time = 45; // blocked: runs planned at 20, 30 and 40 are missed
    clock.advance(0);
    assert.deepEqual(runs, [10, 45]);
    clock.advance(5);
    assert.deepEqual(runs, [10, 45, 50]);
    handle.cancel();
    assert.equal(clock.live, 0);
  });

  it("TimerHeap runEvery keeps running a task that throws", () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    const heap = clock.heap((error) => errors.push(error));
    let runs = 0;
    const handle = heap.runEvery(10, () => {
      runs++;
      throw new Error(`run ${runs}`);
    });
    clock.advance(30);
    assert.equal(runs, 3);
    assert.equal(errors.length, 3);
    assert.equal(handle.active, true);
    handle.cancel();
    assert.equal(clock.live, 0);
  });

  it("TimerHeap runEvery stops when cancelled from inside the task or by clear", () => {
    const clock = new FakeClock();
    const heap = clock.heap();
    let runs = 0;
    const handle = heap.runEvery(10, () => {
      if (++runs === 2) assert.equal(handle.cancel(), true);
    });
    clock.advance(100);
    assert.equal(runs, 2);
    assert.equal(handle.active, false);
    assert.equal(heap.size, 0);
    assert.equal(clock.live, 0);

    const other = heap.runEvery(10, () => {});
    heap.clear();
    assert.equal(other.active, false);
    assert.equal(other.cancel(), false);
  });

  it("TimerHeap rejects bad arguments with RangeError and TypeError", () => {
    const heap = new FakeClock().heap();
    for (const delay of [-1, NaN, Infinity, -Infinity]) {
      assert.throws(() => heap.schedule(delay, () => {}, 0), RangeError);
      assert.throws(() => heap.runAfter(delay, () => {}), RangeError);
    }
    assert.throws(() => heap.runEvery(0, () => {}), RangeError);
    assert.throws(() => heap.runEvery(Infinity, () => {}), RangeError);
    assert.throws(
      () => heap.schedule("5" as unknown as number, () => {}, 0),
      TypeError,
    );
    assert.throws(
      () => heap.schedule(5, null as unknown as () => void, 0),
      /Invalid callback: expected a function, got object/,
    );
    assert.throws(
      () => heap.runEvery(5, undefined as unknown as () => void),
      TypeError,
    );
    assert.throws(
      () => new TimerHeap({ now: 5 as unknown as () => number }),
      TypeError,
    );
    assert.throws(
      () => new TimerHeap({ setTimer: () => 0 }),
      /setTimer and clearTimer must be given together/,
    );
    assert.throws(
      () => new (Timer as unknown as new () => Timer)(),
      TypeError,
    );
    assert.equal(heap.size, 0);
  });

  it("TimerHeap fires real timers in order on the real clock", async () => {
    const heap = new TimerHeap();
    const fired: { index: number; at: number }[] = [];
    const timers: Timer<number>[] = [];
    await new Promise<void>((resolve) => {
      [30, 5, 20, 10].forEach((delay, index) => {
        timers.push(heap.schedule(delay, (i) => {
          fired.push({ index: i, at: performance.now() });
          if (fired.length === 4) resolve();
        }, index));
      });
      heap.schedule(15, () => fired.push({ index: -1, at: 0 }), 0).cancel();
    });
    // A loaded machine may stall between two schedule() calls, so the
    // expected order comes from the deadlines the timers really got.
    const expected = timers
      .map((timer, index) => ({ index, deadline: timer.deadline }))
      .sort((a, b) => a.deadline - b.deadline || a.index - b.index)
      .map(({ index }) => index);
    assert.deepEqual(fired.map((f) => f.index), expected);
    for (const { index, at } of fired) {
      const deadline = timers[index].deadline;
      assert.ok(
        at >= deadline - 1.5,
        `timer due at ${deadline} fired at ${at}`,
      );
    }
    assert.equal(heap.size, 0);
  });

  it("TimerHeap runEvery repeats on the real clock until cancelled", async () => {
    const heap = new TimerHeap();
    const start = performance.now();
    let runs = 0;
    await new Promise<void>((resolve) => {
      const handle = heap.runEvery(5, () => {
        if (++runs === 3) {
          handle.cancel();
          resolve();
        }
      });
    });
    assert.ok(performance.now() - start >= 13);
    assert.equal(heap.size, 0);
  });
});
