import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  FIRST_COPY_SIZE,
  FrameAssembler,
  MIN_VIEW_SIZE,
} from "../../src/framing/_frame_assembler.ts";
import { DelimitedCodec } from "../../src/framing/delimited.ts";
import { FixedSizeCodec } from "../../src/framing/fixed_size.ts";
import { LengthPrefixedCodec } from "../../src/framing/length_prefixed.ts";
import type { PacketCodec } from "../../src/framing/packet_codec.ts";
import { VarintPrefixedCodec } from "../../src/framing/varint.ts";
import { collectGarbage } from "../reliability/_helpers.ts";
import { encodeAll, pattern } from "./_helpers.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Fails the test if `frame` is emitted (the frame must not complete yet). */
const never = (): void => assert.fail("the frame completed too early");

describe("FrameAssembler memory", () => {
  it("FrameAssembler holds at most 2N + 256 bytes for N one-byte pieces, each in its own array", () => {
    const assembler = new FrameAssembler();
    assembler.start(16 * MiB);
    const n = 80_000;
    let worst = 0;
    for (let i = 0; i < n; i++) {
      assembler.fill(new Uint8Array([i & 0xff]), 0, never);
      worst = Math.max(worst, assembler.retainedBytes - 2 * assembler.filled);
    }
    assert.equal(assembler.filled, n);
    assert.ok(
      worst <= FIRST_COPY_SIZE,
      `held up to ${worst} bytes over twice what arrived`,
    );
    // The rest arrives at once: the frame is whole and in order.
    let frame: Uint8Array | undefined;
    assembler.fill(new Uint8Array(16 * MiB - n).fill(7), 0, (f) => frame = f);
    assert.equal(frame!.byteLength, 16 * MiB);
    for (const i of [0, 1, 255, 256, 40_000, n - 1]) {
      assert.equal(frame![i], i & 0xff, `byte ${i}`);
    }
    assert.equal(frame![n], 7);
    assert.equal(assembler.active, false);
    assert.equal(assembler.retainedBytes, 0);
  });

  it("FrameAssembler lets the arrays of small pieces go: only the first stays reachable (and the last, in a register)", async () => {
    const assembler = new FrameAssembler();
    assembler.start(16 * MiB);
    const arrays: WeakRef<ArrayBufferLike>[] = [];
    for (let i = 0; i < 1000; i++) {
      const piece = new Uint8Array([i & 0xff]);
      arrays.push(new WeakRef(piece.buffer));
      assembler.fill(piece, 0, never);
    }
    // WeakRef targets stay alive until the current job ends.
    await new Promise((resolve) => setTimeout(resolve, 0));
    collectGarbage();
    const alive = arrays.filter((ref) => ref.deref() !== undefined).length;
    // The first is kept as a view; the last may still be in a register.
    assert.ok(alive <= 2, `${alive} of 1000 pieces' arrays still reachable`);
    assert.equal(assembler.filled, 1000);
  });

  it("FrameAssembler does not pin a shared read buffer for one-byte views of it", () => {
    const assembler = new FrameAssembler();
    assembler.start(1 * MiB);
    const shared = pattern(64 * KiB);
    for (let i = 0; i < 10_000; i++) {
      assembler.fill(shared.subarray(i, i + 1), 0, never);
      assert.ok(
        assembler.retainedBytes <= 2 * assembler.filled + FIRST_COPY_SIZE,
        `${assembler.retainedBytes} bytes held for ${assembler.filled}`,
      );
    }
  });

  it("FrameAssembler never allocates the announced length up front", () => {
    const assembler = new FrameAssembler();
    assembler.start(16 * MiB);
    assembler.fill(new Uint8Array(64 * KiB).subarray(-100), 0, never);
    assert.equal(assembler.filled, 100);
    assert.ok(assembler.retainedBytes <= 200 + FIRST_COPY_SIZE);
    for (let i = 0; i < 100; i++) {
      assembler.fill(new Uint8Array(7), 0, never);
    }
    assert.ok(assembler.retainedBytes <= 2 * 800 + FIRST_COPY_SIZE);
  });

  it("FrameAssembler holds at most 2× what arrived when large and one-byte pieces alternate", () => {
    const assembler = new FrameAssembler();
    assembler.start(16 * MiB);
    for (let i = 0; i < 200; i++) {
      assembler.fill(new Uint8Array(MIN_VIEW_SIZE), 0, never);
      assembler.fill(new Uint8Array(1), 0, never);
      assert.ok(assembler.retainedBytes <= 2 * assembler.filled);
    }
  });
});

describe("FrameAssembler copies", () => {
  it("FrameAssembler keeps whole reads as views and copies each byte once, when the frame is joined", () => {
    const assembler = new FrameAssembler();
    const pieces = Array.from({ length: 64 }, (_, i) => pattern(64 * KiB, i));
    assembler.start(64 * 64 * KiB);
    let frame: Uint8Array | undefined;
    for (const piece of pieces) {
      assembler.fill(piece, 0, (f) => frame = f);
      if (frame) break;
      // Nothing copied yet: what it holds is the pieces themselves.
      assert.equal(assembler.retainedBytes, assembler.filled);
    }
    assert.equal(frame!.byteLength, 4 * MiB);
    pieces.forEach((piece, i) => {
      assert.deepEqual(
        frame!.subarray(i * 64 * KiB, (i + 1) * 64 * KiB),
        piece,
        `piece ${i}`,
      );
    });
  });

  it("FrameAssembler emits a frame that arrived whole into its copy buffer without another copy", () => {
    const assembler = new FrameAssembler();
    assembler.start(100);
    // The first piece is the tail of a large read: copied, not pinned.
    const read = pattern(64 * KiB);
    assembler.fill(read.subarray(-10), 0, never);
    let frame: Uint8Array | undefined;
    for (let i = 1; i < 10; i++) {
      assembler.fill(pattern(10, i), 0, (f) => frame = f);
    }
    assert.equal(frame!.byteLength, 100);
    assert.equal(frame!.buffer.byteLength, 100, "sized to the frame, no more");
    assert.deepEqual(frame!.subarray(0, 10), read.subarray(-10));
    assert.deepEqual(frame!.subarray(90), pattern(10, 9));
  });
});

describe("packet decoders fed a large frame in pieces", () => {
  const payload = pattern(20_000).map((b) => b === 10 ? 11 : b);
  const codecs: [string, PacketCodec][] = [
    ["LengthPrefixedCodec", new LengthPrefixedCodec()],
    ["VarintPrefixedCodec", new VarintPrefixedCodec()],
    ["DelimitedCodec", new DelimitedCodec({ delimiter: "\n" })],
    ["FixedSizeCodec", new FixedSizeCodec({ frameSize: 20_000 })],
  ];
  /** Sizes of the pieces, repeated until the stream ends. */
  const shapes: [string, number[]][] = [
    ["one byte each", [1]],
    ["mixed sizes", [1, 5000, 1, 3, 8000, 2, 4096, 1]],
  ];
  for (const [name, codec] of codecs) {
    for (const [shape, sizes] of shapes) {
      for (const shared of [false, true]) {
        it(
          `${name} decoder joins a 20,000-byte frame sent in pieces of ${shape}${
            shared ? ", as views of one buffer" : ""
          }`,
          () => {
            const stream = encodeAll(codec, [payload, payload]);
            const decoder = codec.createDecoder();
            const frames: Uint8Array[] = [];
            let at = 0;
            for (let i = 0; at < stream.byteLength; i++) {
              const end = Math.min(at + sizes[i % sizes.length], stream.length);
              const piece = shared
                ? stream.subarray(at, end)
                : stream.slice(at, end);
              decoder.decode(piece, (frame) => frames.push(frame.slice()));
              at = end;
            }
            assert.equal(frames.length, 2);
            assert.deepEqual(frames[0], payload);
            assert.deepEqual(frames[1], payload);
            assert.equal(decoder.bufferedBytes, 0);
          },
        );
      }
    }
  }
});
