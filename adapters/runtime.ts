/**
 * The adapter of the runtime running this code, for programs that run on
 * Deno, Bun and Node alike: {@linkcode detectRuntime} names the runtime and
 * {@linkcode loadAdapter} imports its adapter (`listenrain/adapters/deno`,
 * `…/bun` or `…/node`) on first use, so only that one adapter is loaded.
 *
 * A program written for one runtime imports that runtime's adapter directly.
 *
 * @example A server and a client on whichever runtime runs this
 * ```ts
 * import { loadAdapter } from "listenrain/adapters/runtime";
 *
 * const { dial, listen } = await loadAdapter();
 * const listener = await listen("tcp://127.0.0.1:0");
 * const channel = await dial(`tcp://127.0.0.1:${listener.addr.port}`);
 * channel.close();
 * listener.close();
 * ```
 *
 * @module
 */

import type { Channel, Listener } from "../src/channel/channel.ts";
import type { TransportKeyLike } from "./_key.ts";
import type { DialOptions, ListenOptions } from "./_options.ts";

export type * from "./_exports.ts";

/**
 * The runtimes listenrain runs on.
 *
 * @example Naming the runtime in a log line
 * ```ts
 * import {
 *   detectRuntime,
 *   type RuntimeName,
 * } from "listenrain/adapters/runtime";
 *
 * const runtime: RuntimeName = detectRuntime();
 * console.log(`running on ${runtime}`);
 * ```
 */
export type RuntimeName = "deno" | "bun" | "node";

/**
 * What every adapter module exports: `listenrain/adapters/deno`, `…/bun` and
 * `…/node` each satisfy it.
 *
 * @example A function that works with any adapter
 * ```ts
 * import { type Adapter, loadAdapter } from "listenrain/adapters/runtime";
 *
 * async function freePort(adapter: Adapter): Promise<number> {
 *   const listener = await adapter.listen("tcp://127.0.0.1:0");
 *   const port = listener.addr.port!;
 *   listener.close();
 *   return port;
 * }
 * console.log(await freePort(await loadAdapter()) > 0); // true
 * ```
 */
export interface Adapter {
  /**
   * Opens a channel to `key` (`tcp://host:port`, `tls://host:port` or
   * `unix:///path`).
   */
  dial(key: string | TransportKeyLike, options?: DialOptions): Promise<Channel>;
  /** Listens on `key`; the listener yields each accepted channel. */
  listen(
    key: string | TransportKeyLike,
    options?: ListenOptions,
  ): Promise<Listener>;
}

/**
 * Names the runtime running this code, from its global (`Deno`, then `Bun`;
 * otherwise Node). Deno is checked first because it also offers Node's
 * `process`.
 *
 * @returns `"deno"`, `"bun"` or `"node"`.
 *
 * @example Choosing a command per runtime
 * ```ts
 * import { detectRuntime } from "listenrain/adapters/runtime";
 *
 * const runtime = detectRuntime();
 * const command = runtime === "deno" ? "deno run -A" : runtime;
 * console.log(`${command} app.ts`);
 * ```
 */
export function detectRuntime(): RuntimeName {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Deno === "object" && g.Deno !== null) return "deno";
  if (typeof g.Bun === "object" && g.Bun !== null) return "bun";
  return "node";
}

/**
 * Imports the adapter of a runtime: by default the one running this code.
 * Only that adapter's module is loaded.
 *
 * @param runtime The runtime whose adapter to load (default:
 *   {@linkcode detectRuntime}`()`).
 * @returns Its module (`dial` and `listen`).
 * @throws {TypeError} When `runtime` is not `"deno"`, `"bun"` or `"node"`.
 *
 * @example Listening with the current runtime's adapter
 * ```ts
 * import { loadAdapter } from "listenrain/adapters/runtime";
 *
 * const { listen } = await loadAdapter();
 * const listener = await listen("tcp://127.0.0.1:0");
 * console.log(listener.addr.port! > 0); // true
 * listener.close();
 * ```
 */
export async function loadAdapter(
  runtime: RuntimeName = detectRuntime(),
): Promise<Adapter> {
  switch (runtime) {
    case "deno":
      return await import("./deno.ts");
    case "bun":
      return await import("./bun.ts");
    case "node":
      return await import("./node.ts");
    default:
      throw new TypeError(
        `Unknown runtime ${
          JSON.stringify(runtime)
        }: expected "deno", "bun" or "node"`,
      );
  }
}
