/**
 * An emptied TimerHeap keeps its runtime timer, unreferenced, when the
 * handle can be (`unref()`/`ref()`, as Node's and Bun's), so a timer
 * scheduled and cancelled per request arms no runtime timer each time; it
 * never fires late, `clear()` disarms it, and an idle process still exits.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { TimerHeap } from "../../src/timer/timer_heap.ts";
import { ScriptChild } from "../_helpers/child.ts";

/** A fake runtime timer: fires when the fake clock passes it, if still armed. */
class FakeHandle {
  refed = true;
  armed = true;
  constructor(readonly at: number, readonly callback: () => void) {}
  ref(): this {
    this.refed = true;
    return this;
  }
  unref(): this {
    this.refed = false;
    return this;
  }
}

/** Fake clock and runtime timers, counting arms and clears. */
function fakeTimers(unrefable: boolean) {
  const fake = {
    time: 0,
    arms: 0,
    clears: 0,
    delays: [] as number[],
    live: [] as FakeHandle[],
    heap: undefined as unknown as TimerHeap,
    /** Moves time to `to`, firing the armed timers that fall due, in order. */
    advance(to: number) {
      for (;;) {
        const due = fake.live.filter((h) => h.armed && h.at <= to)
          .sort((a, b) => a.at - b.at)[0];
        if (due === undefined) break;
        fake.time = due.at;
        due.armed = false;
        due.callback();
      }
      fake.time = to;
    },
    /** The runtime timers still armed, and whether each keeps the process alive. */
    armed: () => fake.live.filter((h) => h.armed).map((h) => h.refed),
  };
  fake.heap = new TimerHeap({
    now: () => fake.time,
    setTimer(callback, delayMs) {
      fake.arms++;
      fake.delays.push(delayMs);
      const handle = new FakeHandle(fake.time + delayMs, callback);
      fake.live.push(handle);
      return unrefable ? handle : fake.live.length;
    },
    clearTimer(handle) {
      fake.clears++;
      const h = typeof handle === "number" ? fake.live[handle - 1] : handle;
      (h as FakeHandle).armed = false;
    },
  });
  return fake;
}

describe("TimerHeap parks its runtime timer", () => {
  it("1,000 schedule/cancel cycles, one request at a time, arm one runtime timer (handles with unref)", () => {
    const fake = fakeTimers(true);
    for (let i = 0; i < 1000; i++) {
      const timer = fake.heap.schedule(30_000, () => {}, i);
      assert.deepEqual(fake.armed(), [true], "referenced while a timer waits");
      fake.advance(fake.time + 2);
      timer.cancel();
      assert.deepEqual(
        fake.armed(),
        [false],
        "unreferenced once the heap is empty",
      );
    }
    assert.equal(fake.arms, 1);
    assert.equal(fake.clears, 0);
    // It fires (2 s early for the last schedule), finds nothing and stays disarmed.
    fake.advance(30_000);
    assert.deepEqual(fake.armed(), []);
    assert.equal(fake.arms, 1);
  });

  it("handles without unref (Deno's numbers) are disarmed when the heap empties, as before", () => {
    const fake = fakeTimers(false);
    for (let i = 0; i < 100; i++) {
      fake.heap.schedule(30_000, () => {}, i).cancel();
      assert.deepEqual(fake.armed(), []);
    }
    assert.equal(fake.arms, 100);
    assert.equal(fake.clears, 100);
  });

  it("never fires late: an earlier deadline than the parked timer's re-arms, a later one waits for it", () => {
    const fake = fakeTimers(true);
    const fired: string[] = [];
    const record = (what: string) => fired.push(`${what}@${fake.time}`);
    fake.heap.schedule(1_000, record, "a").cancel(); // parked for t = 1000
    fake.heap.schedule(10, record, "soon"); // earlier: re-armed
    assert.equal(fake.arms, 2);
    assert.deepEqual(fake.delays, [1_000, 10]);
    assert.deepEqual(fake.armed(), [true]);
    fake.advance(10);
    assert.deepEqual(fired, ["soon@10"]);
    fake.heap.schedule(500, record, "b").cancel(); // parked for t = 510
    fake.heap.schedule(2_000, record, "late"); // due 2010: the parked timer fires first
    assert.equal(fake.arms, 3);
    assert.deepEqual(fake.armed(), [true]);
    fake.advance(510);
    assert.deepEqual(fired, ["soon@10"]);
    assert.deepEqual(fake.armed(), [true], "re-armed for the deadline left");
    fake.advance(2_010);
    assert.deepEqual(fired, ["soon@10", "late@2010"]);
    assert.deepEqual(fake.armed(), []);
  });

  it("clear() disarms a parked timer; a timer beyond a minute is not parked", () => {
    const fake = fakeTimers(true);
    fake.heap.schedule(100, () => {}, 0).cancel();
    assert.deepEqual(fake.armed(), [false]);
    fake.heap.clear();
    assert.deepEqual(fake.armed(), []);
    assert.equal(fake.clears, 1);
    fake.heap.schedule(61_000, () => {}, 0).cancel();
    assert.deepEqual(
      fake.armed(),
      [],
      "disarmed: it would hold the heap for over a minute",
    );
    assert.equal(fake.clears, 2);
  });

  it("a cancelled timer's callback never runs when the parked timer fires", () => {
    const fake = fakeTimers(true);
    let ran = 0;
    const timer = fake.heap.schedule(50, () => ran++, 0);
    timer.cancel();
    fake.advance(100);
    assert.equal(ran, 0);
    assert.equal(fake.heap.size, 0);
  });

  it(
    "a process that scheduled and cancelled timers, and served async handlers, exits by itself at once",
    {
      timeout: 60_000,
    },
    async () => {
      const child = new ScriptChild(
        fileURLToPath(new URL("./_park_child.ts", import.meta.url)),
      );
      try {
        assert.equal(await child.nextLine(30_000), "idle");
        const idleAt = performance.now();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const code = await Promise.race([
          child.exited,
          new Promise<string>((resolve) => {
            timer = setTimeout(() => resolve("still running"), 15_000);
          }),
        ]);
        clearTimeout(timer);
        assert.equal(code, 0);
        // The cancelled timers were due 30 s later.
        assert.ok(performance.now() - idleAt < 15_000);
      } finally {
        child.stop(true);
      }
    },
  );
});
