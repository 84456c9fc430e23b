/**
 * The one command CI runs (`npm test`): every check and every test runner, in
 * order, stopping at the first failure, then a summary of steps and times.
 *
 * Usage:
 *   node scripts/test.mjs                  all steps
 *   node scripts/test.mjs --only deno,bun  just these steps
 *   node scripts/test.mjs --skip smoke     all but these steps
 *
 * Steps: check, types (the type test: tsc on tests/types/, whose
 * `@ts-expect-error` lines must not compile), lint, fmt, neutral, bundle
 * (the browser entries bundled for the browser: scripts/check_browser.mjs),
 * jsr, doc
 * (JSDoc examples), doclint
 * (`deno doc --lint` of every entry point: scripts/doc_lint.mjs), deno, bun,
 * node (tests/ under each runtime), browser (the browser demo in headless
 * Chromium: tests/browser/chromium.ts), interop (a server and a client on each
 * runtime, nine pairs over TCP and nine over ws://: scripts/interop.mjs), build (npm/), package (publint
 * and attw on npm/: scripts/check_npm.mjs), smoke (the packed npm/ installed
 * into a fresh project: a TypeScript consumer and the README's quick starts
 * on Node, Deno and Bun: scripts/smoke_npm.mjs), bench (every benchmark once
 * in a tiny configuration: scripts/bench_smoke.mjs).
 * `npm run check` runs check, lint, fmt, neutral.
 *
 * Each step's output goes straight to the terminal, so every runner's own
 * summary shows. A step that runs longer than STEP_TIMEOUT_S seconds (default
 * 480) is killed and fails.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import process from "node:process";
import { ROOT, testFiles, walk } from "./_files.mjs";

const BIN = join(ROOT, "node_modules", ".bin");
const NODE = process.execPath;
const TIMEOUT_MS = Number(process.env.STEP_TIMEOUT_S ?? 480) * 1000;
/** Bun's budget for a test without its own `{ timeout }` (Bun's default is 5 s). */
const BUN_TEST_TIMEOUT_MS = 60_000;

const entryPoints = Object.values(
  JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).exports,
);
const isTs = (path) => path.endsWith(".ts");
const tests = testFiles();

/**
 * The steps, in order. `args` is computed when the step runs; a step with
 * `needsTests` is skipped when tests/ holds no test file.
 */
const STEPS = [
  {
    name: "check",
    title:
      "deno check --doc: entry points, tests/, bench/, scripts/, examples/",
    cmd: join(BIN, "deno"),
    // --doc also type-checks the JSDoc examples (the adapters' among them).
    args: () => [
      "check",
      "--doc",
      ...entryPoints,
      ...["tests", "bench", "scripts", "examples"].flatMap((dir) =>
        walk(dir, isTs)
      ),
    ],
  },
  {
    name: "types",
    title:
      "type test: tsc -p tests/types (wrong routes, requests, replies must not compile)",
    cmd: join(BIN, "tsc"),
    args: () => ["--noEmit", "-p", "tests/types/tsconfig.json"],
  },
  {
    name: "lint",
    title: "deno lint",
    cmd: join(BIN, "deno"),
    args: () => ["lint"],
  },
  {
    name: "fmt",
    title: "deno fmt --check",
    cmd: join(BIN, "deno"),
    args: () => ["fmt", "--check"],
  },
  {
    name: "neutral",
    title: "neutral core: mod.ts + src/ with web libs only, no runtime globals",
    cmd: NODE,
    args: () => ["scripts/check_neutral.mjs"],
  },
  {
    name: "bundle",
    title:
      "browser entries bundled by esbuild for the browser: no Node/Deno/Bun module reached",
    cmd: NODE,
    args: () => ["scripts/check_browser.mjs"],
  },
  {
    name: "jsr",
    title: "deno publish --dry-run: JSR package contents and slow types",
    cmd: join(BIN, "deno"),
    args: () => ["publish", "--dry-run", "--allow-dirty"],
  },
  {
    name: "doc",
    title: "deno test --doc: JSDoc examples of mod.ts and src/",
    cmd: join(BIN, "deno"),
    args: () => ["test", "--doc", "mod.ts", "src/"],
  },
  {
    name: "doclint",
    title: "deno doc --lint: every entry point (mod.ts, adapters/, codecs/)",
    cmd: NODE,
    args: () => ["scripts/doc_lint.mjs"],
  },
  {
    name: "deno",
    title: "tests under Deno",
    cmd: join(BIN, "deno"),
    args: () => ["test", "-A", ...tests],
    needsTests: true,
  },
  {
    name: "bun",
    title: "tests under Bun",
    cmd: join(BIN, "bun"),
    // Bun treats arguments as name filters unless they start with "./".
    // Bun alone ends a test after 5 s by default; Deno and Node wait for it.
    // Long tests carry their own budget (`{ timeout }`, which Bun honours);
    // --timeout gives every other test room on a busy machine too.
    args: () => [
      "test",
      "--timeout",
      String(BUN_TEST_TIMEOUT_MS),
      ...tests.map((file) => `./${file}`),
    ],
    needsTests: true,
  },
  {
    name: "node",
    title: "tests under Node (tsx)",
    cmd: NODE,
    args: () => ["--import", "tsx", "--test", ...tests],
    needsTests: true,
  },
  {
    name: "browser",
    title:
      "the browser demo in headless Chromium (skipped, saying why, without /usr/bin/chromium)",
    cmd: NODE,
    args: () => ["--import", "tsx", "--test", "tests/browser/chromium.ts"],
  },
  {
    name: "interop",
    title:
      "interop matrix: servers and clients on Deno, Bun and Node, nine pairs over TCP and nine over ws://, requests and streams",
    cmd: NODE,
    args: () => ["scripts/interop.mjs"],
  },
  {
    name: "build",
    title: "npm build",
    cmd: NODE,
    args: () => ["scripts/build_npm.mjs"],
  },
  {
    name: "package",
    title: "publint and attw on npm/; exports equal deno.json's; engines",
    cmd: NODE,
    args: () => ["scripts/check_npm.mjs"],
  },
  {
    name: "smoke",
    title:
      "npm consumer test: the packed tarball in a fresh project, tsc, README quick starts on Node, Deno, Bun",
    cmd: NODE,
    args: () => ["scripts/smoke_npm.mjs"],
  },
  {
    name: "bench",
    title:
      "every benchmark once, tiny: bench:compare, bench:connections, npm start, bench/*_bench.ts",
    cmd: NODE,
    args: () => ["scripts/bench_smoke.mjs"],
  },
];
const NAMES = STEPS.map((step) => step.name);

/** Reads `--only a,b` / `--skip a,b` (also `--only=a,b`); exits 2 on misuse. */
function selectSteps(argv) {
  let only = null;
  const skip = new Set();
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    if (flag !== "--only" && flag !== "--skip") {
      usage(`unknown argument ${argv[i]}`);
    }
    const value = inline ?? argv[++i];
    if (!value) usage(`${flag} needs a comma-separated list of steps`);
    const names = value.split(",").map((name) => name.trim()).filter(Boolean);
    for (const name of names) {
      if (!NAMES.includes(name)) usage(`unknown step "${name}"`);
    }
    if (flag === "--only") only = new Set([...(only ?? []), ...names]);
    else names.forEach((name) => skip.add(name));
  }
  return new Set(
    NAMES.filter((name) => (only?.has(name) ?? true) && !skip.has(name)),
  );
}

function usage(message) {
  console.error(`test: ${message}\nsteps: ${NAMES.join(", ")}`);
  console.error("usage: node scripts/test.mjs [--only a,b] [--skip c,d]");
  process.exit(2);
}

/**
 * Runs one command with inherited stdio in its own process group, so a
 * timeout or Ctrl-C ends it with every process it started.
 */
function run(cmd, args) {
  return new Promise((resolve) => {
    const env = {
      ...process.env,
      PATH: `${BIN}${delimiter}${process.env.PATH ?? ""}`,
      DENO_NO_UPDATE_CHECK: "1", // no network from Deno's upgrade check
      DENO_NO_PROMPT: "1",
      DO_NOT_TRACK: "1", // no telemetry from Bun
    };
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env,
      stdio: ["ignore", "inherit", "inherit"],
      detached: true,
    });
    const kill = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch { /* already gone */ }
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      kill("SIGTERM");
      setTimeout(() => kill("SIGKILL"), 5000).unref();
    }, TIMEOUT_MS);
    const forward = (signal) => kill(signal);
    process.on("SIGINT", forward).on("SIGTERM", forward);
    const done = (result) => {
      clearTimeout(timer);
      process.off("SIGINT", forward).off("SIGTERM", forward);
      resolve(result);
    };
    child.on("error", (error) => done({ ok: false, why: error.message }));
    child.on("exit", (code, signal) => {
      if (timedOut) {
        done({ ok: false, why: `timed out after ${TIMEOUT_MS / 1000} s` });
      } else if (code === 0) done({ ok: true });
      else {done({
          ok: false,
          why: signal ? `killed by ${signal}` : `exit code ${code}`,
        });}
    });
  });
}

const selected = selectSteps(process.argv.slice(2));
const results = [];
for (const step of STEPS.filter((step) => selected.has(step.name))) {
  console.log(`\n\x1b[1m━━ ${step.name}: ${step.title}\x1b[0m`);
  if (step.needsTests && tests.length === 0) {
    console.log("no *_test.ts files under tests/: nothing to run");
    results.push({ name: step.name, status: "skipped (no tests)", ms: 0 });
    continue;
  }
  const start = performance.now();
  const { ok, why } = await run(step.cmd, step.args());
  const ms = performance.now() - start;
  results.push({
    name: step.name,
    status: ok ? "passed" : `FAILED (${why})`,
    ms,
  });
  if (!ok) break;
}

console.log("\n\x1b[1m━━ summary\x1b[0m");
for (const { name, status, ms } of results) {
  console.log(
    `  ${name.padEnd(8)} ${status.padEnd(24)} ${
      (ms / 1000).toFixed(2).padStart(7)
    } s`,
  );
}
const ran = new Set(results.map((result) => result.name));
for (
  const name of NAMES.filter((name) => selected.has(name) && !ran.has(name))
) {
  console.log(`  ${name.padEnd(8)} not run`);
}
const failed = results.some((result) => result.status.startsWith("FAILED"));
console.log(
  failed ? "\nnpm test: FAILED" : "\nnpm test: all selected steps passed",
);
process.exitCode = failed ? 1 : 0;
