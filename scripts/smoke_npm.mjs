/**
 * Smoke-tests the built npm package the way a user gets it: `npm pack` npm/,
 * `npm install` the tarball into a fresh temporary project, then under Node:
 *
 * 1. every export subpath resolves, and `listenrain` plus
 *    `listenrain/adapters/node` import and work;
 * 2. a TypeScript consumer type-checks against the shipped `.d.ts`
 *    (moduleResolution NodeNext);
 * 3. a request/reply round trip over the in-memory pipe completes.
 *
 * Usage: node scripts/smoke_npm.mjs   (after node scripts/build_npm.mjs)
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ROOT } from "./_files.mjs";

/** Imports the package and its node adapter; resolves every subpath. */
const IMPORT_CHECK = `
import { ListenRainError } from "listenrain";
import * as nodeAdapter from "listenrain/adapters/node";
import { readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync("node_modules/listenrain/package.json", "utf8"));
for (const subpath of Object.keys(pkg.exports)) {
  const name = "listenrain" + subpath.slice(1);
  console.log("  resolves " + name + " -> " + import.meta.resolve(name));
}
const error = new ListenRainError("ERR_TIMEOUT", "smoke");
if (!(error instanceof Error) || error.code !== "ERR_TIMEOUT") {
  throw new Error("ListenRainError does not behave as an Error with a code");
}
if (Object.keys(nodeAdapter).length === 0) throw new Error("adapters/node exports nothing");
console.log("  imported listenrain and listenrain/adapters/node");
`;

/** Type-checks a consumer against the published declarations. */
const TYPES_CHECK = `
import { ListenRainError, type ErrorCode } from "listenrain";
import * as nodeAdapter from "listenrain/adapters/node";

const code: ErrorCode = new ListenRainError("ERR_TIMEOUT", "smoke").code;
export const result: [ErrorCode, object] = [code, nodeAdapter];
`;

/** The lead's round trip; fails clearly while the API is not in mod.ts yet. */
const ROUND_TRIP = `
import * as lr from "listenrain";
import { deepStrictEqual } from "node:assert/strict";

const needed = ["createMemoryPipe", "Peer", "Router", "jsonBody"];
const missing = needed.filter((name) => !(name in lr));
if (missing.length > 0) {
  console.error("  listenrain does not export " + missing.join(", ") + " (yet)");
  process.exit(1);
}
const { createMemoryPipe, Peer, Router, jsonBody } = lr;
const timer = setTimeout(() => {
  console.error("  round trip did not finish within 10 s");
  process.exit(1);
}, 10_000);

const [a, b] = createMemoryPipe();
const router = new Router().handle("sayhi", (body) => ({ hi: body.name }));
const server = new Peer(a, { router, body: jsonBody });
const client = new Peer(b, { body: jsonBody });
const reply = await client.request("sayhi", { name: "rain" });
deepStrictEqual(reply, { hi: "rain" });
await client.close();
await server.close();
clearTimeout(timer);
console.log("  round trip over the memory pipe: " + JSON.stringify(reply));
`;

/** Runs a command, inheriting stdio; throws with `what` when it fails. */
function run(what, command, args, cwd) {
  console.log(`smoke: ${what}`);
  const result = spawnSync(command, args, { cwd, stdio: "inherit" });
  if (result.status !== 0) {
    throw new Error(
      `${what} failed (${result.error?.message ?? `exit ${result.status}`})`,
    );
  }
}

if (!existsSync(join(ROOT, "npm", "package.json"))) {
  console.error(
    "smoke: npm/ is not built; run node scripts/build_npm.mjs first",
  );
  process.exit(1);
}

const temp = mkdtempSync(join(tmpdir(), "listenrain-smoke-"));
try {
  const npmFlags = ["--no-audit", "--no-fund", "--loglevel=error"];
  run(
    "npm pack",
    "npm",
    ["pack", "--pack-destination", temp, ...npmFlags],
    join(ROOT, "npm"),
  );
  const { version } = JSON.parse(
    readFileSync(join(ROOT, "npm", "package.json"), "utf8"),
  );
  const tarball = join(temp, `listenrain-${version}.tgz`);

  const app = join(temp, "app");
  mkdirSync(app);
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "smoke", private: true, type: "module" }),
  );
  writeFileSync(join(app, "import_check.mjs"), IMPORT_CHECK);
  writeFileSync(join(app, "consumer.ts"), TYPES_CHECK);
  writeFileSync(join(app, "round_trip.mjs"), ROUND_TRIP);
  run("npm install the tarball", "npm", [
    "install",
    tarball,
    "--prefer-offline",
    ...npmFlags,
  ], app);

  run("import under Node", process.execPath, ["import_check.mjs"], app);
  run("type-check a consumer against the .d.ts", process.execPath, [
    join(ROOT, "node_modules", "typescript", "bin", "tsc"),
    "--noEmit",
    "--strict",
    "--module",
    "NodeNext",
    "--moduleResolution",
    "NodeNext",
    "--target",
    "ES2022",
    "--lib",
    "ES2023,DOM",
    "--types",
    "node",
    "--typeRoots",
    join(ROOT, "node_modules", "@types"),
    "consumer.ts",
  ], app);
  run("request/reply round trip", process.execPath, ["round_trip.mjs"], app);
  console.log("smoke: ok");
} catch (error) {
  console.error(`smoke: FAILED: ${error.message}`);
  process.exitCode = 1;
} finally {
  rmSync(temp, { recursive: true, force: true });
}
