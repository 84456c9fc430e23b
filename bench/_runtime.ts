/**
 * Runtime helpers for benchmarks, examples and tests. Which runtime runs this
 * file and its adapter come from the package's own
 * `listenrain/adapters/runtime` (adapters/runtime.ts), re-exported here; this
 * file adds only the command that runs a TypeScript file on that runtime.
 *
 * @module
 */

import process from "node:process";
import { detectRuntime } from "../adapters/runtime.ts";

export {
  type Adapter,
  detectRuntime,
  loadAdapter,
  type RuntimeName,
} from "../adapters/runtime.ts";

/**
 * The command that runs a TypeScript file on the runtime running this code:
 * `deno run -A file`, `bun file`, or `node --import tsx file`.
 *
 * @param file The file's path.
 * @param args Its arguments.
 * @returns The executable and its arguments, for `spawn`.
 */
export function scriptCommand(
  file: string,
  args: readonly string[] = [],
): [string, string[]] {
  switch (detectRuntime()) {
    case "deno":
      return [process.execPath, ["run", "-A", file, ...args]];
    case "bun":
      return [process.execPath, [file, ...args]];
    case "node":
      return [process.execPath, ["--import", "tsx", file, ...args]];
  }
}
