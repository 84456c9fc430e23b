/**
 * TimerHeap against one runtime timer per deadline: schedule 10k timers, then
 * cancel them all (what request timeouts do when every reply arrives in time).
 *
 * Run: node --import tsx bench/timer_heap_bench.ts
 *      deno run -A bench/timer_heap_bench.ts
 *      bun bench/timer_heap_bench.ts
 *
 * @module
 */

import { bench, group, run, summary } from "./_mitata.ts";
import { type Timer, TimerHeap } from "../src/timer/timer_heap.ts";

const N = 10_000;
const noop = (): void => {};

/** Delays between 1 s and 31 s, from a fixed seed so runs compare. */
const randomDelays: number[] = [];
let seed = 42;
for (let i = 0; i < N; i++) {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  randomDelays.push(1000 + (seed % 30_000));
}
const sameDelays: number[] = new Array(N).fill(5000);

const heap = new TimerHeap();
const timers: Timer<undefined>[] = new Array(N);
const handles: ReturnType<typeof setTimeout>[] = new Array(N);

function heapScheduleCancel(delays: number[]): void {
  for (let i = 0; i < N; i++) {
    timers[i] = heap.schedule(delays[i], noop, undefined);
  }
  for (let i = 0; i < N; i++) timers[i].cancel();
}

function runtimeScheduleCancel(delays: number[]): void {
  for (let i = 0; i < N; i++) handles[i] = setTimeout(noop, delays[i]);
  for (let i = 0; i < N; i++) clearTimeout(handles[i]);
}

for (
  const [name, delays] of [
    ["random delays 1-31 s", randomDelays],
    ["one delay (request timeouts)", sameDelays],
  ] as const
) {
  group(`schedule + cancel ${N} timers, ${name}`, () => {
    summary(() => {
      bench(
        "TimerHeap.schedule + Timer.cancel",
        () => heapScheduleCancel(delays),
      );
      bench("setTimeout + clearTimeout", () => runtimeScheduleCancel(delays));
    });
  });
}

/**
 * Steady state: 256 requests in flight; each new request schedules its
 * timeout and the oldest one's reply cancels its timeout.
 */
const IN_FLIGHT = 256;
const ring: Timer<undefined>[] = [];
const ringHandles: ReturnType<typeof setTimeout>[] = [];
for (let i = 0; i < IN_FLIGHT; i++) {
  ring.push(heap.schedule(5000, noop, undefined));
  ringHandles.push(setTimeout(noop, 5000));
}
group(`${N} requests with ${IN_FLIGHT} in flight, 5 s timeouts`, () => {
  summary(() => {
    bench("TimerHeap.schedule + Timer.cancel", () => {
      for (let i = 0; i < N; i++) {
        const slot = i % IN_FLIGHT;
        ring[slot].cancel();
        ring[slot] = heap.schedule(5000, noop, undefined);
      }
    });
    bench("setTimeout + clearTimeout", () => {
      for (let i = 0; i < N; i++) {
        const slot = i % IN_FLIGHT;
        clearTimeout(ringHandles[slot]);
        ringHandles[slot] = setTimeout(noop, 5000);
      }
    });
  });
});

await run();
for (const handle of ringHandles) clearTimeout(handle);
// Every iteration cancels what it scheduled; make sure nothing keeps the
// process alive.
heap.clear();
