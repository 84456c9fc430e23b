/**
 * `npm run fuzz`: the long fuzz run of every decoder (tests/fuzz/_targets.ts):
 * one million cases by default, shared out among the targets, bounded in
 * time. `npm test` runs a short one (tests/fuzz/decoders_test.ts).
 *
 * Usage:
 *   node scripts/fuzz.mjs [--cases N] [--seconds S] [--seed N]
 *                         [--target substring] [--runtime node|deno|bun]
 *
 * Defaults: 1,000,000 cases, 600 s, a random seed (printed, so a failure can
 * be replayed with --seed and --target), Node. Exits 1 if a target failed.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { ROOT } from "./_files.mjs";

const options = {
  cases: "1000000",
  seconds: "600",
  seed: "-",
  target: "",
  runtime: "node",
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const [flag, inline] = argv[i].split("=", 2);
  const name = flag.replace(/^--/, "");
  if (!(name in options) || !flag.startsWith("--")) {
    console.error(`fuzz: unknown argument ${argv[i]}`);
    console.error(
      "usage: node scripts/fuzz.mjs [--cases N] [--seconds S] [--seed N] [--target name] [--runtime node|deno|bun]",
    );
    process.exit(2);
  }
  options[name] = inline ?? argv[++i];
}

const BIN = join(ROOT, "node_modules", ".bin");
const main = join("tests", "fuzz", "_main.ts");
const args = [options.cases, options.seconds, options.seed, options.target];
const commands = {
  node: [process.execPath, ["--import", "tsx", main, ...args]],
  deno: [join(BIN, "deno"), ["run", "-A", main, ...args]],
  bun: [join(BIN, "bun"), [main, ...args]],
};
const command = commands[options.runtime];
if (!command) {
  console.error(`fuzz: unknown runtime ${options.runtime}`);
  process.exit(2);
}
const child = spawn(command[0], command[1], {
  cwd: ROOT,
  stdio: "inherit",
  env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", DO_NOT_TRACK: "1" },
});
// The run stops itself at --seconds; this is the backstop.
const backstop = setTimeout(
  () => child.kill("SIGKILL"),
  (Number(options.seconds) + 120) * 1000,
);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => {
  clearTimeout(backstop);
  process.exitCode = signal ? 1 : code ?? 1;
});
