/**
 * What the interop server and client agree on for streams: the routes, the
 * deterministic messages and how each route answers them.
 *
 * - "stream.patterns" (server stream): the request is `u32 seed, u32 count`;
 *   the replies are `patternOf(seed, 0…count-1)`, of the sizes of
 *   `STREAM_SIZES` in turn (0 B to 96 KiB, one above 64 KiB).
 * - "stream.digest" (client stream): the reply is `digestOf(messages)`: the
 *   count, the total length and a SHA-256 (crypto.subtle) over every
 *   message prefixed with its u32 length, so order and boundaries count.
 * - "stream.transform" (bidirectional): one reply per message, as it
 *   arrives: `transformOf(message)` (the bytes reversed, each XOR 0xa5).
 * - "stream.endless" (server stream until cancelled): the request is a
 *   token; the handler yields 1 KiB messages until its `ctx.signal`
 *   aborts, and records that under the token. "stream.endless.bidi" does the
 *   same for a bidirectional stream whose first message is the token, and
 *   "stream.endless.upload" for a client stream (the token, then messages
 *   it reads until its signal aborts).
 * - "stream.cancelled" (request/reply): the token in, `[aborted, finished]`
 *   out once the handler of that token saw its signal abort and ended (its
 *   generator was closed, or its loop over the requests left) — or what it
 *   saw by `CANCEL_WAIT_MS`.
 *
 * @module
 */

import { randomBytes } from "../_conformance/_helpers.ts";

/** The sizes of a stream's messages, in turn: one above 64 KiB. */
export const STREAM_SIZES: readonly number[] = [
  0,
  1,
  7,
  64,
  1000,
  4096,
  65_536 + 17,
  16_384,
  3,
  96 * 1024,
  255,
  40_000,
];

/** How long "stream.cancelled" waits for a handler's signal to abort. */
export const CANCEL_WAIT_MS = 5_000;

/** Message `index` of the stream with `seed`: the same on every runtime. */
export function patternOf(seed: number, index: number): Uint8Array {
  const size = STREAM_SIZES[index % STREAM_SIZES.length];
  return randomBytes(size, Math.imul(seed + 1, 0x85ebca6b) ^ (index * 7919));
}

/** The request of "stream.patterns": `u32 seed, u32 count`. */
export function patternsRequest(seed: number, count: number): Uint8Array {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, seed);
  view.setUint32(4, count);
  return bytes;
}

/** Reads a "stream.patterns" request. */
export function readPatternsRequest(
  body: Uint8Array,
): { seed: number; count: number } {
  if (body.length !== 8) {
    throw new RangeError(`bad request of ${body.length} B`);
  }
  const view = new DataView(body.buffer, body.byteOffset, 8);
  return { seed: view.getUint32(0), count: view.getUint32(4) };
}

/**
 * The reply of "stream.digest": u32 count, u32 total length (mod 2³²) and
 * the SHA-256 of every message prefixed with its u32 length.
 */
export async function digestOf(
  messages: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let count = 0;
  let total = 0;
  for await (const message of messages) {
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, message.length);
    parts.push(length, message.slice());
    count++;
    total = (total + message.length) >>> 0;
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  const sha = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  const reply = new Uint8Array(8 + sha.length);
  const view = new DataView(reply.buffer);
  view.setUint32(0, count);
  view.setUint32(4, total);
  reply.set(sha, 8);
  return reply;
}

/** The reply of "stream.transform" to one message: reversed, XOR 0xa5. */
export function transformOf(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(message.length);
  for (let i = 0; i < message.length; i++) {
    out[i] = message[message.length - 1 - i] ^ 0xa5;
  }
  return out;
}

/** The key of a token (the bytes as hex). */
export function tokenKey(token: Uint8Array): string {
  return Array.from(token, (b) => b.toString(16).padStart(2, "0")).join("");
}
