/**
 * Lints the built npm package (npm/, after scripts/build_npm.mjs) the way
 * registries and bundlers will read it, offline:
 *
 * 1. `publint --strict`: package.json fields, `exports`, files that exist;
 * 2. `attw --profile esm-only` (Are the Types Wrong?): every subpath's types
 *    resolve for ESM consumers under `node16`/`nodenext` and `bundler`
 *    module resolution (CommonJS `require` and `node10` are out of scope: the
 *    package is ESM only);
 * 3. its `exports` equal deno.json's, and `engines` names the Node versions
 *    the tests run on.
 *
 * Usage: node scripts/check_npm.mjs
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { ROOT } from "./_files.mjs";

const BIN = join(ROOT, "node_modules", ".bin");
const NPM_DIR = join(ROOT, "npm");

/** Runs a tool with inherited output; exits when it fails. */
function run(what, command, args) {
  console.log(`check:npm: ${what}`);
  const result = spawnSync(command, args, {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  if (result.status !== 0) {
    console.error(
      `check:npm: ${what} FAILED (${
        result.error?.message ?? `exit ${result.status}`
      })`,
    );
    process.exit(1);
  }
}

if (!existsSync(join(NPM_DIR, "package.json"))) {
  console.error("check:npm: npm/ is not built; run node scripts/build_npm.mjs");
  process.exit(1);
}

run("publint --strict npm/", join(BIN, "publint"), ["--strict", "npm"]);
run("attw --pack npm/ --profile esm-only", join(BIN, "attw"), [
  "--pack",
  "npm",
  "--profile",
  "esm-only",
  "--no-definitely-typed", // offline: no look-up of @types packages
  "--no-emoji",
  "--no-color",
  "--format",
  "table-flipped",
]);

const pkg = JSON.parse(readFileSync(join(NPM_DIR, "package.json"), "utf8"));
const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
const npmExports = Object.keys(pkg.exports).sort();
const denoExports = Object.keys(deno.exports).sort();
if (npmExports.join() !== denoExports.join()) {
  console.error(
    `check:npm: exports differ: npm [${npmExports}] vs deno.json [${denoExports}]`,
  );
  process.exit(1);
}
const tested = process.versions.node.split(".")[0];
const range = pkg.engines?.node ?? "";
const floor = /^>=\s*(\d+)/.exec(range)?.[1];
if (floor === undefined || Number(floor) > Number(tested)) {
  console.error(
    `check:npm: engines.node "${range}" does not admit Node ${process.versions.node}, which the tests run on`,
  );
  process.exit(1);
}
console.log(
  `check:npm: ok: ${npmExports.length} exports equal deno.json's; ` +
    `engines.node "${range}" (tests run on Node ${process.versions.node})`,
);
