/**
 * Helpers of the reliability suites: an exactly-once ledger of request
 * outcomes, raw frames, memory measurement, and the runtime's TCP adapter.
 *
 * @module
 */

import assert from "node:assert/strict";
import process from "node:process";
import v8 from "node:v8";
import vm from "node:vm";
import type { Channel } from "../../src/channel/channel.ts";
import { ENVELOPE_KINDS } from "../../src/codec/envelope.ts";

export { deferred, sleep, until } from "../_helpers/pair.ts";
export {
  randomBytes,
  settled,
  stillPending,
  within,
} from "../_conformance/_helpers.ts";
export { frameOf, FrameReader } from "../_conformance/_raw_frames.ts";
export { tcpAdapter } from "../lifecycle/_helpers.ts";

/** One mebibyte. */
export const MiB = 1024 * 1024;
/** One kibibyte. */
export const KiB = 1024;

/**
 * Counts how each request settled. Every request is opened once and must be
 * settled exactly once; a second settlement is recorded as a double, a
 * missing one shows in {@linkcode Ledger.unsettled}.
 */
export class Ledger {
  #outcomes: (string | undefined)[] = [];
  #doubles: string[] = [];
  /** How many requests settled with each outcome. */
  readonly counts: Map<string, number> = new Map();

  /** Opens a request; returns its number. */
  open(): number {
    this.#outcomes.push(undefined);
    return this.#outcomes.length - 1;
  }

  /** Records that request `id` settled with `outcome`. */
  settle(id: number, outcome: string): void {
    const first = this.#outcomes[id];
    if (first !== undefined) {
      this.#doubles.push(`${id}: ${first}, then ${outcome}`);
      return;
    }
    this.#outcomes[id] = outcome;
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
  }

  /** Settles request `id` with the name of `error` (or "ok"). */
  settleWith(id: number, error?: unknown): void {
    this.settle(id, error === undefined ? "ok" : nameOf(error));
  }

  /** Requests opened. */
  get size(): number {
    return this.#outcomes.length;
  }

  /** Requests settled (once). */
  get settled(): number {
    let n = 0;
    for (const outcome of this.#outcomes) if (outcome !== undefined) n++;
    return n;
  }

  /** Ids of requests not settled yet. */
  unsettled(): number[] {
    const ids: number[] = [];
    this.#outcomes.forEach((outcome, id) => {
      if (outcome === undefined) ids.push(id);
    });
    return ids;
  }

  /** How many settled with `outcome`. */
  count(outcome: string): number {
    return this.counts.get(outcome) ?? 0;
  }

  /**
   * Asserts every request settled exactly once, each with one of `allowed`.
   */
  assertExactlyOnce(allowed: readonly string[]): void {
    assert.deepEqual(this.#doubles, [], "requests settled twice");
    const unsettled = this.unsettled();
    assert.equal(
      unsettled.length,
      0,
      `${unsettled.length} of ${this.size} requests never settled (first: ${
        unsettled.slice(0, 5)
      })`,
    );
    for (const [outcome, n] of this.counts) {
      assert.ok(
        allowed.includes(outcome),
        `${n} requests settled with ${outcome}, not one of ${allowed}`,
      );
    }
  }

  /** The counts as a plain object, for messages. */
  summary(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

/** The name of an error, with its remote code for a `RemoteError`. */
export function nameOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { remoteCode?: string }).remoteCode;
    return code === undefined ? error.name : `${error.name}:${code}`;
  }
  return String(error);
}

/** The bytes of one default-protocol frame, built by hand (any fields). */
export function rawFrame(
  kind: number,
  id: number,
  rest: Uint8Array = new Uint8Array([0]),
  flags = 0,
): Uint8Array {
  const payload = new Uint8Array(6 + rest.byteLength);
  payload[0] = kind;
  payload[1] = flags;
  new DataView(payload.buffer).setUint32(2, id);
  payload.set(rest, 6);
  return lengthPrefixed(payload);
}

/** `payload` behind a u32 big-endian length. */
export function lengthPrefixed(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(4 + payload.byteLength);
  new DataView(frame.buffer).setUint32(0, payload.byteLength);
  frame.set(payload, 4);
  return frame;
}

/** The envelope kinds by number, for raw frames. */
export const KIND = ENVELOPE_KINDS;

/** Writes `bytes` on a raw channel; resolves false if the write failed. */
export async function writeRaw(
  channel: Channel,
  ...chunks: Uint8Array[]
): Promise<boolean> {
  const writer = channel.writable.getWriter();
  try {
    for (const chunk of chunks) await writer.write(chunk);
    return true;
  } catch {
    return false;
  } finally {
    writer.releaseLock();
  }
}

/**
 * Reads a raw channel until it ends or errors; resolves to how it ended and
 * the bytes read.
 */
export async function readToEnd(
  channel: Channel,
): Promise<{ ended: "eof" | "error"; bytes: number }> {
  const reader = channel.readable.getReader();
  let bytes = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return { ended: "eof", bytes };
      bytes += value.byteLength;
    }
  } catch {
    return { ended: "error", bytes };
  } finally {
    reader.releaseLock();
  }
}

let gcFunction: (() => void) | undefined | null = null;

/**
 * The runtime's garbage collector: `Bun.gc` on Bun; on Deno and Node, V8's
 * `gc`, exposed for the tests at run time (`--expose-gc` through
 * `node:v8`, then taken from a fresh `node:vm` context). `undefined` if none.
 */
function gcOf(): (() => void) | undefined {
  if (gcFunction !== null) return gcFunction;
  const g = globalThis as {
    gc?: () => void;
    Bun?: { gc(force: boolean): void };
  };
  if (g.Bun) gcFunction = () => g.Bun!.gc(true);
  else if (typeof g.gc === "function") gcFunction = g.gc;
  else {
    try {
      v8.setFlagsFromString("--expose-gc");
      gcFunction = vm.runInNewContext("gc") as () => void;
    } catch {
      gcFunction = undefined;
    }
  }
  return gcFunction;
}

/** Runs the garbage collector if the runtime has one to call. */
export function collectGarbage(): void {
  gcOf()?.();
}

/**
 * The heap in use plus external memory, after a collection that has
 * settled: V8 counts the memory of a collected ArrayBuffer as external until
 * its concurrent sweeper has freed it, so a reading right after one
 * collection can still count megabytes of dead buffers (seen: 9 MiB more in
 * one run of three, by timing alone). Collects, waits 50 ms, collects again.
 */
export async function settledLiveBytes(): Promise<number> {
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 50));
  collectGarbage();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

/** The process's resident set size in bytes (works on Deno, Bun and Node). */
export function rss(): number {
  return process.memoryUsage().rss;
}

/**
 * Measures how much memory the process holds because of `body`: the resident
 * set size once `body` is done (its connections, queues and waiting requests
 * still in place) over a baseline taken before it started, each right after
 * a full garbage collection, so that garbage not yet collected does not
 * count. Without a collector to call, the largest size sampled while `body`
 * runs counts instead (a looser, noisier bound).
 */
export async function measureGrowth<T>(
  body: () => Promise<T>,
): Promise<{ growth: number; result: T }> {
  collectGarbage();
  const base = rss();
  let peak = base;
  const sampler = gcOf() === undefined
    ? setInterval(() => peak = Math.max(peak, rss()), 10)
    : undefined;
  try {
    const result = await body();
    collectGarbage();
    peak = Math.max(peak, rss());
    return { growth: peak - base, result };
  } finally {
    clearInterval(sampler);
  }
}

/** Formats bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

/** True when the heavy variants run (`npm run stress` sets LISTENRAIN_STRESS=1). */
export function stress(): boolean {
  return process.env.LISTENRAIN_STRESS === "1";
}

/** A small deterministic PRNG (mulberry32), so failures can be replayed by seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
