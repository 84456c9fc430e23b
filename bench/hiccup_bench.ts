/**
 * Hiccups: how long this machine stops a process that does nothing but read
 * the clock, with no network, no garbage and no peer (after jHiccup). Two
 * loops, one after the other:
 *
 * - _busy_: reads `performance.now()` in a tight loop and records each gap
 *   between two readings (the process is runnable all the time: a gap is the
 *   time the kernel or the hypervisor did not run it);
 * - _sleeping_: sleeps 1 ms with `setTimeout` over and over and records how
 *   late each wake-up is (what an event loop waiting for a socket pays).
 *
 * For each loop it prints the count of gaps over 1, 5, 10 and 50 ms, the
 * longest gap, and p99 / p99.9 of the wake-up lateness. A request's latency
 * cannot be below what the machine does to a process that only reads the
 * clock, so a p99 of tens of milliseconds in `bench:compare`'s open loop
 * that this also shows is the machine's, for every peer alike.
 *
 * Run: node --import tsx bench/hiccup_bench.ts [--seconds 10]
 *      (or deno run -A, bun). With `BENCH_QUICK=1` (the `bench` step of
 *      `npm test`) each loop runs 0.2 s.
 *
 * @module
 */

import process from "node:process";
import { args, flag } from "./_process.ts";

const seconds = process.env.BENCH_QUICK === "1"
  ? 0.2
  : Number(flag(args(), "seconds", "10"));
if (!(seconds > 0)) throw new RangeError("--seconds must be a positive number");

/** Gaps in ms, kept when over `keepOver` (the rest only counted). */
interface Gaps {
  count: number;
  kept: number[];
}

const THRESHOLDS = [1, 5, 10, 50];

/** The busy loop's gaps between consecutive clock readings over 0.1 ms. */
function busy(ms: number): Gaps {
  const gaps: Gaps = { count: 0, kept: [] };
  let last = performance.now();
  const end = last + ms;
  while (last < end) {
    const now = performance.now();
    const gap = now - last;
    gaps.count++;
    if (gap > 0.1) gaps.kept.push(gap);
    last = now;
  }
  return gaps;
}

/** The sleeping loop's wake-up lateness for 1 ms sleeps (all kept). */
function sleeping(ms: number): Promise<Gaps> {
  const gaps: Gaps = { count: 0, kept: [] };
  const end = performance.now() + ms;
  return new Promise((resolve) => {
    let asked = performance.now();
    const wake = () => {
      const now = performance.now();
      gaps.count++;
      gaps.kept.push(Math.max(0, now - asked - 1));
      if (now >= end) return resolve(gaps);
      asked = now;
      setTimeout(wake, 1);
    };
    setTimeout(wake, 1);
  });
}

/** The value below which `share` of all `count` samples lie (ms). */
function percentile(gaps: Gaps, share: number): number {
  const sorted = gaps.kept.slice().sort((a, b) => a - b);
  const rank = Math.ceil(share * gaps.count) - (gaps.count - sorted.length);
  return rank <= 0 ? 0 : sorted[Math.min(rank, sorted.length) - 1];
}

/** One table row for a loop. */
function row(name: string, gaps: Gaps): string {
  const over = THRESHOLDS.map((t) => gaps.kept.filter((g) => g > t).length);
  const max = gaps.kept.reduce((a, b) => Math.max(a, b), 0);
  const cells = [
    name,
    String(gaps.count),
    ...over.map(String),
    max.toFixed(2),
    percentile(gaps, 0.99).toFixed(3),
    percentile(gaps, 0.999).toFixed(3),
  ];
  return `| ${cells.join(" | ")} |`;
}

const busyGaps = busy(seconds * 1000);
const sleepGaps = await sleeping(seconds * 1000);
console.log(
  `hiccups: ${seconds} s per loop; gaps in ms (busy: between clock readings; sleeping: lateness of 1 ms timers)\n`,
);
console.log(
  "| loop | samples | > 1 ms | > 5 ms | > 10 ms | > 50 ms | longest | p99 | p99.9 |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
console.log(row("busy", busyGaps));
console.log(row("sleeping", sleepGaps));
