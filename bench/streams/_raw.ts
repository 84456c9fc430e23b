/**
 * The raw baseline of the stream benchmark, the same shape on every runtime,
 * and the loader that picks the running runtime's file (raw_node.ts,
 * raw_deno.ts, raw_bun.ts). The client sends one stream request
 * (_payload.ts); the server then writes length-prefixed frames of the
 * payload as fast as its socket takes them (the whole frame prebuilt once,
 * written again and again), until `count` frames or until the client closes.
 * The client splits what it reads into frames (bench/compare/_frames.ts, as
 * the raw echo of bench:compare does) and hands each payload on.
 *
 * @module
 */

import type { RuntimeName } from "../../adapters/runtime.ts";
import { HEADER } from "../compare/_frames.ts";
import { payload, REQUEST_BYTES } from "./_payload.ts";

/** A raw reading connection. */
export interface RawReader {
  /** Closes the connection (the server stops writing). */
  close(): void;
  /** Settles when the server ended the stream or the connection closed. */
  ended: Promise<void>;
}

/** What each runtime's raw file exports. */
export interface RawModule {
  /** Serves streams; resolves to the port on 127.0.0.1. */
  serveFlood(): Promise<number>;
  /**
   * Connects, sends `request`, and calls `onMessage` with each payload (a
   * view valid during the call), in order.
   */
  readFlood(
    port: number,
    request: Uint8Array,
    onMessage: (payload: Uint8Array) => void,
  ): Promise<RawReader>;
}

/**
 * One frame of the payload of `size` bytes: the 4-byte length, the payload.
 *
 * @param size The payload's length.
 * @returns The frame (shared: never write to it).
 */
export function frameOf(size: number): Uint8Array {
  const frame = new Uint8Array(HEADER + size);
  new DataView(frame.buffer).setUint32(0, size);
  frame.set(payload(size), HEADER);
  return frame;
}

/**
 * Gathers the stream request from the first reads of a connection.
 *
 * @returns A function fed each chunk; returns the request once whole.
 */
export function requestReader(): (chunk: Uint8Array) => Uint8Array | undefined {
  const request = new Uint8Array(REQUEST_BYTES);
  let have = 0;
  return (chunk) => {
    if (have === REQUEST_BYTES) return undefined;
    const take = Math.min(REQUEST_BYTES - have, chunk.length);
    request.set(chunk.subarray(0, take), have);
    have += take;
    return have === REQUEST_BYTES ? request : undefined;
  };
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
