/**
 * The long fuzz run's entry point, started by `scripts/fuzz.mjs` on the
 * chosen runtime: `<runtime> tests/fuzz/_main.ts <cases> <seconds> [seed]
 * [target]`. The cases are shared out among the targets by weight, and
 * the time evenly (what a fast target does not use goes to the next); a
 * target stops early when its time is up. Prints one line per
 * target and exits 1 if any failed (with fast-check's replay seed and path).
 *
 * @module
 */

import process from "node:process";
import { runTarget, TARGETS } from "./_targets.ts";

const [casesArg, secondsArg, seedArg, only] = process.argv.slice(2);
const cases = Number(casesArg ?? 1_000_000);
const seconds = Number(secondsArg ?? 600);
const seed = seedArg && seedArg !== "-" ? Number(seedArg) : Date.now() | 0;
const targets = TARGETS.filter((t) => !only || t.name.includes(only));
if (targets.length === 0) {
  console.error(`no fuzz target matches "${only}"`);
  process.exit(2);
}
const weights = targets.map((t) => t.weight ?? 1);
const total = weights.reduce((a, b) => a + b, 0);
console.log(
  `fuzz: ${
    cases.toLocaleString("en")
  } cases over ${targets.length} targets, at most ${seconds} s, seed ${seed}`,
);
let failed = 0;
let ran = 0;
const started = performance.now();
for (const [i, target] of targets.entries()) {
  const share = weights[i] / total;
  const numRuns = Math.max(1, Math.round(cases * share));
  const t0 = performance.now();
  try {
    // The time left, shared by the targets left: time the fast ones do
    // not use goes to the slow ones after them.
    const left = started + seconds * 1000 - performance.now();
    const n = await runTarget(target, {
      numRuns,
      seed,
      timeLimitMs: Math.max(1, left / (targets.length - i)),
    });
    ran += n;
    const ms = performance.now() - t0;
    console.log(
      `  ok    ${target.name.padEnd(32)} ${
        n.toLocaleString("en").padStart(9)
      } cases ${(ms / 1000).toFixed(1).padStart(6)} s${
        n < numRuns
          ? ` (time limit; ${numRuns.toLocaleString("en")} planned)`
          : ""
      }`,
    );
  } catch (error) {
    failed++;
    console.log(`  FAIL  ${target.name}\n${(error as Error).message}`);
  }
}
console.log(
  `fuzz: ${ran.toLocaleString("en")} cases in ${
    ((performance.now() - started) / 1000).toFixed(1)
  } s, ${failed} target(s) failed`,
);
process.exit(failed > 0 ? 1 : 0);
