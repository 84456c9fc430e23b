/**
 * Tests the built npm package the way a newcomer gets it: `npm pack` npm/,
 * `npm install` the tarball into a fresh temporary project, then:
 *
 * 1. every export subpath resolves under Node, and `listenrain` plus
 *    `listenrain/adapters/node` import and work;
 * 2. `tsc --noEmit` (strict, moduleResolution NodeNext) type-checks, against
 *    the shipped `.d.ts`, a TypeScript consumer of the public API and the
 *    README's three quick starts (the Node one as JavaScript, `checkJs`);
 * 3. a request/reply round trip over the in-memory pipe completes under Node;
 * 4. the README's quick starts run, each on its runtime, against the
 *    installed package: Node (`node hello.mjs`, `listenrain/adapters/node`),
 *    Deno (`deno run --allow-net hello.ts`, `listenrain/adapters/deno`) and
 *    Bun (`bun hello.ts`, `listenrain/adapters/bun`), each a server and a
 *    client over loopback TCP that must print "hi, rain".
 *
 * The quick starts are taken from README.md, from the code block after each
 * `<!-- quickstart:node -->`, `<!-- quickstart:deno -->` and
 * `<!-- quickstart:bun -->` marker, so the README and this test cannot drift.
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

const BIN = join(ROOT, "node_modules", ".bin");
/** How long one quick start may run before it counts as hanging. */
const RUN_TIMEOUT_MS = 30_000;

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

/** A TypeScript consumer of the public API, type-checked against the .d.ts. */
const TYPES_CHECK = `
import {
  Client,
  type ErrorCode,
  jsonBody,
  ListenRainError,
  type PoolStats,
  Router,
  Server,
  setDebugLog,
  type SlowRequest,
  type TransportStats,
} from "listenrain";
import * as nodeAdapter from "listenrain/adapters/node";
import * as bunAdapter from "listenrain/adapters/bun";
import * as denoAdapter from "listenrain/adapters/deno";

const code: ErrorCode = new ListenRainError("ERR_TIMEOUT", "smoke").code;
export const result: [ErrorCode, object, object, object] = [
  code,
  nodeAdapter,
  bunAdapter,
  denoAdapter,
];

export async function typed(): Promise<string> {
  const slow: SlowRequest<unknown>[] = [];
  const server = new Server<string>({
    router: new Router().handle("sayhi", (name: string) => \`hi, \${name}\`),
    body: jsonBody,
    slowRequestThreshold: 100,
    onSlowRequest: (request) => slow.push(request),
  });
  server.serve(await nodeAdapter.listen("tcp://127.0.0.1:0"));
  const client = new Client<string>({
    endpoint: \`tcp://127.0.0.1:\${server.addrs[0].port}\`,
    dial: nodeAdapter.dial,
    body: jsonBody,
  });
  const reply: string = await client.request("sayhi", "rain");
  const stats: TransportStats = server.transportStats;
  const pool: PoolStats = client.pool.stats;
  setDebugLog(undefined);
  await client.close();
  await server.close();
  return \`\${reply} \${stats.requestsReceived} \${pool.reconnects}\`;
}
`;

/** The lead's round trip over the memory pipe. */
const ROUND_TRIP = `
import { createMemoryPipe, jsonBody, Peer, Router } from "listenrain";
import { deepStrictEqual } from "node:assert/strict";

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

/**
 * The code block that follows `<!-- quickstart:NAME -->` in README.md.
 *
 * @param {string} readme
 * @param {string} name
 * @returns {string}
 */
function quickStart(readme, name) {
  const marker = `<!-- quickstart:${name} -->`;
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no ${marker} marker`);
  const block = /```[a-z]*\n([\s\S]*?)```/.exec(
    readme.slice(at + marker.length),
  );
  if (!block) throw new Error(`README.md has no code block after ${marker}`);
  return block[1];
}

/**
 * Runs a command; throws with `what` when it fails or runs too long.
 *
 * @returns {string} its standard output
 */
function run(what, command, args, cwd, { capture = false } = {}) {
  console.log(`smoke: ${what}`);
  const result = spawnSync(command, args, {
    cwd,
    stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit",
    encoding: "utf8",
    timeout: RUN_TIMEOUT_MS * 4,
    killSignal: "SIGKILL",
    env: {
      ...process.env,
      DENO_NO_UPDATE_CHECK: "1",
      DENO_NO_PROMPT: "1",
      DO_NOT_TRACK: "1",
    },
  });
  if (capture && result.stdout) process.stdout.write(indent(result.stdout));
  if (result.status !== 0) {
    throw new Error(
      `${what} failed (${
        result.error?.message ?? result.signal ?? `exit ${result.status}`
      })`,
    );
  }
  return result.stdout ?? "";
}

/** Runs a quick start; it must print "hi, rain" and exit by itself. */
function runQuickStart(what, command, args, cwd) {
  console.log(`smoke: ${what}`);
  const started = performance.now();
  const result = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    timeout: RUN_TIMEOUT_MS,
    killSignal: "SIGKILL",
    env: {
      ...process.env,
      DENO_NO_UPDATE_CHECK: "1",
      DENO_NO_PROMPT: "1",
      DO_NOT_TRACK: "1",
    },
  });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  process.stdout.write(indent(output));
  if (result.status !== 0) {
    throw new Error(
      `${what} failed (${
        result.error?.message ?? result.signal ?? `exit ${result.status}`
      })`,
    );
  }
  if (!/^hi, rain$/m.test(result.stdout)) {
    throw new Error(`${what} did not print "hi, rain"`);
  }
  console.log(
    `  ok: printed "hi, rain" and exited in ${
      Math.round(performance.now() - started)
    } ms`,
  );
}

const indent = (text) =>
  text.trim() === "" ? "" : text.trimEnd().replace(/^/gm, "  ") + "\n";

if (!existsSync(join(ROOT, "npm", "package.json"))) {
  console.error(
    "smoke: npm/ is not built; run node scripts/build_npm.mjs first",
  );
  process.exit(1);
}

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
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
  mkdirSync(join(app, "deno"));
  mkdirSync(join(app, "bun"));
  writeFileSync(join(app, "hello.mjs"), quickStart(readme, "node"));
  writeFileSync(join(app, "deno", "hello.ts"), quickStart(readme, "deno"));
  writeFileSync(join(app, "bun", "hello.ts"), quickStart(readme, "bun"));
  run("npm install the tarball", "npm", [
    "install",
    tarball,
    "--prefer-offline",
    ...npmFlags,
  ], app);

  run("import under Node", process.execPath, ["import_check.mjs"], app);
  run(
    "tsc --noEmit: a TypeScript consumer and the README's three quick starts, against the .d.ts",
    process.execPath,
    [
      join(ROOT, "node_modules", "typescript", "bin", "tsc"),
      "--noEmit",
      "--strict",
      "--allowJs",
      "--checkJs",
      "--module",
      "NodeNext",
      "--moduleResolution",
      "NodeNext",
      "--target",
      "ES2022",
      "--lib",
      "ES2023,DOM,ESNext.Disposable",
      "--types",
      "node",
      "--typeRoots",
      join(ROOT, "node_modules", "@types"),
      "consumer.ts",
      "hello.mjs",
      "deno/hello.ts",
      "bun/hello.ts",
    ],
    app,
  );
  run("request/reply round trip", process.execPath, ["round_trip.mjs"], app);
  runQuickStart(
    "README quick start on Node: node hello.mjs",
    process.execPath,
    ["hello.mjs"],
    app,
  );
  runQuickStart(
    "README quick start on Deno: deno run --allow-net hello.ts",
    join(BIN, "deno"),
    ["run", "--allow-net", "hello.ts"],
    join(app, "deno"),
  );
  runQuickStart(
    "README quick start on Bun: bun hello.ts (listenrain/adapters/bun)",
    join(BIN, "bun"),
    ["hello.ts"],
    join(app, "bun"),
  );
  console.log("smoke: ok");
} catch (error) {
  console.error(`smoke: FAILED: ${error.message}`);
  process.exitCode = 1;
} finally {
  rmSync(temp, { recursive: true, force: true });
}
