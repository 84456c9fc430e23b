/**
 * Large frames that span many reads: assembled once, into one buffer of
 * their own, and never overwritten once handed out, in the decoder and over
 * the runtime's TCP adapter.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FrameAssembler } from "../../src/framing/_frame_assembler.ts";
import { LengthPrefixedCodec } from "../../src/framing/length_prefixed.ts";
import { Connection } from "../../src/connection/connection.ts";
import { Router } from "../../src/transport/router.ts";
import { loadAdapter } from "../../adapters/runtime.ts";
import { collectGarbage } from "../reliability/_helpers.ts";
import { pattern } from "./_helpers.ts";
import { concat } from "../_helpers/bytes.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Fails the test if `frame` is emitted (the frame must not complete yet). */
const never = (): void => assert.fail("the frame completed too early");

/** `bytes` cut into pieces of `size`, each in an array of its own. */
function pieces(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    out.push(bytes.slice(at, at + size));
  }
  return out;
}

describe("large frames in the decoder", () => {
  it("a frame no larger than one completed before is copied as its pieces arrive: their arrays are not held until the frame is whole", async () => {
    const assembler = new FrameAssembler();
    const size = 4 * MiB;
    // The first frame of this size: pieces kept as views, joined at the end.
    let first: Uint8Array | undefined;
    assembler.start(size);
    for (const piece of pieces(pattern(size, 1), 64 * KiB)) {
      assembler.fill(piece, 0, (f) => first = f);
    }
    assert.deepEqual(first, pattern(size, 1));
    // The second: each piece is copied into the frame's own buffer.
    assembler.start(size);
    const refs: WeakRef<ArrayBufferLike>[] = [];
    const second = pattern(size, 2);
    for (let at = 0; at < size - 64 * KiB; at += 64 * KiB) {
      const piece = second.slice(at, at + 64 * KiB);
      refs.push(new WeakRef(piece.buffer));
      assembler.fill(piece, 0, never);
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
    collectGarbage();
    const alive = refs.filter((ref) => ref.deref() !== undefined).length;
    // Without the copy on arrival all 63 are held (as views) until the end.
    assert.ok(alive <= 2, `${alive} of ${refs.length} pieces still held`);
    assert.equal(assembler.retainedBytes, size, "the frame's own buffer");
    let frame: Uint8Array | undefined;
    assembler.fill(second.slice(size - 64 * KiB), 0, (f) => frame = f);
    assert.equal(frame!.byteLength, size);
    assert.equal(frame!.buffer.byteLength, size, "one buffer, the frame's");
    assert.deepEqual(frame, second);
    assert.equal(assembler.retainedBytes, 0);
    assert.equal(assembler.active, false);
  });

  it("frames split across many reads, held while more arrive, keep their bytes (no buffer of the decoder's is reused under them)", () => {
    const codec = new LengthPrefixedCodec();
    const sizes = [300 * KiB, 300 * KiB, 100 * KiB, 300 * KiB, 64, 300 * KiB];
    const payloads = sizes.map((size, i) => pattern(size, i + 1));
    const stream = concat(
      payloads.flatMap((p) =>
        codec.encode([p], p.length).map((b) => b.slice())
      ),
    );
    for (const cut of [1000, 64 * KiB, 64 * KiB + 7, 256 * KiB]) {
      const decoder = codec.createDecoder();
      const held: Uint8Array[] = [];
      // Every frame is held, uncopied, while the next ones are assembled:
      // a buffer of the decoder's reused for a later frame would show.
      for (const piece of pieces(stream, cut)) {
        decoder.decode(piece, (frame) => held.push(frame));
      }
      assert.equal(held.length, payloads.length, `pieces of ${cut}`);
      held.forEach((frame, i) => {
        assert.deepEqual(frame, payloads[i], `frame ${i}, pieces of ${cut}`);
      });
    }
  });
});

describe("large messages over the runtime's TCP adapter", () => {
  it(
    "echoes 16 bodies of 256 KiB and 4 of 4 MiB at once, twice; every reply held until the end keeps its bytes",
    {
      timeout: 60_000,
    },
    async () => {
      const adapter = await loadAdapter();
      const listener = await adapter.listen("tcp://127.0.0.1:0");
      const router = new Router().handle("echo", (body: Uint8Array) => body);
      const served: Connection[] = [];
      void (async () => {
        for await (const channel of listener) {
          served.push(new Connection(channel, { router }));
        }
      })();
      const client = new Connection(
        await adapter.dial(`tcp://127.0.0.1:${listener.addr.port}`),
      );
      try {
        const bodies: Uint8Array[] = [];
        for (let round = 0; round < 2; round++) {
          for (let i = 0; i < 16; i++) {
            bodies.push(
              pattern(256 * KiB, 100 * round + i),
            );
          }
          for (let i = 0; i < 4; i++) {
            bodies.push(
              pattern(4 * MiB, 100 * round + 50 + i),
            );
          }
        }
        const replies: Uint8Array[] = [];
        // Two rounds, one after the other: the second's frames reuse nothing
        // the first's replies (still held) live in.
        for (const round of [bodies.slice(0, 20), bodies.slice(20)]) {
          replies.push(
            ...await Promise.all(
              round.map((body) =>
                client.request("echo", body) as Promise<Uint8Array>
              ),
            ),
          );
        }
        replies.forEach((reply, i) => {
          assert.equal(reply.byteLength, bodies[i].byteLength, `reply ${i}`);
          assert.ok(reply.every((b, j) => b === bodies[i][j]), `reply ${i}`);
        });
      } finally {
        await client.close();
        for (const connection of served) await connection.close();
        listener.close();
      }
    },
  );
});

describe("large frames read straight into their buffer", () => {
  it("the decoder offers the rest of a frame no larger than one before as a view of its own buffer, and emits that buffer", () => {
    const codec = new LengthPrefixedCodec();
    const size = 1 * MiB;
    const decoder = codec.createDecoder();
    const frames: Uint8Array[] = [];
    const onFrame = (frame: Uint8Array) => frames.push(frame);
    const [first, second, third] = [1, 2, 3].map((seed) => pattern(size, seed));
    // The first frame of its size has no buffer of its own to read into.
    const stream = concat(
      [first, second, third].flatMap((p) =>
        codec.encode([p], p.length).map((b) => b.slice())
      ),
    );
    const frameBytes = 4 + size;
    decoder.decode(stream.slice(0, 1000), onFrame);
    assert.equal(decoder.target!(16 * KiB), undefined);
    decoder.decode(stream.slice(1000, frameBytes + 1000), onFrame);
    assert.equal(frames.length, 1);
    // The second: after its first piece, the rest is read into its buffer.
    for (const start of [frameBytes, 2 * frameBytes]) {
      const seed = start === frameBytes ? second : third;
      if (start === 2 * frameBytes) {
        decoder.decode(stream.slice(start, start + 1000), onFrame);
      }
      let at = start + 1000;
      for (let target; (target = decoder.target!(16 * KiB)) !== undefined;) {
        const n = Math.min(target.length, 100_000);
        target.set(stream.subarray(at, at + n));
        decoder.advance!(n, onFrame);
        at += n;
      }
      assert.ok(start + frameBytes - at < 16 * KiB, "read straight in");
      decoder.decode(stream.slice(at, start + frameBytes), onFrame);
      assert.deepEqual(frames.at(-1), seed);
    }
    assert.equal(frames.length, 3);
    // Each frame has its own buffer: held, none was overwritten.
    assert.deepEqual(frames, [first, second, third]);
    assert.notEqual(frames[1].buffer, frames[2].buffer);
    assert.equal(decoder.bufferedBytes, 0);
  });
});
