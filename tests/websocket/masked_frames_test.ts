/**
 * The Deno WebSocket client's outgoing frames (adapters/_masked_frames.ts):
 * RFC 6455 headers and masking, whatever the payload's length and wherever
 * a frame starts in the shared buffer (so its words are masked unaligned),
 * and a buffer given back and reused holds the new frames only.
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MaskedFrames } from "../../adapters/_masked_frames.ts";

/** Parses the frames in `bytes` and unmasks their payloads. */
function parse(bytes: Uint8Array): { opcode: number; payload: Uint8Array }[] {
  const frames = [];
  for (let at = 0; at < bytes.length;) {
    assert.equal(bytes[at] & 0x80, 0x80, "FIN");
    const opcode = bytes[at] & 0x0f;
    assert.equal(bytes[at + 1] & 0x80, 0x80, "MASK");
    let n = bytes[at + 1] & 0x7f;
    let head = 2;
    if (n === 126) {
      n = (bytes[at + 2] << 8) | bytes[at + 3];
      head = 4;
    } else if (n === 127) {
      const view = new DataView(bytes.buffer, bytes.byteOffset + at + 2, 8);
      n = view.getUint32(0) * 2 ** 32 + view.getUint32(4);
      head = 10;
    }
    const key = bytes.subarray(at + head, at + head + 4);
    const start = at + head + 4;
    const payload = bytes.slice(start, start + n);
    for (let i = 0; i < n; i++) payload[i] ^= key[i & 3];
    frames.push({ opcode, payload });
    at = start + n;
  }
  return frames;
}

const bytes = (length: number, seed: number) =>
  Uint8Array.from({ length }, (_, i) => (i * 13 + seed) & 0xff);

describe("MaskedFrames", () => {
  it("frames and masks every length, at every alignment, in one buffer", () => {
    // Each frame shifts where the next one's payload starts, so the
    // payloads start at every offset modulo 8.
    const lengths = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 31];
    lengths.push(...lengths.map((n) => n + 1000), 125, 126, 127, 65535);
    lengths.push(65536, 70001, 70002, 70003);
    const frames = new MaskedFrames();
    const sent: Uint8Array[] = [];
    for (const [i, length] of lengths.entries()) {
      const payload = bytes(length, i);
      // From an unaligned view too, as a channel's subarray may be.
      const source = new Uint8Array(length + 3);
      source.set(payload, i % 4);
      frames.put(2, source.subarray(i % 4, i % 4 + length));
      sent.push(payload);
    }
    const parsed = parse(frames.take());
    assert.equal(parsed.length, lengths.length);
    for (const [i, frame] of parsed.entries()) {
      assert.equal(frame.opcode, 2);
      assert.deepEqual(frame.payload, sent[i], `frame ${i}`);
    }
  });

  it("a buffer given back is reused for new frames only", () => {
    const frames = new MaskedFrames();
    frames.put(2, bytes(5000, 1));
    const first = frames.take();
    assert.equal(parse(first).length, 1);
    frames.put(8, bytes(2, 2)); // goes to the other buffer meanwhile
    frames.release(first);
    const second = frames.take();
    assert.notEqual(second.buffer, first.buffer);
    frames.release(second);
    frames.put(2, bytes(3000, 3));
    const third = frames.take();
    const parsed = parse(third);
    assert.equal(parsed.length, 1);
    assert.deepEqual(parsed[0].payload, bytes(3000, 3));
    assert.equal(frames.length, 0);
  });
});
