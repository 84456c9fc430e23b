/**
 * Checks that the core (mod.ts and src/) is runtime-neutral:
 *
 * 1. it type-checks with web libs only (tsconfig.neutral.json: ES2023 + DOM,
 *    no Deno namespace, no @types/node), and
 * 2. a text scan finds no `Deno.`, `Bun.`, `process.`, `require(`, no
 *    `globalThis.Deno`-style lookups, no `/// <reference types>` and no import
 *    from `node:`, `npm:` or `jsr:`. Comments are skipped (block comments and
 *    lines that start with `//`), so JSDoc may still mention `Deno.Conn`.
 *
 * Usage: node scripts/check_neutral.mjs [file.ts ...]
 * With file arguments only those files are scanned (used to test the scan).
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import { ROOT, walk } from "./_files.mjs";

/** What the core must not contain, with the reason printed for a hit. */
const FORBIDDEN = [
  [/(?<![\w$.])Deno\s*\./, "uses the Deno namespace"],
  [/(?<![\w$.])Bun\s*\./, "uses the Bun global"],
  [/(?<![\w$.])process\s*\./, "uses the process global"],
  [/(?<![\w$.])require\s*\(/, "calls require()"],
  [
    /globalThis\s*(\.|\[\s*["'`])\s*(Deno|Bun|process)\b/,
    "looks up a runtime global",
  ],
  [/\bglobalThis\b.*\b(Deno|Bun)\b/, "looks up a runtime global"],
  [/\b(from|import)\s*\(?\s*["'`](node|npm|jsr):/, "imports a runtime module"],
];

/** Replaces block comments and `//` comment lines with blanks, keeping lines. */
function stripComments(text) {
  const blank = (s) => s.replace(/[^\n]/g, " ");
  return text
    .replace(/\/\*[\s\S]*?\*\//g, blank)
    .replace(/^[ \t]*\/\/.*$/gm, (line) =>
      // Triple-slash directives stay: they pull in types.
      line.trimStart().startsWith("/// <reference") ? line : blank(line));
}

/** Returns "file:line: reason: text" for every forbidden use in `file`. */
function scan(file) {
  const original = readFileSync(resolve(ROOT, file), "utf8").split("\n");
  const hits = [];
  stripComments(original.join("\n")).split("\n").forEach((line, i) => {
    const reasons = FORBIDDEN.filter(([re]) => re.test(line)).map(([, r]) => r);
    if (line.includes("/// <reference")) {
      reasons.push("has a reference directive");
    }
    for (const reason of reasons) {
      hits.push(`${file}:${i + 1}: ${reason}: ${original[i].trim()}`);
    }
  });
  return hits;
}

/** Type-checks the core against web libs with tsc; returns true when clean. */
function typeCheck() {
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const result = spawnSync(process.execPath, [
    tsc,
    "-p",
    "tsconfig.neutral.json",
  ], {
    cwd: ROOT,
    stdio: "inherit",
  });
  return result.status === 0;
}

const args = process.argv.slice(2);
const files = args.length > 0
  ? args
  : ["mod.ts", ...walk("src", (path) => path.endsWith(".ts"))];

// With explicit files only the scan runs.
const typesOk = args.length > 0 || typeCheck();
if (args.length === 0) {
  console.log(`neutral: tsc (web libs only) ${typesOk ? "ok" : "FAILED"}`);
}

const hits = files.flatMap(scan);
for (const hit of hits) console.error(hit);
console.log(
  `neutral: scanned ${files.length} files, ${hits.length} forbidden uses`,
);

if (!typesOk || hits.length > 0) process.exit(1);
