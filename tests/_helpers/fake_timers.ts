/** A timer heap on a fake clock, for tests whose timing must not depend on the machine's load. */

import { TimerHeap } from "../../src/timer/timer_heap.ts";

/**
 * A timer heap on a fake clock that starts at `start` ms and moves only by
 * `advance()`; its clock readings are counted.
 */
export function fakeTimers(start = 0): {
  timers: TimerHeap;
  readonly now: number;
  readonly readings: number;
  advance(until: number): void;
} {
  let now = start;
  let readings = 0;
  let armed: { at: number; fire: () => void } | undefined;
  const timers = new TimerHeap({
    now: () => {
      readings++;
      return now;
    },
    setTimer: (fire, delay) => {
      armed = { at: now + delay, fire };
      return armed;
    },
    clearTimer: (handle) => {
      if (armed === handle) armed = undefined;
    },
  });
  return {
    timers,
    get now() {
      return now;
    },
    get readings() {
      return readings;
    },
    /** Fires the armed timers up to `until` (fake ms). */
    advance(until: number): void {
      while (armed !== undefined && armed.at <= until) {
        const { at, fire } = armed;
        armed = undefined;
        now = Math.max(now, at);
        fire();
      }
      now = Math.max(now, until);
    },
  };
}
