/**
 * Checks that what a browser page imports reaches no Node, Deno or Bun API:
 * every entry point but the adapters (mod.ts, advanced.ts with
 * `dialWebSocket`, testing.ts, framing.ts, codecs/*, otel.ts; from deno.json's
 * `exports`) is bundled by esbuild for the browser (`platform: "browser"`,
 * the `browser` export condition of the dependencies), and
 *
 * 1. no import of a Node builtin (`node:fs`, `fs`, …), `npm:` or `jsr:`
 *    module may be reached, statically or by a dynamic `import()`: each is
 *    reported with the chain of imports from the entry that reaches it, and
 * 2. listenrain's own files in the bundle pass the neutral core's text scan
 *    (no `Deno.`, `Bun.`, `process.`, `require(`: scripts/check_neutral.mjs).
 *
 * Usage: node scripts/check_browser.mjs [entry.ts ...]
 * With arguments only those entries are checked (used to test the check);
 * `--out DIR` also writes each entry's bundle (ESM, minified) into DIR.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { basename, join } from "node:path";
import process from "node:process";
import { build } from "esbuild";
import { ROOT } from "./_files.mjs";

const BUILTINS = new Set(
  builtinModules.flatMap((name) => [name, `node:${name}`]),
);

/** Whether a specifier names a runtime's own module. */
function forbidden(specifier) {
  return /^(node|npm|jsr|bun):/.test(specifier) ||
    BUILTINS.has(specifier) || BUILTINS.has(specifier.split("/")[0]);
}

/** deno.json's entry points, the adapters left out (they are per runtime). */
function browserEntries() {
  const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
  return Object.entries(deno.exports)
    .filter(([subpath]) => !subpath.startsWith("./adapters/"))
    .map(([, target]) => target.replace(/^\.\//, ""));
}

/**
 * Marks runtime modules external instead of failing at the first one, so the
 * bundle's metafile shows every one and who imports it.
 */
const markRuntimeModules = {
  name: "runtime-modules",
  setup(build) {
    build.onResolve(
      { filter: /.*/ },
      (args) =>
        forbidden(args.path)
          ? { path: args.path, external: true, namespace: "runtime" }
          : undefined,
    );
  },
};

/** The import chain from `entry` to `target` in the metafile, or [target]. */
function chain(inputs, entry, target) {
  const from = new Map([[entry, null]]);
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const { path } of inputs[file]?.imports ?? []) {
      if (from.has(path)) continue;
      from.set(path, file);
      if (path === target) {
        const out = [target];
        for (let at = file; at !== null; at = from.get(at)) out.unshift(at);
        return out;
      }
      queue.push(path);
    }
  }
  return [target];
}

/** Bundles one entry; returns its problems and its own (non-dependency) files. */
async function check(entry, outDir) {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    minify: outDir !== undefined,
    write: false,
    metafile: true,
    logLevel: "silent",
    plugins: [markRuntimeModules],
    ...(outDir === undefined
      ? {}
      : { outfile: join(outDir, basename(entry).replace(/\.ts$/, ".js")) }),
  }).catch((error) => ({ error }));
  if (result.error) {
    const errors = result.error.errors ?? [{ text: String(result.error) }];
    return {
      problems: errors.map((e) =>
        `${entry}: ${
          e.location ? `${e.location.file}:${e.location.line}: ` : ""
        }${e.text}`
      ),
      own: [],
    };
  }
  const inputs = result.metafile.inputs;
  const problems = [];
  for (const [file, input] of Object.entries(inputs)) {
    for (const imported of input.imports) {
      if (!forbidden(imported.path)) continue;
      const path = chain(inputs, entry, file).join(" -> ");
      problems.push(
        `${entry}: reaches ${imported.path} (${imported.kind}): ${path}`,
      );
    }
  }
  if (outDir !== undefined) {
    mkdirSync(outDir, { recursive: true });
    for (const file of result.outputFiles) {
      writeFileSync(file.path, file.contents);
    }
  }
  const own = Object.keys(inputs).filter((file) =>
    file.endsWith(".ts") && !file.split("/").includes("node_modules")
  );
  return { problems, own };
}

const argv = process.argv.slice(2);
const at = argv.indexOf("--out");
const outDir = at >= 0 ? argv.splice(at, 2)[1] : undefined;
const entries = argv.length > 0 ? argv : browserEntries();

const problems = [];
const own = new Set();
for (const entry of entries) {
  const result = await check(entry, outDir);
  problems.push(...result.problems);
  result.own.forEach((file) => own.add(file));
}
for (const problem of problems) console.error(problem);
console.log(
  `browser: bundled ${entries.length} entries (${
    entries.join(", ")
  }) for the browser: ${problems.length} problems`,
);

// listenrain's files in the bundles (metafile paths: relative to ROOT, with
// "/"), against the neutral core's scan.
const scan = spawnSync(
  process.execPath,
  [join(ROOT, "scripts", "check_neutral.mjs"), ...own],
  { cwd: ROOT, stdio: "inherit" },
);

if (problems.length > 0 || scan.status !== 0) process.exit(1);
