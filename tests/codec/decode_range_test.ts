/**
 * Decoding by range (the read path's way to skip a view per frame): the
 * length-prefixed decoder's `DECODE_RANGES` gives the same frames as
 * `decode`, and the envelope codec's `DECODE_RANGE` reads only its range —
 * the same message as `decode` of the view, and a ProtocolError when the
 * envelope is cut off inside its range even though more bytes follow.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DECODE_RANGE, rangeDecoderOf } from "../../src/codec/_decode_range.ts";
import { type Envelope, EnvelopeCodec } from "../../src/codec/envelope.ts";
import { Metadata } from "../../src/codec/metadata.ts";
import { ProtocolError } from "../../src/errors.ts";
import { DECODE_RANGES } from "../../src/framing/_frame_ranges.ts";
import { LengthPrefixedCodec } from "../../src/framing/length_prefixed.ts";
import { concat } from "../_helpers/bytes.ts";

const codec = new EnvelopeCodec();
const encode = (m: Envelope) => concat(codec.encode(m));

const messages: Envelope[] = [
  { kind: "request", id: 1, route: "echo", body: new Uint8Array([1, 2, 3]) },
  { kind: "reply", id: 2, route: "", body: new Uint8Array(0) },
  {
    kind: "request",
    id: 3,
    route: 42,
    timeout: 500,
    body: new Uint8Array([9]),
  },
  {
    kind: "request",
    id: 4,
    route: "meta",
    body: new Uint8Array([5, 6]),
    metadata: new Metadata([["trace", "abc"], ["bin", new Uint8Array([7])]]),
  },
  {
    kind: "request",
    id: 5,
    route: "s",
    timeout: 100,
    body: new Uint8Array([8]),
    stream: "client",
    window: 16,
    metadata: new Metadata([["k", "v"]]),
  },
];

describe("EnvelopeCodec[DECODE_RANGE]", () => {
  it("decodes an envelope in the middle of a buffer as decode() does its view", () => {
    for (const message of messages) {
      const bytes = encode(message);
      const buffer = concat([
        new Uint8Array([0xee, 0xee]),
        bytes,
        encode(messages[0]),
      ]);
      const start = 2;
      const end = 2 + bytes.byteLength;
      const byRange = codec[DECODE_RANGE](buffer, start, end);
      assert.deepEqual(byRange, codec.decode(buffer.subarray(start, end)));
      assert.deepEqual(byRange, codec.decode(bytes));
      // The body is a view of the buffer, ending where the range ends.
      assert.equal(byRange.body.buffer, buffer.buffer);
      assert.equal(byRange.body.byteOffset + byRange.body.byteLength, end);
    }
  });

  it("fails when the envelope is cut off inside its range, though bytes follow", () => {
    const next = encode(messages[0]);
    for (const message of messages.slice(2)) {
      const bytes = encode(message);
      const body = message.body.byteLength;
      // Every cut that leaves out more than the body breaks the header.
      for (let cut = 1; cut <= bytes.byteLength - body - 1; cut++) {
        const buffer = concat([
          bytes.subarray(0, bytes.byteLength - body - cut),
          next,
        ]);
        const end = bytes.byteLength - body - cut;
        assert.throws(
          () => codec[DECODE_RANGE](buffer, 0, end),
          ProtocolError,
          `${message.route} cut by ${cut}`,
        );
      }
    }
  });

  it("is used only where the codec's own class defines it beside decode", () => {
    assert.equal(rangeDecoderOf(codec), codec);
    const derived = Object.assign(Object.create(codec), { decode: () => 1 });
    assert.equal(rangeDecoderOf(derived), undefined);
    class Marking extends EnvelopeCodec {
      override decode(payload: Uint8Array): Envelope {
        return { ...super.decode(payload), route: "marked" };
      }
    }
    assert.equal(rangeDecoderOf(new Marking()), undefined);
    assert.equal(rangeDecoderOf({ decode: () => 1 }), undefined);
  });
});

describe("LengthPrefixedDecoder[DECODE_RANGES]", () => {
  it("gives the frames decode() gives, however the stream is cut", () => {
    const framing = new LengthPrefixedCodec();
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 50 }), {
          minLength: 1,
          maxLength: 8,
        }),
        (payloads, cuts) => {
          // Each frame joined at once: encode() reuses its header buffer.
          const stream = concat(
            payloads.map((p) => concat(framing.encode([p], p.byteLength))),
          );
          const byView: number[][] = [];
          const byRange: number[][] = [];
          const views = framing.createDecoder();
          const ranges = framing.createDecoder() as
            & ReturnType<
              LengthPrefixedCodec["createDecoder"]
            >
            & {
              [DECODE_RANGES](
                chunk: Uint8Array,
                onFrame: (p: Uint8Array) => void,
                onRange: (b: Uint8Array, s: number, e: number) => void,
              ): void;
            };
          let at = 0;
          for (let i = 0; at < stream.byteLength; i++) {
            const chunk = stream.slice(at, at + cuts[i % cuts.length]);
            at += chunk.byteLength;
            views.decode(chunk, (p) => byView.push([...p]));
            ranges[DECODE_RANGES](
              chunk,
              (p) => byRange.push([...p]),
              (b, s, e) => {
                assert.equal(b, chunk);
                byRange.push([...b.subarray(s, e)]);
              },
            );
          }
          assert.deepEqual(byRange, byView);
          assert.deepEqual(byView, payloads.map((p) => [...p]));
        },
      ),
      { numRuns: 200 },
    );
  });
});
