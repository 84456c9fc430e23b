/**
 * The harness of the transport conformance suite: a fresh channel pair per
 * test, peers that are closed after it, and the helpers the tests share.
 *
 * @module
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Channel } from "../../src/channel/channel.ts";
import { ConnectionClosedError } from "../../src/errors.ts";
import { LengthPrefixedCodec } from "../../src/framing/length_prefixed.ts";
import { Connection } from "../../src/connection/connection.ts";
import type { ConnectionOptions } from "../../src/connection/connection_options.ts";
import { Router } from "../../src/transport/router.ts";
import type { ChannelPair } from "./channel_suite.ts";
import { within } from "./_helpers.ts";

/** What a channel supports, and limits for the suite. */
export interface TransportFeatures {
  /** Skips the whole suite (with the reason, if a string). */
  skip?: boolean | string;
  /** The channel half-closes when its writable closes. @default {true} */
  halfClose?: boolean;
  /** The bound of each test, in ms. @default {60000} */
  timeoutMs?: number;
}

/** What each test gets: the pair, and a maker of peers closed after it. */
export interface Harness {
  pair: ChannelPair;
  peer(channel: Channel, options?: ConnectionOptions<Uint8Array>): Connection;
}

/** Registers one test that gets a {@linkcode Harness}. */
export type HarnessTest = (
  title: string,
  body: (harness: Harness) => Promise<void>,
  skip?: boolean | string,
) => void;

/**
 * Makes the test registrar: each test gets a fresh pair from `makePair`, runs
 * for at most `timeoutMs`, and then has its peers and pair closed.
 */
export function harnessTests(
  makePair: () => Promise<ChannelPair>,
  timeoutMs: number,
): HarnessTest {
  return (title, body, skip = false) => {
    // The runner's budget covers the bounds below (making, the body,
    // cleaning up, closing), so a bound that is crossed reports itself (Bun
    // alone ends a test after 5 s by default).
    test(title, { skip, timeout: timeoutMs + 40_000 }, async () => {
      const pair = await within(10_000, "making a channel pair", makePair());
      const peers: Connection[] = [];
      const peer = (
        channel: Channel,
        options?: ConnectionOptions<Uint8Array>,
      ) => {
        const made = new Connection(channel, {
          closeTimeout: 5_000,
          ...options,
        });
        peers.push(made);
        return made;
      };
      try {
        await within(timeoutMs, title, body({ pair, peer }));
      } finally {
        const closing = peers.map((p) => p.close());
        await within(10_000, "cleaning up the pair", pair.cleanup());
        await within(10_000, "closing the peers", Promise.all(closing));
      }
    });
  };
}

/** One mebibyte. */
export const MiB = 1024 * 1024;
/** How long a promise must stay pending to count as waiting (not a timing assert). */
export const STALL_MS = 250;
/** Sending this much to a peer that does not read must make the sender wait. */
export const BACKPRESSURE_LIMIT = 64 * MiB;
/** Room for 16 MiB bodies plus the envelope (the default limit is 16 MiB). */
export const large = (): ConnectionOptions<Uint8Array> => ({
  framing: new LengthPrefixedCodec({ maxFrameSize: 32 << 20 }),
});
/** A router with one route, "echo": the body back. */
export const echo = (): Router =>
  new Router().handle("echo", (body: Uint8Array) => body);

/** A u32, big-endian, in 4 fresh bytes. */
export function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

/** The big-endian u32 at the start of `bytes`. */
export function readU32(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .getUint32(0);
}

/** The reply of the "mix" route: a bijection, so a wrong match shows. */
export function mix(value: number): number {
  return Math.imul(value ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
}

/** Resets a channel if it can (the memory pipe), else closes it. */
export function reset(channel: Channel): void {
  const resettable = channel as Channel & { reset?: () => void };
  if (typeof resettable.reset === "function") resettable.reset();
  else channel.close();
}

/**
 * Marks `promise` handled at once, so a rejection that comes while the test
 * awaits something else is not reported as unhandled; it is asserted later.
 */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** Asserts that every one of `promises` rejects with `ConnectionClosedError`. */
export async function rejectsClosed(
  promises: Promise<unknown>[],
  what: string,
): Promise<void> {
  for (const [i, promise] of promises.entries()) {
    await assert.rejects(
      promise,
      ConnectionClosedError,
      `${what} ${i} rejects with ConnectionClosedError`,
    );
  }
}
