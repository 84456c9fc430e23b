/**
 * The worked stream examples of docs/PROTOCOL.md, byte for byte: the test
 * reads the bytes from the document, plays the opener's frames by hand on a
 * raw channel to a real `Connection`, and checks that the acceptor's frames
 * are the document's, in order. Also: the decoder's stream rules, and a
 * peer that sends past its credit.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Connection, ProtocolError, Router } from "../../mod.ts";
import { createMemoryPipe } from "../../testing.ts";
import { EnvelopeCodec } from "../../framing.ts";
import { concat, hex } from "../_helpers/bytes.ts";

const doc = readFileSync(
  new URL("../../docs/PROTOCOL.md", import.meta.url),
  "utf8",
);

/** The bytes of each code block of section `title`, in order. */
function blocksOf(title: string): Uint8Array[] {
  const start = doc.indexOf(`### ${title}`);
  assert.ok(start >= 0, `docs/PROTOCOL.md has "### ${title}"`);
  const end = doc.indexOf("\n#", start + 4);
  const section = doc.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.map((block) => {
    const bytes: number[] = [];
    for (const line of block.split("\n")) {
      for (const token of line.trim().split(/\s+/)) {
        if (!/^[0-9a-f]{2}$/.test(token)) break;
        bytes.push(parseInt(token, 16));
      }
    }
    return new Uint8Array(bytes);
  });
}

/** Plays `opener` frames on a raw channel; returns the acceptor's bytes. */
async function converse(
  router: Router,
  steps: { send: Uint8Array; expect: Uint8Array }[],
): Promise<void> {
  const [raw, side] = createMemoryPipe({ io: false });
  const server = new Connection(side, { router });
  const writer = raw.writable.getWriter();
  const reader = raw.readable.getReader();
  let buffered: Uint8Array = new Uint8Array(0);
  for (const step of steps) {
    if (step.send.byteLength > 0) await writer.write(step.send);
    while (buffered.byteLength < step.expect.byteLength) {
      const { value, done } = await reader.read();
      assert.ok(!done, "the connection ended early");
      buffered = concat([buffered, value]);
    }
    assert.deepEqual(
      buffered.subarray(0, step.expect.byteLength),
      step.expect,
    );
    buffered = buffered.subarray(step.expect.byteLength);
  }
  writer.releaseLock();
  reader.releaseLock();
  await server.close();
  await raw.close();
}

describe("docs/PROTOCOL.md stream examples", () => {
  it("A server stream: the acceptor answers the opening request byte for byte", async () => {
    const [open, replies] = blocksOf("A server stream");
    assert.equal(open.byteLength, 4 + 17);
    const router = new Router().serverStream(
      "tail",
      async function* (lines: Uint8Array) {
        for (let i = 0; i < lines[0]; i++) yield new Uint8Array([0x61 + i]);
      },
    );
    await converse(router, [{ send: open, expect: replies }]);
  });

  it("A client stream: credit, messages, end and reply byte for byte", async () => {
    const [open, credit, messages, reply, streamCredit] = blocksOf(
      "A client stream",
    );
    const router = new Router().clientStream(
      "sum",
      async (parts: AsyncIterable<Uint8Array>) => {
        let sum = 0;
        for await (const part of parts) for (const b of part) sum += b;
        return new Uint8Array([sum]);
      },
    );
    await converse(router, [
      { send: open, expect: credit },
      { send: messages, expect: reply },
    ]);
    assert.equal(streamCredit, undefined); // the last one is inline text
    const codec = new EnvelopeCodec();
    const [payload] = codec.encode(codec.streams.credit(1, 131_072, true));
    assert.deepEqual(
      concat([hex("0000000b"), payload]),
      hex("0000000b 0b 00 00000001 00 00020000"),
    );
    assert.ok(
      doc.includes("`00 00 00 0b 0b 00 00 00 00 01 00 00 02 00 00`"),
      "the inline stream_credit example",
    );
  });
});

describe("stream wire rules", () => {
  const codec = new EnvelopeCodec();

  it("the STREAM flag is refused on anything but a request, and with an unknown shape", () => {
    assert.throws(
      () => codec.decode(hex("02 08 00000001 00 01 00000020")),
      ProtocolError,
    );
    assert.throws(
      () => codec.decode(hex("01 08 00000001 00 04 00000020")),
      /stream shape 4/,
    );
    assert.throws(
      () => codec.decode(hex("01 08 00000001 00 01 0000")),
      /stream runs past the end/,
    );
  });

  it("a stream-opening request round-trips with deadline, metadata and body", () => {
    const opening = codec.streams.open(
      {
        kind: "request",
        id: 9,
        route: "r",
        timeout: 500,
        body: new Uint8Array([7]),
      },
      "bidi",
      64,
    );
    const decoded = codec.decode(codec.encode(opening)[0]);
    assert.equal(decoded.stream, "bidi");
    assert.equal(decoded.window, 64);
    assert.equal(decoded.timeout, 500);
    assert.deepEqual(decoded.body, new Uint8Array([7]));
  });

  it("a credit message that is not 4 bytes is a protocol error", () => {
    const credit = codec.decode(hex("0b 00 00000001 00 000010"));
    assert.throws(() => codec.streams.count(credit), ProtocolError);
  });

  it("a peer that sends past its credit is a protocol error: the connection closes", async () => {
    const router = new Router().clientStream(
      "sink",
      async (parts: AsyncIterable<Uint8Array>, ctx) => {
        // Reads nothing: the window fills.
        await new Promise((resolve) =>
          ctx.signal.addEventListener("abort", resolve)
        );
        for await (const _ of parts) { /* unreachable */ }
        return new Uint8Array();
      },
    );
    const [raw, side] = createMemoryPipe({ io: false });
    const errors: unknown[] = [];
    const server = new Connection(side, {
      router,
      streamWindow: 2,
      onError: (e) => errors.push(e),
    });
    const writer = raw.writable.getWriter();
    const frame = (bytes: Uint8Array) =>
      concat([new Uint8Array([0, 0, 0, bytes.byteLength]), bytes]);
    // Opens a client stream on "sink", then sends three messages: one more
    // than the window of 2 (without waiting for the credit; a misbehaving peer).
    const frames = [frame(hex("01 08 00000001 04 73696e6b 02 00000000"))];
    for (let i = 0; i < 3; i++) {
      frames.push(frame(hex(`09 00 00000001 00 0${i}`)));
    }
    // The connection may close before the write is taken: that is the point.
    await writer.write(concat(frames)).catch(() => {});
    await server.closed;
    assert.ok(server.closedReason?.cause instanceof ProtocolError);
    assert.match(
      (server.closedReason?.cause as Error).message,
      /past its credit of 2 bytes/,
    );
    assert.ok(errors.some((e) => e instanceof ProtocolError));
    writer.releaseLock();
    await raw.close();
  });
});
