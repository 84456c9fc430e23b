/**
 * Tests the package the way a newcomer installs it: by running the commands
 * of docs/install.md as written, each shell block after an
 * `<!-- install:NAME -->` marker with `sh -e`, in a layout where each
 * runtime's project sits next to the clone (`../listenrain`, a link to this
 * repository), as the page assumes. Its first block (git clone, npm ci) needs
 * the network and is what this repository already is, so it is not run.
 *
 * 1. build: `npm run build:npm` and `npm pack` in the clone;
 * 2. node: a project made and installed by the Node block, where
 *    - every export subpath resolves under Node, and `listenrain` plus
 *      `listenrain/adapters/node` import and work;
 *    - `tsc --noEmit` (strict, moduleResolution NodeNext) type-checks, against
 *      the shipped `.d.ts`, a TypeScript consumer of the public API and the
 *      README's three quick starts (the Node one as JavaScript, `checkJs`);
 *    - a request/reply round trip over the in-memory pipe completes;
 *    - the README's Node quick start runs (`node hello.mjs`), and so does its
 *      Deno quick start (`deno run --allow-net hello.ts`: Deno reading the
 *      tarball from node_modules, as the page says it can);
 * 3. bun: the Bun block, then the README's Bun quick start (`bun hello.ts`);
 * 4. deno: the Deno block and its `deno.json` (the clone linked in place of
 *    the JSR package), then the README's Deno quick start.
 *
 * Each quick start is a server and a client over loopback TCP that must print
 * "hi, rain". The quick starts are the code blocks after README.md's
 * `<!-- quickstart:node -->`, `<!-- quickstart:deno -->` and
 * `<!-- quickstart:bun -->` markers.
 *
 * Usage: node scripts/smoke_npm.mjs
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
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ROOT } from "./_files.mjs";
import { markedBlock, QUIET_ENV, runShell } from "./_install_doc.mjs";

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

/**
 * A TypeScript consumer of the public API, type-checked against the .d.ts:
 * the root, every subpath, and the route table as the client's type (a
 * wrong route, request or reply must not compile).
 */
const TYPES_CHECK = `
import {
  Client,
  jsonBody,
  ListenRainError,
  type Logger,
  Router,
  Server,
  setLogger,
} from "listenrain";
import type {
  ConnectionStats,
  ErrorCode,
  PoolStats,
  SlowRequest,
} from "listenrain/advanced";
import { LengthPrefixedCodec } from "listenrain/framing";
import { createMemoryPipe, MemoryNetwork } from "listenrain/testing";
import * as nodeAdapter from "listenrain/adapters/node";
import * as bunAdapter from "listenrain/adapters/bun";
import * as denoAdapter from "listenrain/adapters/deno";
import type { RuntimeName } from "listenrain/adapters/runtime";

const code: ErrorCode = new ListenRainError("ERR_TIMEOUT", "smoke").code;
const runtime: RuntimeName = "node";
export const result: [ErrorCode, RuntimeName, object, object, object, object] = [
  code,
  runtime,
  nodeAdapter,
  bunAdapter,
  denoAdapter,
  [createMemoryPipe, MemoryNetwork, LengthPrefixedCodec],
];

export async function typed(): Promise<string> {
  const slow: SlowRequest<unknown>[] = [];
  const router = new Router().handle("sayhi", (name: string) => \`hi, \${name}\`);
  const server = new Server({
    router,
    body: jsonBody,
    slowRequestThreshold: 100,
    onSlowRequest: (request) => slow.push(request),
  });
  server.serve(await nodeAdapter.listen("tcp://127.0.0.1:0"));
  const client = new Client<typeof router>({
    endpoint: \`tcp://127.0.0.1:\${server.addrs[0].port}\`,
    dial: nodeAdapter.dial,
    body: jsonBody,
  });
  const reply: string = await client.request("sayhi", "rain");
  // @ts-expect-error: no such route
  await client.request("no.such.route", "rain").catch(() => {});
  // @ts-expect-error: the request is a string
  await client.request("sayhi", 42).catch(() => {});
  // @ts-expect-error: the reply is a string
  const wrong: number = await client.request("sayhi", "rain");
  const stats: ConnectionStats = server.connectionStats;
  const pool: PoolStats = client.pool.stats;
  const logger: Logger = console; // console is a Logger as it is
  setLogger(logger);
  setLogger(undefined);
  await client.close();
  await server.close();
  return \`\${reply} \${wrong} \${stats.requestsReceived} \${pool.reconnects}\`;
}
`;

/** The lead's round trip over the memory pipe. */
const ROUND_TRIP = `
import { Connection, jsonBody, Router } from "listenrain";
import { createMemoryPipe } from "listenrain/testing";
import { deepStrictEqual } from "node:assert/strict";

const timer = setTimeout(() => {
  console.error("  round trip did not finish within 10 s");
  process.exit(1);
}, 10_000);
const [a, b] = createMemoryPipe();
const router = new Router().handle("sayhi", (body) => ({ hi: body.name }));
const server = new Connection(a, { router, body: jsonBody });
const client = new Connection(b, { body: jsonBody });
const reply = await client.request("sayhi", { name: "rain" });
deepStrictEqual(reply, { hi: "rain" });
await client.close();
await server.close();
clearTimeout(timer);
console.log("  round trip over the memory pipe: " + JSON.stringify(reply));
`;

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
    env: { ...process.env, ...QUIET_ENV },
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
    env: { ...process.env, ...QUIET_ENV },
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

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const quickStart = (name) =>
  markedBlock(readme, `quickstart:${name}`, "README.md");
const doc = readFileSync(join(ROOT, "docs", "install.md"), "utf8");
const step = (name) => markedBlock(doc, `install:${name}`, "docs/install.md");
const { version } = JSON.parse(
  readFileSync(join(ROOT, "package.json"), "utf8"),
);
const tarball = join(ROOT, "npm", `listenrain-${version}.tgz`);
const temp = mkdtempSync(join(tmpdir(), "listenrain-smoke-"));

/** A folder for one runtime's project, beside a `listenrain` clone. */
function besideClone(name) {
  const dir = join(temp, name);
  mkdirSync(dir);
  symlinkSync(ROOT, join(dir, "listenrain"), "dir");
  return dir;
}

try {
  runShell(
    "docs/install.md, build (in the clone)",
    step("build"),
    ROOT,
    RUN_TIMEOUT_MS * 8,
  );
  if (!existsSync(tarball)) {
    throw new Error(
      `the build step did not write npm/listenrain-${version}.tgz`,
    );
  }

  const nodeDir = besideClone("node");
  runShell("docs/install.md, Node", step("node"), nodeDir, RUN_TIMEOUT_MS * 4);
  const app = join(nodeDir, "hello");
  writeFileSync(join(app, "import_check.mjs"), IMPORT_CHECK);
  writeFileSync(join(app, "consumer.ts"), TYPES_CHECK);
  writeFileSync(join(app, "round_trip.mjs"), ROUND_TRIP);
  writeFileSync(join(app, "hello.mjs"), quickStart("node"));
  writeFileSync(join(app, "hello.ts"), quickStart("deno"));
  writeFileSync(join(app, "bun_hello.ts"), quickStart("bun"));

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
      "hello.ts",
      "bun_hello.ts",
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
    "README quick start on Deno, from node_modules: deno run --allow-net hello.ts",
    join(BIN, "deno"),
    ["run", "--allow-net", "hello.ts"],
    app,
  );

  const bunDir = besideClone("bun");
  runShell("docs/install.md, Bun", step("bun"), bunDir, RUN_TIMEOUT_MS * 4);
  writeFileSync(join(bunDir, "hello", "hello.ts"), quickStart("bun"));
  runQuickStart(
    "README quick start on Bun: bun hello.ts",
    join(BIN, "bun"),
    ["hello.ts"],
    join(bunDir, "hello"),
  );

  const denoDir = besideClone("deno");
  runShell("docs/install.md, Deno", step("deno"), denoDir, RUN_TIMEOUT_MS);
  writeFileSync(join(denoDir, "hello", "deno.json"), step("deno.json"));
  writeFileSync(join(denoDir, "hello", "hello.ts"), quickStart("deno"));
  runQuickStart(
    "README quick start on Deno, the clone linked: deno run --allow-net hello.ts",
    join(BIN, "deno"),
    ["run", "--allow-net", "hello.ts"],
    join(denoDir, "hello"),
  );
  console.log("smoke: ok");
} catch (error) {
  console.error(`smoke: FAILED: ${error.message}`);
  process.exitCode = 1;
} finally {
  rmSync(temp, { recursive: true, force: true });
  rmSync(tarball, { force: true });
}
