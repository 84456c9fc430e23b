/**
 * `deno doc --lint` of every entry point in deno.json's `exports` (mod.ts,
 * adapters/*.ts, codecs/*.ts) at once, as JSR reads them: every exported
 * symbol has JSDoc, and every type a public signature uses is public.
 *
 * One error is accepted, and named here with its reason, so that any other
 * fails the step:
 *
 * - codecs/protobuf.ts: `protobufBody`'s return type uses Protobuf-ES's
 *   generic `MessageShape<Desc>` (the message type of a schema). A type
 *   alias of a generic type from a dependency is still flagged, and
 *   re-exporting `MessageShape` pulls that package's own undocumented types
 *   into the lint.
 *
 * Then, from `deno doc --json`: every exported symbol (class, function,
 * value, constant, interface and type) has a titled `@example`. A re-export
 * (`export type { Channel } from ...` in an adapter) is the same symbol as
 * its origin and is checked there.
 *
 * Deno's warnings about `@types/node`'s triple-slash references ("Failed
 * resolving types") are noise of `nodeModulesDir: "manual"` and are dropped.
 *
 * Usage: node scripts/doc_lint.mjs
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { ROOT } from "./_files.mjs";

/** Errors that are known and accepted, each with why. */
const ACCEPTED = [
  {
    rule: "private-type-ref",
    file: "codecs/protobuf.ts",
    text: "public type 'protobufBody' references private type 'MessageShape'",
    why: "Protobuf-ES's generic MessageShape<Desc> cannot be re-exported " +
      "without its package's own undocumented types",
  },
  // listenrain/otel takes OpenTelemetry's own API types (the optional peer
  // @opentelemetry/api documents them); re-exporting them would only copy
  // another package's API into ours.
  ...[
    [
      "otel/interceptor.ts",
      `'OtelInterceptorOptions["tracerProvider"]'`,
      "TracerProvider",
    ],
    [
      "otel/interceptor.ts",
      `'OtelInterceptorOptions["meterProvider"]'`,
      "MeterProvider",
    ],
    ["otel/observe_stats.ts", `'StatsSources["attributes"]'`, "Attributes"],
    ["otel/observe_stats.ts", "'observeStats'", "Meter"],
  ].map(([file, symbol, type]) => ({
    rule: "private-type-ref",
    file,
    text: `public type ${symbol} references private type '${type}'`,
    why: "a type of the optional peer @opentelemetry/api, documented there",
  })),
];

const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
const entryPoints = Object.values(deno.exports);
const result = spawnSync(
  join(ROOT, "node_modules", ".bin", "deno"),
  ["doc", "--lint", ...entryPoints],
  {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  },
);
if (result.error) {
  console.error(`doc lint: cannot run deno: ${result.error.message}`);
  process.exit(1);
}

// Drop the @types/node warnings (a "Warning" line and its "at" line).
const lines = `${result.stdout}\n${result.stderr}`.split("\n");
const kept = [];
for (let i = 0; i < lines.length; i++) {
  if (/^Warning Failed resolving types/.test(lines[i])) {
    if (/^\s+at .*@types\/node/.test(lines[i + 1] ?? "")) i++;
    continue;
  }
  kept.push(lines[i]);
}

// Each error: "error[rule]: text" then "--> /abs/path:line:col".
const errors = [];
for (let i = 0; i < kept.length; i++) {
  const match = /^error\[([\w-]+)\]: (.*)$/.exec(kept[i]);
  if (!match) continue;
  const where = /-->\s+(.*?):(\d+):\d+/.exec(kept[i + 1] ?? "");
  const file = where ? where[1].replace(`${ROOT}/`, "") : "?";
  errors.push({
    rule: match[1],
    text: match[2],
    file,
    line: where?.[2] ?? "?",
  });
}
const isAccepted = (error) =>
  ACCEPTED.some((known) =>
    known.rule === error.rule && known.file === error.file &&
    known.text === error.text
  );
const unexpected = errors.filter((error) => !isAccepted(error));
const accepted = errors.filter(isAccepted);

console.log(`doc lint: ${entryPoints.join(", ")}`);
for (const error of accepted) {
  const why = ACCEPTED.find((known) => known.text === error.text).why;
  console.log(
    `  accepted: ${error.file}:${error.line} ${error.rule}: ${error.text} (${why})`,
  );
}
if (unexpected.length > 0 || (result.status !== 0 && errors.length === 0)) {
  console.log(kept.join("\n").trim());
  console.error(
    `doc lint: FAILED, ${unexpected.length} error(s) in the public API's documentation`,
  );
  process.exit(1);
}
console.log(
  `doc lint: ${entryPoints.length} entry points clean` +
    (accepted.length ? ` (${accepted.length} accepted error)` : ""),
);

// Every exported class, function and (non-constant) value has a titled
// @example; types and constants need a summary (checked above) and may have
// one.
const json = spawnSync(
  join(ROOT, "node_modules", ".bin", "deno"),
  ["doc", "--json", ...entryPoints],
  {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  },
);
if (json.status !== 0) {
  console.error(`doc lint: deno doc --json failed: ${json.stderr}`);
  process.exit(1);
}
let symbols = 0;
let withExample = 0;
const needExample = [];
for (
  const [specifier, module] of Object.entries(JSON.parse(json.stdout).nodes)
) {
  for (const symbol of module.symbols ?? []) {
    symbols++;
    const declarations = symbol.declarations ?? [];
    const examples = declarations.flatMap((declaration) =>
      (declaration.jsDoc?.tags ?? []).filter((tag) => tag.kind === "example")
    );
    const untitled = examples.filter((tag) =>
      (tag.doc ?? "").trimStart().startsWith("```")
    );
    if (examples.length > 0 && untitled.length === 0) withExample++;
    const kind = declarations[0]?.kind;
    const file = specifier.replace(/^file:\/\/\//, "/").replace(`${ROOT}/`, "");
    if (untitled.length > 0) {
      needExample.push(
        `${file}: ${symbol.name} has an @example without a title`,
      );
    } else if (kind !== "reference" && examples.length === 0) {
      needExample.push(`${file}: ${kind} ${symbol.name} has no @example`);
    }
  }
}
if (needExample.length > 0) {
  console.error(needExample.map((line) => `  ${line}`).join("\n"));
  console.error(
    `doc lint: FAILED, ${needExample.length} public symbols without a titled example`,
  );
  process.exit(1);
}
console.log(
  `doc lint: every public symbol has a titled @example ` +
    `(${withExample} of ${symbols} exported symbols; the rest are re-exports)`,
);
