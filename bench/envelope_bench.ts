/**
 * The default protocol's envelope on the hot path, per message of a batch
 * of 256 small requests (64 B bodies, route "echo", a deadline):
 * - decoding from the read chunk by range (what the read path does) against
 *   decoding a view of each payload (what it did before: one view more);
 * - writing each frame in place (length header + envelope) into one batch,
 *   as the send queue does, against `encode()` (a new array per message).
 *
 * Run: node --import tsx bench/envelope_bench.ts
 *      deno run -A bench/envelope_bench.ts
 *      bun bench/envelope_bench.ts
 *
 * @module
 */

import { bench, do_not_optimize, group, run, summary } from "./_mitata.ts";
import { DECODE_RANGE } from "../src/codec/_decode_range.ts";
import { type Envelope, EnvelopeCodec } from "../src/codec/envelope.ts";
import { LengthPrefixedCodec } from "../src/framing/length_prefixed.ts";

const COUNT = 256;
const codec = new EnvelopeCodec();
const framing = new LengthPrefixedCodec();
const messages: Envelope[] = Array.from({ length: COUNT }, (_, i) => ({
  kind: "request",
  id: i + 1,
  route: "echo",
  timeout: 5000,
  body: new Uint8Array(64).fill(i),
}));

/** Every message framed, back to back, as one read chunk holds them. */
const frameSize = 4 + codec.encodedLength(messages[0]);
const chunk = new Uint8Array(COUNT * frameSize);
function writeAll(target: Uint8Array): void {
  let at = 0;
  for (const message of messages) {
    const length = codec.encodedLength(message);
    framing.writeHeader(target, at, length);
    codec.encodeInto(message, target, at + 4);
    at += 4 + length;
  }
}
writeAll(chunk);

let sink = 0;
const check = (a: Envelope, b: Envelope) => {
  if (a.id !== b.id || a.body.byteLength !== b.body.byteLength) {
    throw new Error("decoding by range and by view disagree");
  }
};
for (let at = 0; at < chunk.byteLength; at += frameSize) {
  check(
    codec[DECODE_RANGE](chunk, at + 4, at + frameSize),
    codec.decode(chunk.subarray(at + 4, at + frameSize)),
  );
}

group(`decode ${COUNT} requests of 64 B from one chunk`, () => {
  summary(() => {
    bench("by range (the read path)", () => {
      for (let at = 0; at < chunk.byteLength; at += frameSize) {
        sink += codec[DECODE_RANGE](chunk, at + 4, at + frameSize).id;
      }
    });
    bench("a view per payload, then decode()", () => {
      for (let at = 0; at < chunk.byteLength; at += frameSize) {
        sink += codec.decode(chunk.subarray(at + 4, at + frameSize)).id;
      }
    }).baseline(true);
  });
});

const batch = new Uint8Array(chunk.byteLength);
const encoded: Uint8Array[][] = new Array(COUNT);

group(`encode ${COUNT} requests of 64 B`, () => {
  summary(() => {
    bench("in place into one batch (the send queue)", () => {
      writeAll(batch);
      do_not_optimize(batch);
    });
    bench("encode(): an array per message", () => {
      for (let i = 0; i < COUNT; i++) encoded[i] = codec.encode(messages[i]);
      do_not_optimize(encoded);
    }).baseline(true);
  });
});

await run();
do_not_optimize(sink);
