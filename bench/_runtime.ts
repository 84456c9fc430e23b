/**
 * Runtime detection for benchmarks and examples, in this one place: which
 * runtime runs this file, and its adapter.
 *
 * @module
 */

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
