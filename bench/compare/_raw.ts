/**
 * The raw baseline's shape, the same on every runtime, and the loader that
 * picks the running runtime's file (raw_deno.ts, raw_bun.ts, raw_node.ts).
 *
 * @module
 */

import type { RuntimeName } from "../../adapters/runtime.ts";
import type { FifoSender } from "./_workload.ts";

/** A listening raw server. */
export interface RawServer {
  /** The bound port on 127.0.0.1. */
  port: number;
  /** Connections accepted so far. */
  accepted(): number;
}

/** A raw client connection. */
export interface RawClient extends FifoSender {
  /** Closes the connection. */
  close(): void;
}

/** What each runtime's raw file exports. */
export interface RawModule {
  /** Serves echo: every frame comes back as it came. */
  serveEcho(backlog?: number): Promise<RawServer>;
  /** Accepts connections and holds them, reading nothing. */
  serveHold(backlog?: number): Promise<RawServer>;
  /** Connects; `onReply` gets each reply's payload, in order. */
  connect(
    port: number,
    onReply: (payload: Uint8Array) => void,
  ): Promise<RawClient>;
}

/**
 * Loads the raw baseline of `runtime`.
 *
 * @param runtime The runtime running this code.
 * @returns Its raw module.
 */
export async function loadRaw(runtime: RuntimeName): Promise<RawModule> {
  switch (runtime) {
    case "deno":
      return await import("./raw_deno.ts");
    case "bun":
      return await import("./raw_bun.ts");
    case "node":
      return await import("./raw_node.ts");
  }
}
