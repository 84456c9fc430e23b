/**
 * mitata for the micro benchmarks, with a quick mode for `npm test`: with
 * `BENCH_QUICK=1` in the environment, `run()` calls each benchmark's function
 * three times instead of measuring it (mitata spends at least 0.6 s on each),
 * so the files are exercised end to end, cannot rot, and take seconds.
 *
 * The bench files import `bench`, `group`, `summary`, `run` and
 * `do_not_optimize` from here rather than from "mitata".
 *
 * @module
 */

import * as mitata from "mitata";
import process from "node:process";

/** Whether `BENCH_QUICK=1`: run each benchmark a few times, measure nothing. */
export const QUICK: boolean = process.env.BENCH_QUICK === "1";

const ITERATIONS = 3;
const recorded: { name: string; fn: () => unknown }[] = [];
let groupName = "";

/** What `bench()` returns in quick mode: every option is accepted, ignored. */
const inert: mitata.B = new Proxy({} as mitata.B, {
  get: () => () => inert,
});

function quickBench(nameOrFn: unknown, maybeFn?: unknown): mitata.B {
  const fn = (typeof nameOrFn === "function" ? nameOrFn : maybeFn) as
    | (() => unknown)
    | undefined;
  const name = typeof nameOrFn === "string" ? nameOrFn : "(unnamed)";
  if (typeof fn !== "function") {
    throw new TypeError(`bench ${name}: no function`);
  }
  recorded.push({ name: groupName ? `${groupName} › ${name}` : name, fn });
  return inert;
}

function quickGroup(nameOrFn: unknown, maybeFn?: unknown): void {
  const fn = (typeof nameOrFn === "function" ? nameOrFn : maybeFn) as () =>
    unknown;
  const outer = groupName;
  groupName = typeof nameOrFn === "string" ? nameOrFn : outer;
  fn();
  groupName = outer;
}

async function quickRun(): Promise<void> {
  for (const { name, fn } of recorded) {
    for (let i = 0; i < ITERATIONS; i++) {
      const result = fn() as { next?: unknown; then?: unknown } | undefined;
      if (typeof result?.next === "function") {
        throw new TypeError(
          `bench ${name}: generator benchmarks are not supported in quick mode`,
        );
      }
      if (typeof result?.then === "function") await result;
    }
    console.log(`ok  ${name} (ran ${ITERATIONS} times, not measured)`);
  }
}

/** mitata's `bench`; in quick mode it records the function. */
export const bench: typeof mitata.bench = QUICK
  ? quickBench as typeof mitata.bench
  : mitata.bench;
/** mitata's `group`; in quick mode it only names what it holds. */
export const group: typeof mitata.group = QUICK
  ? quickGroup as typeof mitata.group
  : mitata.group;
/** mitata's `summary`; in quick mode it runs its body. */
export const summary: typeof mitata.summary = QUICK
  ? ((fn: () => unknown) => quickGroup(fn)) as typeof mitata.summary
  : mitata.summary;
/** mitata's `run`; in quick mode it calls each benchmark three times. */
export const run: typeof mitata.run = QUICK
  ? quickRun as unknown as typeof mitata.run
  : mitata.run;
/** mitata's `do_not_optimize`. */
export const do_not_optimize: typeof mitata.do_not_optimize =
  mitata.do_not_optimize;
