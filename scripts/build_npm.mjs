/**
 * Builds the npm package in npm/: compiles the entry points (mod.ts,
 * testing.ts, framing.ts, advanced.ts, adapters/*.ts, codecs/*.ts, otel.ts)
 * with tsc
 * (tsconfig.build.json) to ESM `.js` + `.d.ts`, rewrites
 * any `.ts` import specifier left in the `.d.ts` files to `.js`, and writes
 * npm/package.json whose `exports` are derived from deno.json's `exports` and
 * whose metadata (description, keywords, license, repository, homepage, bugs)
 * and optional peer dependencies are package.json's. Fails when an export
 * target was not emitted, so the npm and JSR export maps cannot drift apart,
 * and first when package.json, deno.json and docs/install.md disagree on
 * version, license or the peers' version ranges (scripts/_metadata.mjs).
 *
 * Usage: node scripts/build_npm.mjs
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { ROOT } from "./_files.mjs";
import { repositoryMetadataProblems } from "./_metadata.mjs";

const OUT = join(ROOT, "npm");

/** Stops the build with a message. */
function fail(message) {
  console.error(`build:npm: ${message}`);
  process.exit(1);
}

const readJson = (path) => JSON.parse(readFileSync(join(ROOT, path), "utf8"));
const deno = readJson("deno.json");

// 0. One story in package.json, deno.json and docs/install.md.
const problems = repositoryMetadataProblems(ROOT);
if (problems.length > 0) {
  fail(`metadata disagrees:\n  ${problems.join("\n  ")}`);
}

// 1. Compile.
rmSync(OUT, { recursive: true, force: true });
const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const compiled = spawnSync(
  process.execPath,
  [tsc, "-p", "tsconfig.build.json"],
  {
    cwd: ROOT,
    stdio: "inherit",
  },
);
if (compiled.status !== 0) fail("tsc failed");

// 2. Older TypeScript cannot resolve `.ts` specifiers in declarations:
// rewrite relative `./x.ts` in `from "…"`, `import("…")` and `/// <reference>`.
const declarations = readdirSync(OUT, { recursive: true })
  .filter((file) => file.endsWith(".d.ts"))
  .map((file) => join(OUT, file));
for (const file of declarations) {
  const text = readFileSync(file, "utf8");
  const fixed = text.replace(
    /(["'])(\.{1,2}\/[^"'\n]*?)\.(m|c)?ts\1/g,
    (_, quote, path, kind = "") => `${quote}${path}.${kind}js${quote}`,
  );
  if (fixed !== text) writeFileSync(file, fixed);
  if (/["']\.{1,2}\/[^"'\n]*\.[mc]?ts["']/.test(fixed)) {
    fail(`${file} still has a .ts import specifier`);
  }
}

// 3. npm exports derived from deno.json, each target checked.
const exports = {};
for (const [subpath, target] of Object.entries(deno.exports)) {
  const base = target.replace(/^\.\//, "").replace(/\.ts$/, "");
  const entry = { types: `./${base}.d.ts`, default: `./${base}.js` };
  for (const file of Object.values(entry)) {
    if (!existsSync(join(OUT, file))) {
      fail(
        `export "${subpath}" -> ${target}: ${file} was not emitted ` +
          "(is it in tsconfig.build.json's include?)",
      );
    }
  }
  exports[subpath] = entry;
}

const root = readJson("package.json");
const pkg = {
  name: "listenrain",
  version: deno.version,
  description: root.description,
  keywords: root.keywords,
  license: root.license,
  repository: root.repository,
  homepage: root.homepage,
  bugs: root.bugs,
  type: "module",
  sideEffects: false,
  // The Node versions the tests run on (package.json's, checked by
  // scripts/check_npm.mjs).
  engines: root.engines ?? { node: ">=20" },
  // main/types serve tools that predate `exports`.
  main: exports["."]?.default,
  types: exports["."]?.types,
  exports,
  // The serialization libraries behind ./codecs/* and @opentelemetry/api
  // behind ./otel are optional: only users of a subpath install its library.
  ...(root.peerDependencies && {
    peerDependencies: root.peerDependencies,
    peerDependenciesMeta: root.peerDependenciesMeta,
  }),
  files: ["**/*.js", "**/*.d.ts", "README.md", "LICENSE"],
};
writeFileSync(join(OUT, "package.json"), JSON.stringify(pkg, null, 2) + "\n");

// 4. Read it back: the subpaths must be exactly deno.json's.
const written = Object.keys(
  JSON.parse(readFileSync(join(OUT, "package.json"), "utf8")).exports,
);
const wanted = Object.keys(deno.exports);
if ([...written].sort().join() !== [...wanted].sort().join()) {
  fail(`npm exports [${written}] differ from deno.json exports [${wanted}]`);
}

// 5. README and LICENSE.
for (const file of ["README.md", "LICENSE"]) {
  if (existsSync(join(ROOT, file))) {
    copyFileSync(join(ROOT, file), join(OUT, file));
  } else if (file === "LICENSE") fail("LICENSE is missing");
  else {console.warn(
      `build:npm: warning: ${file} is missing; the package ships without it`,
    );}
}

console.log(
  `build:npm: npm/ ${pkg.name}@${pkg.version}, exports ${wanted.join(", ")}`,
);
