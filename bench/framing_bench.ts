/**
 * LengthPrefixedCodec against a naive length-prefixed framer: the one that
 * concatenates its buffer with every chunk into a new Uint8Array and slices
 * each frame out (a copy per chunk and per frame), and that allocates a new
 * header+payload array per frame to encode.
 *
 * Run: node --import tsx bench/framing_bench.ts
 *      deno run -A bench/framing_bench.ts
 *      bun bench/framing_bench.ts
 *
 * @module
 */

import { bench, do_not_optimize, group, run, summary } from "./_mitata.ts";
import { LengthPrefixedCodec } from "../src/framing/length_prefixed.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const HEADER = 4;

/** The naive decoder: concatenate, then slice every frame. */
class NaiveDecoder {
  #buffered = new Uint8Array(0);

  decode(chunk: Uint8Array, onFrame: (payload: Uint8Array) => void): void {
    const joined = new Uint8Array(this.#buffered.length + chunk.length);
    joined.set(this.#buffered);
    joined.set(chunk, this.#buffered.length);
    const view = new DataView(joined.buffer);
    let at = 0;
    while (joined.length - at >= HEADER) {
      const length = view.getUint32(at);
      if (joined.length - at - HEADER < length) break;
      onFrame(joined.slice(at + HEADER, at + HEADER + length));
      at += HEADER + length;
    }
    this.#buffered = joined.slice(at);
  }
}

/** The naive encoder: a new array per frame, header and payload copied in. */
function naiveEncode(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(HEADER + payload.length);
  new DataView(frame.buffer).setUint32(0, payload.length);
  frame.set(payload, HEADER);
  return frame;
}

const codec = new LengthPrefixedCodec();

/** Frames `payloads` back to back into one array. */
function frames(payloads: Uint8Array[]): Uint8Array {
  const parts = payloads.map(naiveEncode);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function split(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    chunks.push(bytes.slice(at, at + size));
  }
  return chunks;
}

// 1024 frames of 64 bytes (4-byte header, 60-byte payload) in one 64 KiB chunk.
const SMALL = 64 - HEADER;
const smallPayloads = Array.from(
  { length: (64 * KiB) / 64 },
  (_, i) => new Uint8Array(SMALL).fill(i),
);
const smallChunk = frames(smallPayloads);
// One 4 MiB frame, read in 64 KiB chunks.
const bigChunks = split(frames([new Uint8Array(4 * MiB).fill(7)]), 64 * KiB);

let sink = 0;
const onFrame = (payload: Uint8Array): void => {
  sink += payload.length;
};
const fast = codec.createDecoder();
const naive = new NaiveDecoder();

function check(): void {
  for (const chunks of [[smallChunk], bigChunks]) {
    const a: number[] = [];
    const b: number[] = [];
    for (const chunk of chunks) fast.decode(chunk, (p) => a.push(p.length));
    for (const chunk of chunks) naive.decode(chunk, (p) => b.push(p.length));
    if (a.join() !== b.join() || a.length === 0) {
      throw new Error("the two decoders disagree");
    }
  }
}
check();

group("decode a 64 KiB chunk of 1024 frames of 64 B", () => {
  summary(() => {
    bench("LengthPrefixedCodec decoder", () => {
      fast.decode(smallChunk, onFrame);
    });
    bench("naive: concat + slice per frame", () => {
      naive.decode(smallChunk, onFrame);
    }).baseline(true);
  });
});

group("decode one 4 MiB frame from 64 chunks of 64 KiB", () => {
  summary(() => {
    bench("LengthPrefixedCodec decoder", () => {
      for (const chunk of bigChunks) fast.decode(chunk, onFrame);
    });
    bench("naive: concat + slice per frame", () => {
      for (const chunk of bigChunks) naive.decode(chunk, onFrame);
    }).baseline(true);
  });
});

// Encoding: 1024 frames of 60-byte payloads into one 64 KiB batch, as the
// send queue copies them, against one new array per frame.
const batch = new Uint8Array(64 * KiB);
const payloadParts = smallPayloads.map((p) => [p]);
const encoded: Uint8Array[] = new Array(smallPayloads.length);

group("encode 1024 frames of 64 B", () => {
  summary(() => {
    bench("LengthPrefixedCodec.encode + copy into a batch", () => {
      let at = 0;
      for (const payload of payloadParts) {
        for (const part of codec.encode(payload, SMALL)) {
          batch.set(part, at);
          at += part.length;
        }
      }
      do_not_optimize(batch);
    });
    bench("naive: new header+payload array per frame", () => {
      for (let i = 0; i < smallPayloads.length; i++) {
        encoded[i] = naiveEncode(smallPayloads[i]);
      }
      do_not_optimize(encoded);
    }).baseline(true);
  });
});

await run();
do_not_optimize(sink);
