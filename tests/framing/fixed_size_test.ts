import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FixedSizeCodec } from "../../src/framing/fixed_size.ts";
import { assertTooLarge, cut, decodeAll } from "./_helpers.ts";

describe("FixedSizeCodec", () => {
  it("FixedSizeCodec.encode passes an exact payload through and pads a short one", () => {
    const exact = new FixedSizeCodec({ frameSize: 3 });
    const a = new Uint8Array([1, 2]);
    const b = new Uint8Array([3]);
    const parts = exact.encode([a, b], 3);
    assert.equal(parts.length, 2);
    assert.equal(parts[0], a);
    assert.equal(parts[1], b);
    assert.equal(exact.maxFrameSize, 3);

    const padded = new FixedSizeCodec({ frameSize: 4, padding: 0x20 });
    const out = padded.encode([new Uint8Array([9])], 1);
    assert.deepEqual(out.flatMap((p) => [...p]), [9, 0x20, 0x20, 0x20]);
    assert.deepEqual(
      padded.encode([], 0).flatMap((p) => [...p]),
      [0x20, 0x20, 0x20, 0x20],
    );
  });

  it("FixedSizeCodec.encode throws FrameTooLargeError when long and RangeError when short without padding", () => {
    const codec = new FixedSizeCodec({ frameSize: 4 });
    assert.throws(
      () => codec.encode([new Uint8Array(5)], 5),
      (error) => assertTooLarge(error, 5, 4, "encode"),
    );
    assert.throws(() => codec.encode([new Uint8Array(3)], 3), {
      name: "RangeError",
      message:
        "Cannot encode frame: payload of 3 bytes is not frameSize 4, and no padding is set",
    });
  });

  it("FixedSizeCodec rejects a bad frameSize or padding with RangeError", () => {
    for (const frameSize of [0, -1, 1.5, NaN, Infinity]) {
      assert.throws(() => new FixedSizeCodec({ frameSize }), RangeError);
    }
    for (const padding of [-1, 256, 0.5]) {
      assert.throws(
        () => new FixedSizeCodec({ frameSize: 2, padding }),
        RangeError,
      );
    }
  });

  it("FixedSizeCodec decoder cuts the stream every frameSize bytes, as views inside a chunk", () => {
    const codec = new FixedSizeCodec({ frameSize: 2 });
    const chunk = new Uint8Array([1, 2, 3, 4, 5]);
    const decoder = codec.createDecoder();
    const frames: Uint8Array[] = [];
    decoder.decode(chunk, (frame) => frames.push(frame));
    assert.deepEqual(frames.map((f) => [...f]), [[1, 2], [3, 4]]);
    for (const frame of frames) assert.equal(frame.buffer, chunk.buffer);
    assert.equal(decoder.bufferedBytes, 1);
    assert.deepEqual(decodeAll(decoder, [new Uint8Array([6, 7])]), [[5, 6]]);
    assert.equal(decoder.bufferedBytes, 1);
  });

  it("FixedSizeCodec decoder joins a frame fed one byte at a time", () => {
    const codec = new FixedSizeCodec({ frameSize: 5 });
    const bytes = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const decoder = codec.createDecoder();
    assert.deepEqual(decodeAll(decoder, cut(bytes, [...bytes.keys()])), [
      [1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10],
    ]);
    assert.equal(decoder.bufferedBytes, 0);
  });
});
