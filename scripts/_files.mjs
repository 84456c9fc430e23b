/**
 * Shared file helpers of the toolchain scripts: the repository root, a
 * directory walker, and the list of test files every runner gets.
 *
 * @module
 */

import { existsSync, readdirSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (the parent of scripts/). */
export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** Folders no script ever looks into. */
const IGNORED = new Set(["node_modules", "npm", ".git", ".tmp"]);

/**
 * Lists the files under `dir` (relative to the root) whose names pass `keep`,
 * as root-relative paths with `/` separators, sorted. A missing `dir` gives [].
 *
 * @param {string} dir
 * @param {(path: string) => boolean} keep
 * @returns {string[]}
 */
export function walk(dir, keep) {
  const out = [];
  const visit = (abs) => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      if (IGNORED.has(entry.name)) continue;
      const path = join(abs, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile()) {
        const rel = relative(ROOT, path).split(sep).join("/");
        if (keep(rel)) out.push(rel);
      }
    }
  };
  const start = join(ROOT, dir);
  if (existsSync(start)) visit(start);
  return out.sort();
}

/**
 * The test files: `tests/**\/*_test.ts`, leaving out helpers, that is files or
 * folders whose name starts with `_` (such as `tests/_conformance/`).
 *
 * @returns {string[]} root-relative paths
 */
export function testFiles() {
  return walk("tests", (path) =>
    path.endsWith("_test.ts") &&
    !path.split("/").some((part) => part.startsWith("_")));
}
