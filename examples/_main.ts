/**
 * `isMain(import.meta)`: whether a module is the program being run, on Deno,
 * Bun and Node (where `import.meta.main` exists only from Node 24.2 on). The
 * examples run their `main()` when started directly, and only export it
 * when a test imports them.
 *
 * @module
 */

import process from "node:process";
import { pathToFileURL } from "node:url";

/**
 * @param meta The calling module's `import.meta`.
 * @returns True if that module is the entry point.
 */
export function isMain(meta: ImportMeta): boolean {
  const main = (meta as { main?: unknown }).main;
  if (typeof main === "boolean") return main;
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(script).href === meta.url;
}
