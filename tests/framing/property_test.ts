/**
 * The property every packet codec must have: any sequence of frames, encoded
 * back to back and cut into chunks at random points, decodes back to the same
 * frames; and every payload that lies inside one chunk comes out as a view of
 * that chunk (no copy).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DelimitedCodec } from "../../src/framing/delimited.ts";
import { FixedSizeCodec } from "../../src/framing/fixed_size.ts";
import {
  LengthPrefixedCodec,
  type LengthPrefixedOptions,
} from "../../src/framing/length_prefixed.ts";
import type { PacketCodec } from "../../src/framing/packet_codec.ts";
import { VarintPrefixedCodec } from "../../src/framing/varint.ts";
import { ProtocolError } from "../../src/errors.ts";

const RUNS = 150;

/**
 * Encodes `payloads`, cuts the stream at `points`, decodes, and checks the
 * frames and that each payload inside one chunk is a view of it.
 */
function roundTrip(
  codec: PacketCodec,
  payloads: readonly Uint8Array[],
  points: readonly number[],
): void {
  // Where each payload starts in the stream.
  const starts: number[] = [];
  const bytes: number[] = [];
  for (const payload of payloads) {
    const parts = codec.encode([payload], payload.byteLength);
    // The payload part is passed through uncopied, so find it by identity.
    for (const part of parts) {
      if (part === payload) starts.push(bytes.length);
      bytes.push(...part);
    }
  }
  const stream = new Uint8Array(bytes);
  const cuts = [...new Set(points.map((p) => p % (stream.length + 1)))]
    .sort((a, b) => a - b);
  const chunks: { chunk: Uint8Array; start: number }[] = [];
  let start = 0;
  for (const point of [...cuts, stream.length]) {
    chunks.push({ chunk: stream.slice(start, point), start });
    start = point;
  }
  const decoder = codec.createDecoder();
  const frames: { frame: Uint8Array; chunk: Uint8Array; start: number }[] = [];
  for (const { chunk, start } of chunks) {
    decoder.decode(chunk, (frame) => frames.push({ frame, chunk, start }));
  }
  assert.equal(decoder.bufferedBytes, 0);
  assert.deepEqual(
    frames.map(({ frame }) => [...frame]),
    payloads.map((p) => [...p]),
  );
  frames.forEach(({ frame }, i) => {
    const from = starts[i];
    const to = from + payloads[i].byteLength;
    if (from === to) return;
    const home = chunks.find((c) =>
      c.start <= from && to <= c.start + c.chunk.byteLength
    );
    if (home !== undefined) {
      assert.equal(frame.buffer, home.chunk.buffer, `frame ${i} was copied`);
      assert.equal(frame.byteOffset, from - home.start);
    }
  });
}

const points = fc.array(fc.nat(), { maxLength: 12 });

describe("packet codecs: frames cut into chunks at random points decode back", () => {
  it("LengthPrefixedCodec, every header size, byte order and includeHeader", {
    timeout: 30_000,
  }, () => {
    const options = fc.record({
      headerSize: fc.constantFrom(1, 2, 4, 8) as fc.Arbitrary<1 | 2 | 4 | 8>,
      littleEndian: fc.boolean(),
      includeHeader: fc.boolean(),
    });
    fc.assert(
      fc.property(
        options,
        fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 8 }),
        points,
        (opts: LengthPrefixedOptions, payloads, cuts) => {
          roundTrip(new LengthPrefixedCodec(opts), payloads, cuts);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("VarintPrefixedCodec, with one-, two- and three-byte varints", {
    timeout: 30_000,
  }, () => {
    const payload = fc.oneof(
      { weight: 4, arbitrary: fc.uint8Array({ maxLength: 300 }) },
      {
        weight: 1,
        arbitrary: fc.integer({ min: 16_380, max: 16_400 }).map((n) =>
          new Uint8Array(n).fill(n & 0xff)
        ),
      },
    );
    fc.assert(
      fc.property(
        fc.array(payload, { maxLength: 6 }),
        points,
        (payloads, cuts) => {
          roundTrip(new VarintPrefixedCodec(), payloads, cuts);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it(
    "DelimitedCodec, with \\n, \\r\\n and arbitrary (self-overlapping) delimiters",
    { timeout: 30_000 },
    () => {
      const delimiter = fc.oneof(
        fc.constant(new Uint8Array([10])),
        fc.constant(new Uint8Array([13, 10])),
        fc.constant(new TextEncoder().encode("abab")),
        fc.uint8Array({ minLength: 1, maxLength: 4 }),
      );
      // Payload bytes from a small alphabet that shares bytes with the
      // delimiter, so that partial matches happen often.
      const scenario = delimiter.chain((d) =>
        fc.record({
          delimiter: fc.constant(d),
          payloads: fc.array(
            fc.array(fc.constantFrom(...d, 97, 98, 0), { maxLength: 40 }).map(
              (bytes) => new Uint8Array(bytes),
            ),
            { maxLength: 8 },
          ),
        })
      );
      fc.assert(
        fc.property(scenario, points, (s, cuts) => {
          const codec = new DelimitedCodec({ delimiter: s.delimiter });
          const payloads = s.payloads.filter((p) => {
            try {
              codec.encode([p], p.byteLength);
              return true;
            } catch (error) {
              assert.ok(error instanceof ProtocolError);
              return false;
            }
          });
          roundTrip(codec, payloads, cuts);
        }),
        { numRuns: RUNS * 2 },
      );
    },
  );

  it("FixedSizeCodec, frame sizes 1 to 40", { timeout: 30_000 }, () => {
    const scenario = fc.integer({ min: 1, max: 40 }).chain((size) =>
      fc.record({
        size: fc.constant(size),
        payloads: fc.array(
          fc.uint8Array({ minLength: size, maxLength: size }),
          { maxLength: 8 },
        ),
      })
    );
    fc.assert(
      fc.property(scenario, points, (s, cuts) => {
        roundTrip(new FixedSizeCodec({ frameSize: s.size }), s.payloads, cuts);
      }),
      { numRuns: RUNS },
    );
  });
});
