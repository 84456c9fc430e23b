import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  MAX_VARINT_SIZE,
  VarintPrefixedCodec,
} from "../../src/framing/varint.ts";
import { DEFAULT_MAX_FRAME_SIZE } from "../../src/framing/length_prefixed.ts";
import { FrameTooLargeError, ProtocolError } from "../../src/errors.ts";
import { Router } from "../../src/transport/router.ts";
import { peers } from "../_helpers/pair.ts";
import { assertTooLarge, decodeAll, encodeAll, pattern } from "./_helpers.ts";

describe("VarintPrefixedCodec encode", () => {
  it("VarintPrefixedCodec writes unsigned LEB128 lengths, as Protocol Buffers does", () => {
    const codec = new VarintPrefixedCodec({
      maxFrameSize: Number.MAX_SAFE_INTEGER,
    });
    const cases: [number, number[]][] = [
      [0, [0x00]],
      [1, [0x01]],
      [127, [0x7f]],
      [128, [0x80, 0x01]],
      [300, [0xac, 0x02]],
      [16_383, [0xff, 0x7f]],
      [16_384, [0x80, 0x80, 0x01]],
      [2 ** 32, [0x80, 0x80, 0x80, 0x80, 0x10]],
      [
        Number.MAX_SAFE_INTEGER,
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f],
      ],
    ];
    for (const [length, header] of cases) {
      const [bytes] = codec.encode([], length);
      assert.deepEqual([...bytes], header, `length ${length}`);
    }
  });

  it("VarintPrefixedCodec.encode passes payload parts through uncopied", () => {
    const codec = new VarintPrefixedCodec();
    const a = new Uint8Array([1, 2]);
    const b = new Uint8Array([3]);
    const parts = codec.encode([a, b], 3);
    assert.deepEqual([...parts[0]], [3]);
    assert.equal(parts[1], a);
    assert.equal(parts[2], b);
  });

  it("VarintPrefixedCodec.encode throws FrameTooLargeError above maxFrameSize", () => {
    const codec = new VarintPrefixedCodec({ maxFrameSize: 100 });
    assert.equal(codec.encode([new Uint8Array(100)], 100).length, 2);
    assert.throws(
      () => codec.encode([new Uint8Array(101)], 101),
      (error) => assertTooLarge(error, 101, 100, "encode"),
    );
  });

  it("VarintPrefixedCodec defaults to 16 MiB and rejects a bad maxFrameSize with RangeError", () => {
    assert.equal(
      new VarintPrefixedCodec().maxFrameSize,
      DEFAULT_MAX_FRAME_SIZE,
    );
    for (const maxFrameSize of [-1, 1.5, NaN, Infinity, 2 ** 53]) {
      assert.throws(
        () => new VarintPrefixedCodec({ maxFrameSize }),
        RangeError,
      );
    }
  });
});

describe("VarintPrefixedCodec decode", () => {
  it("VarintPrefixedCodec decoder reads frames of every varint size in one chunk as views", () => {
    const codec = new VarintPrefixedCodec();
    const payloads = [pattern(0), pattern(1), pattern(127), pattern(128, 3)];
    payloads.push(pattern(16_384, 5));
    const chunk = encodeAll(codec, payloads);
    const frames: Uint8Array[] = [];
    codec.createDecoder().decode(chunk, (frame) => frames.push(frame));
    assert.deepEqual(frames, payloads);
    for (const frame of frames) assert.equal(frame.buffer, chunk.buffer);
  });

  it("VarintPrefixedCodec decoder joins a varint split byte by byte and a payload split in three", () => {
    const codec = new VarintPrefixedCodec();
    const payload = pattern(20_000, 9);
    const bytes = encodeAll(codec, [payload]);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xa0, 0x9c, 0x01]);
    const decoder = codec.createDecoder();
    const frames: Uint8Array[] = [];
    const onFrame = (frame: Uint8Array) => frames.push(frame);
    decoder.decode(bytes.slice(0, 1), onFrame);
    decoder.decode(bytes.slice(1, 2), onFrame);
    assert.equal(decoder.bufferedBytes, 2);
    decoder.decode(bytes.slice(2, 5000), onFrame);
    decoder.decode(bytes.slice(5000, 12_000), onFrame);
    assert.equal(frames.length, 0);
    assert.equal(decoder.bufferedBytes, 12_000 - 3);
    decoder.decode(bytes.slice(12_000), onFrame);
    assert.deepEqual(frames, [payload]);
    assert.equal(decoder.bufferedBytes, 0);
  });

  it("VarintPrefixedCodec decoder accepts a non-minimal varint (0x80 0x00 is 0)", () => {
    const decoder = new VarintPrefixedCodec().createDecoder();
    assert.deepEqual(
      decodeAll(decoder, [new Uint8Array([0x80, 0x00, 0x81, 0x00, 7])]),
      [[], [7]],
    );
  });

  it("VarintPrefixedCodec decoder throws FrameTooLargeError as soon as the varint is in, before any payload byte", () => {
    const codec = new VarintPrefixedCodec({ maxFrameSize: 65_536 });
    // 70000 = 0xf0 0xa2 0x04
    const decoder = codec.createDecoder();
    decoder.decode(new Uint8Array([0xf0, 0xa2]), () => {});
    assert.throws(
      () => decoder.decode(new Uint8Array([0x04, 1, 2, 3]), () => {}),
      (error) => assertTooLarge(error, 70_000, 65_536),
    );
    assert.ok(decoder.bufferedBytes <= MAX_VARINT_SIZE);
    // At the limit it is accepted and the payload waits.
    const ok = codec.createDecoder();
    ok.decode(new Uint8Array([0x80, 0x80, 0x04, 1]), () => {});
    assert.equal(ok.bufferedBytes, 1);
  });

  it("VarintPrefixedCodec decoder rejects a 64-bit length and a varint over 10 bytes", () => {
    const huge = new VarintPrefixedCodec().createDecoder();
    assert.throws(
      () =>
        huge.decode(
          new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1]),
          () => {},
        ),
      FrameTooLargeError,
    );
    const long = new VarintPrefixedCodec().createDecoder();
    assert.throws(
      () => long.decode(new Uint8Array(11).fill(0x80), () => {}),
      (error) =>
        error instanceof ProtocolError &&
        !(error instanceof FrameTooLargeError) &&
        error.message ===
          "Cannot decode frame: varint length is longer than 10 bytes",
    );
  });
});

describe("VarintPrefixedCodec under Peers", () => {
  it("VarintPrefixedCodec carries the default protocol, small and 100 KiB bodies", async () => {
    const router = new Router().handle("echo", (body: Uint8Array) => body);
    const packetCodec = new VarintPrefixedCodec();
    const { client, close } = peers({ router, framing: packetCodec }, {
      framing: packetCodec,
    }, {
      chunkSize: 1000,
    });
    try {
      for (const size of [0, 1, 120, 200, 100 * 1024]) {
        const body = pattern(size, size);
        assert.deepEqual(await client.request("echo", body), body);
      }
    } finally {
      await close();
    }
  });
});
