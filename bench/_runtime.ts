/**
 * Runtime detection for benchmarks, examples and tests, in this one place:
 * which runtime runs this file, its adapter, and the command that runs a
 * TypeScript file on it.
 *
 * @module
 */

import process from "node:process";
import type { Channel, Listener } from "../src/channel/channel.ts";

/** The runtimes listenrain runs on. */
export type RuntimeName = "deno" | "bun" | "node";

/** What every adapter exports. */
export interface Adapter {
  dial(key: string): Promise<Channel>;
  listen(key: string): Promise<Listener>;
}

/** @returns The runtime running this code. */
export function detectRuntime(): RuntimeName {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Deno === "object") return "deno";
  if (typeof g.Bun === "object") return "bun";
  return "node";
}

/** @returns The adapter of the runtime running this code. */
export async function loadAdapter(
  runtime: RuntimeName = detectRuntime(),
): Promise<Adapter> {
  switch (runtime) {
    case "deno":
      return await import("../adapters/deno.ts");
    case "bun":
      return await import("../adapters/bun.ts");
    case "node":
      return await import("../adapters/node.ts");
  }
}

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
