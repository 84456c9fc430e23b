/**
 * The interop client's stream checks, run on one connection at once: server
 * streams, client streams and bidirectional streams of `patternOf` messages,
 * each checked byte for byte (or by the server's SHA-256 digest), and three
 * streams cancelled mid-way (a `break` out of a server stream's `for await`,
 * an aborted signal on a bidirectional and on a client stream) whose
 * handlers must report their `ctx.signal` aborted.
 *
 * @module
 */

import { assertSameBytes } from "../_conformance/_helpers.ts";
import type { Connection } from "../../src/connection/connection.ts";
import { AbortedError } from "../../src/errors.ts";
import {
  digestOf,
  patternOf,
  patternsRequest,
  STREAM_SIZES,
  transformOf,
} from "./_streams.ts";

/** How many streams of each kind, and messages per stream. */
export interface StreamPlan {
  /** Streams of each of the three kinds, run at once. */
  perKind: number;
  /**
   * Messages per stream: about 750 KiB, past the server's default window
   * (256 KiB) and many times the client's, so credit is granted again and again.
   */
  messages: number;
}

/** What ran: streams and their messages (both directions). */
export interface StreamCount {
  streams: number;
  messages: number;
}

/**
 * Runs every stream check on `peer`.
 *
 * @param peer A connection to the interop server.
 * @param plan How much.
 * @param seedBase Makes this client's seeds and tokens its own.
 * @returns What ran.
 * @throws The first check that failed.
 */
export async function runStreams(
  peer: Connection,
  plan: StreamPlan,
  seedBase: number,
): Promise<StreamCount> {
  const count: StreamCount = { streams: 0, messages: 0 };
  const runs: Promise<void>[] = [];
  for (let k = 0; k < plan.perKind; k++) {
    // Start at another size each time, so every size meets every credit step.
    const seed = seedBase + k;
    const count_ = plan.messages + k;
    runs.push(
      serverStream(peer, seed, count_, count),
      clientStream(peer, seed, count_, count),
      bidiStream(peer, seed, count_, count),
    );
  }
  runs.push(
    cancelByBreak(peer, seedBase, count),
    cancelBySignal(peer, seedBase, count),
    cancelUpload(peer, seedBase, count),
  );
  await Promise.all(runs);
  return count;
}

async function serverStream(
  peer: Connection,
  seed: number,
  messages: number,
  count: StreamCount,
): Promise<void> {
  let index = 0;
  for await (
    const message of peer.serverStream(
      "stream.patterns",
      patternsRequest(seed, messages),
    )
  ) {
    const what = `server stream ${seed}: message ${index}`;
    assertSameBytes(message as Uint8Array, patternOf(seed, index), what);
    index++;
  }
  if (index !== messages) {
    throw new Error(
      `server stream ${seed}: ${index} messages, expected ${messages}`,
    );
  }
  count.streams++;
  count.messages += messages;
}

function* patterns(seed: number, messages: number): Generator<Uint8Array> {
  for (let i = 0; i < messages; i++) yield patternOf(seed, i);
}

async function clientStream(
  peer: Connection,
  seed: number,
  messages: number,
  count: StreamCount,
): Promise<void> {
  // An async source, as an upload reads a file.
  async function* source() {
    yield* patterns(seed, messages);
  }
  const reply = await peer.clientStream("stream.digest", source());
  const expected = await digestOf(patterns(seed, messages));
  assertSameBytes(
    reply as Uint8Array,
    expected,
    `client stream ${seed}: digest`,
  );
  count.streams++;
  count.messages += messages;
}

async function bidiStream(
  peer: Connection,
  seed: number,
  messages: number,
  count: StreamCount,
): Promise<void> {
  let index = 0;
  for await (
    const reply of peer.bidiStream("stream.transform", patterns(seed, messages))
  ) {
    const what = `bidi stream ${seed}: reply ${index}`;
    assertSameBytes(
      reply as Uint8Array,
      transformOf(patternOf(seed, index)),
      what,
    );
    index++;
  }
  if (index !== messages) {
    throw new Error(
      `bidi stream ${seed}: ${index} replies, expected ${messages}`,
    );
  }
  count.streams++;
  count.messages += 2 * messages;
}

/** A token of this client's: 16 deterministic bytes. */
function tokenOf(seedBase: number, which: number): Uint8Array {
  return patternOf(seedBase * 16 + which, STREAM_SIZES.indexOf(64)).slice(
    0,
    16,
  );
}

/** Asks the server what the handler of `token` saw; throws unless both. */
async function assertCancelled(
  peer: Connection,
  token: Uint8Array,
  what: string,
): Promise<void> {
  const seen = await peer.request("stream.cancelled", token) as Uint8Array;
  if (seen[0] !== 1 || seen[1] !== 1) {
    throw new Error(
      `${what}: the server's handler saw signal aborted=${
        seen[0] === 1
      }, handler ended (generator closed)=${seen[1] === 1}`,
    );
  }
}

/** Reads a few messages of an endless stream, then leaves the loop. */
async function cancelByBreak(
  peer: Connection,
  seedBase: number,
  count: StreamCount,
): Promise<void> {
  const token = tokenOf(seedBase, 1);
  let read = 0;
  for await (const _ of peer.serverStream("stream.endless", token)) {
    if (++read === 40) break;
  }
  await assertCancelled(peer, token, "server stream left with break");
  count.streams++;
  count.messages += read;
}

/** Opens an endless bidi stream, reads a few replies, aborts its signal. */
async function cancelBySignal(
  peer: Connection,
  seedBase: number,
  count: StreamCount,
): Promise<void> {
  const token = tokenOf(seedBase, 2);
  const controller = new AbortController();
  const aborted = new Promise<void>((resolve) =>
    controller.signal.addEventListener("abort", () => resolve())
  );
  async function* source() {
    yield token;
    await aborted; // sends nothing more; ends once the call is cancelled
  }
  let read = 0;
  let error: unknown;
  try {
    for await (
      const _ of peer.bidiStream("stream.endless.bidi", source(), {
        signal: controller.signal,
      })
    ) {
      if (++read === 40) controller.abort(new Error("enough"));
    }
  } catch (caught) {
    error = caught;
  }
  if (!(error instanceof AbortedError)) {
    throw new Error(
      `bidi stream cancelled by its signal: the reader got ${error}, expected AbortedError`,
    );
  }
  await assertCancelled(peer, token, "bidi stream cancelled by its signal");
  count.streams++;
  count.messages += read + 1;
}

/** Uploads to an endless client stream, and aborts its signal mid-way. */
async function cancelUpload(
  peer: Connection,
  seedBase: number,
  count: StreamCount,
): Promise<void> {
  const token = tokenOf(seedBase, 3);
  const controller = new AbortController();
  let sent = 0;
  async function* source() {
    yield token;
    for (; sent < 100_000; sent++) {
      if (sent === 40) controller.abort(new Error("enough"));
      yield new Uint8Array(1024);
    }
  }
  let error: unknown;
  try {
    await peer.clientStream("stream.endless.upload", source(), {
      signal: controller.signal,
    });
  } catch (caught) {
    error = caught;
  }
  if (!(error instanceof AbortedError)) {
    throw new Error(
      `client stream cancelled by its signal: the call got ${error}, expected AbortedError`,
    );
  }
  await assertCancelled(peer, token, "client stream cancelled by its signal");
  count.streams++;
  count.messages += sent + 1;
}
