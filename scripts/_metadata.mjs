/**
 * The package's metadata must tell one story in package.json (and so the npm
 * build), deno.json (JSR) and docs/install.md. `metadataProblems` lists what
 * disagrees; scripts/build_npm.mjs fails on any of it, so `npm test`'s build
 * step checks it.
 *
 * - The optional serialization libraries: package.json's `peerDependencies`
 *   and deno.json's `npm:` imports name the same packages with the same
 *   version range. A Deno import names one range (`npm:x@^2.0.0`; `||` does
 *   not parse), so where the peer range is a union, deno.json holds its last
 *   (newest) part. A `name/` import (subpaths) must say the same range.
 * - The library version the tests run on (node_modules) lies in that range.
 * - docs/install.md states each peer range in its table.
 * - `version` and `license` agree; package.json has a description, keywords,
 *   repository, homepage and bugs (the npm build copies them).
 *
 * @module
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The parts of a range `a || b`, trimmed.
 *
 * @param {string} range
 * @returns {string[]}
 */
export const rangeParts = (range) => range.split("||").map((s) => s.trim());

/**
 * Whether `version` (x.y.z) lies in `range`, a union of caret ranges
 * (`^1.10.0 || ^2.0.0`), the only form the peers use.
 *
 * @param {string} version
 * @param {string} range
 * @returns {boolean}
 * @throws {Error} for any other form of range.
 */
export function inCaretRange(version, range) {
  const v = version.split(/[.+-]/).slice(0, 3).map(Number);
  return rangeParts(range).some((part) => {
    const m = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(part);
    if (!m) throw new Error(`cannot read range "${part}" (only ^x.y.z)`);
    const low = m.slice(1).map(Number);
    // ^ keeps the first non-zero part fixed (^0.2.3: 0.2.x; ^0.0.3: 0.0.3).
    const fixed = low[0] > 0 ? 1 : low[1] > 0 ? 2 : 3;
    for (let i = 0; i < fixed; i++) if (v[i] !== low[i]) return false;
    for (let i = 0; i < 3; i++) if (v[i] !== low[i]) return v[i] > low[i];
    return true;
  });
}

/**
 * What disagrees between package.json, deno.json and docs/install.md.
 *
 * @param {{ pkg: any, deno: any, installDoc?: string,
 *   installed?: (name: string) => string | undefined }} sources
 *   `installed` gives the version of a library in node_modules.
 * @returns {string[]} one sentence per problem; empty when all agree.
 */
export function metadataProblems({ pkg, deno, installDoc, installed }) {
  const problems = [];
  const peers = pkg.peerDependencies ?? {};
  const imports = deno.imports ?? {};
  for (const [name, range] of Object.entries(peers)) {
    const denoRange = rangeParts(range).at(-1);
    const wanted = { [name]: `npm:${name}@${denoRange}` };
    if (`${name}/` in imports) {
      wanted[`${name}/`] = `npm:/${name}@${denoRange}/`;
    }
    for (const [key, value] of Object.entries(wanted)) {
      if (imports[key] !== value) {
        problems.push(
          `deno.json imports "${key}" is ${
            JSON.stringify(imports[key])
          }, but package.json's peer range "${range}" means "${value}"`,
        );
      }
    }
    const version = installed?.(name);
    if (version !== undefined && !inCaretRange(version, range)) {
      problems.push(
        `${name} ${version} (node_modules, what the tests run on) is outside the peer range "${range}"`,
      );
    }
    if (installDoc !== undefined) {
      const row = `| \`${name}\``;
      const cell = `\`${range.replaceAll("|", "\\|")}\``;
      const line = installDoc.split("\n").find((l) => l.includes(row));
      if (!line?.includes(cell)) {
        problems.push(`docs/install.md's table does not give ${name} ${cell}`);
      }
    }
  }
  for (const [key, value] of Object.entries(imports)) {
    const name = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)@/.exec(value)?.[1];
    if (name !== undefined && !(name in peers)) {
      problems.push(
        `deno.json imports "${key}" from npm package ${name}, which is not in package.json's peerDependencies`,
      );
    }
  }
  if (pkg.version !== deno.version) {
    problems.push(
      `version: package.json ${pkg.version}, deno.json ${deno.version}`,
    );
  }
  if (pkg.license !== deno.license) {
    problems.push(
      `license: package.json ${pkg.license}, deno.json ${deno.license}`,
    );
  }
  for (const field of ["description", "homepage"]) {
    if (typeof pkg[field] !== "string" || pkg[field] === "") {
      problems.push(`package.json has no ${field}`);
    }
  }
  if (!pkg.repository?.url) problems.push("package.json has no repository.url");
  if (!pkg.bugs?.url) problems.push("package.json has no bugs.url");
  if (!Array.isArray(pkg.keywords) || pkg.keywords.length === 0) {
    problems.push("package.json has no keywords");
  }
  return problems;
}

/**
 * `metadataProblems` of the files in `root`.
 *
 * @param {string} root the repository root
 * @returns {string[]}
 */
export function repositoryMetadataProblems(root) {
  const read = (path) => readFileSync(join(root, path), "utf8");
  return metadataProblems({
    pkg: JSON.parse(read("package.json")),
    deno: JSON.parse(read("deno.json")),
    installDoc: read("docs/install.md"),
    installed: (name) => {
      const file = join(root, "node_modules", name, "package.json");
      return existsSync(file)
        ? JSON.parse(readFileSync(file, "utf8")).version
        : undefined;
    },
  });
}
