/**
 * `npm run stress`: the heavy variants of the reliability suites
 * (tests/reliability/), which `npm test` runs small: the soak with 1,000,000
 * requests instead of 100,000, 1 GiB through a slow reader instead of
 * 64 MiB, and more load across the server's kill and restart. The suites
 * read `LISTENRAIN_STRESS=1`.
 *
 * Usage:
 *   node scripts/stress.mjs                     Node, Deno and Bun, in turn
 *   node scripts/stress.mjs --runtime node,deno  just these runtimes
 *
 * Each runtime's run is killed after STRESS_TIMEOUT_S seconds (default
 * 1800). Exits 1 if any failed.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { delimiter, join } from "node:path";
import process from "node:process";
import { ROOT, walk } from "./_files.mjs";

const BIN = join(ROOT, "node_modules", ".bin");
const TIMEOUT_MS = Number(process.env.STRESS_TIMEOUT_S ?? 1800) * 1000;
const files = walk("tests/reliability", (path) => path.endsWith("_test.ts"));

const RUNNERS = {
  node: [process.execPath, ["--import", "tsx", "--test", ...files]],
  deno: [join(BIN, "deno"), ["test", "-A", ...files]],
  bun: [join(BIN, "bun"), [
    "test",
    "--timeout",
    String(TIMEOUT_MS),
    ...files.map((f) => `./${f}`),
  ]],
};

let runtimes = Object.keys(RUNNERS);
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const [flag, inline] = argv[i].split("=", 2);
  if (flag !== "--runtime") {
    console.error(`stress: unknown argument ${argv[i]}`);
    console.error("usage: node scripts/stress.mjs [--runtime node,deno,bun]");
    process.exit(2);
  }
  runtimes = (inline ?? argv[++i] ?? "").split(",").filter(Boolean);
  for (const name of runtimes) {
    if (!(name in RUNNERS)) {
      console.error(`stress: unknown runtime ${name}`);
      process.exit(2);
    }
  }
}

/** Runs one runtime's suites in their own process group; resolves ok or why not. */
function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "inherit"],
      detached: true,
      env: {
        ...process.env,
        LISTENRAIN_STRESS: "1",
        PATH: `${BIN}${delimiter}${process.env.PATH ?? ""}`,
        DENO_NO_UPDATE_CHECK: "1",
        DO_NOT_TRACK: "1",
      },
    });
    const kill = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch { /* gone */ }
    };
    const timer = setTimeout(() => kill("SIGKILL"), TIMEOUT_MS);
    const forward = (signal) => kill(signal);
    process.on("SIGINT", forward).on("SIGTERM", forward);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      process.off("SIGINT", forward).off("SIGTERM", forward);
      resolve(
        code === 0 ? "passed" : `FAILED (${signal ?? `exit code ${code}`})`,
      );
    });
  });
}

const results = [];
for (const name of runtimes) {
  console.log(`\n\x1b[1m━━ stress: tests/reliability under ${name}\x1b[0m`);
  const started = performance.now();
  const status = await run(...RUNNERS[name]);
  results.push([name, status, (performance.now() - started) / 1000]);
}
console.log("\n\x1b[1m━━ stress summary\x1b[0m");
for (const [name, status, s] of results) {
  console.log(
    `  ${name.padEnd(6)} ${status.padEnd(24)} ${s.toFixed(1).padStart(7)} s`,
  );
}
process.exitCode = results.every(([, status]) => status === "passed") ? 0 : 1;
