import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import { type Envelope, EnvelopeCodec } from "../../src/codec/envelope.ts";
import { ConnectionClosedError } from "../../src/errors.ts";
import { LengthPrefixedCodec } from "../../src/framing/length_prefixed.ts";
import { Transport } from "../../src/transport/transport.ts";
import { replyOf, requestOf, sleep } from "../_helpers/pair.ts";

/** Polls `check` every 20 ms until it is true. */
async function until(
  check: () => boolean,
  ms: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(20);
  }
}

const codec = new EnvelopeCodec();
const KiB = 1024;

describe("Transport backpressure", () => {
  it("keeps requests to a peer that does not read as messages, not bytes", async () => {
    const [a, b] = createMemoryPipe({ highWaterMark: 64 * KiB });
    const client = new Transport<Envelope>(b, {
      codec,
      queue: { maxQueueBytes: 256 * KiB },
      closeTimeout: 50,
    });
    const body = new Uint8Array(16 * KiB);
    const requests = Array.from(
      { length: 2000 },
      () => client.request(requestOf("x", body)).catch((e) => e),
    );
    await sleep(20);
    const stats = client.stats;
    assert.equal(stats.pending, 2000, "every request is pending");
    // 32 MiB were requested; only what fits the queue (plus one frame) and
    // the pipe was encoded.
    assert.ok(
      stats.bytesOut <= 256 * KiB + 64 * KiB + 2 * (16 * KiB + 64),
      `encoded ${stats.bytesOut} bytes`,
    );
    assert.ok(stats.queuedBytes <= 256 * KiB + 16 * KiB + 64);
    await client.close();
    for (const error of await Promise.all(requests)) {
      assert.ok(error instanceof ConnectionClosedError);
    }
    a.close();
  });

  it("stops reading requests while its replies cannot be written", async () => {
    const [a, b] = createMemoryPipe({ highWaterMark: 16 * KiB });
    const server = new Transport<Envelope>(a, {
      codec,
      handler: (m) => replyOf(m.body),
      queue: { maxQueueBytes: 64 * KiB },
      closeTimeout: 50,
    });
    // A raw client that writes requests as fast as it can and never reads.
    const writer = b.writable.getWriter();
    const framing = new LengthPrefixedCodec();
    let written = 0;
    let stop = false;
    const flood = (async () => {
      for (let id = 1; id <= 10_000 && !stop; id++) {
        const payload = codec.encode({
          ...requestOf("x", new Uint8Array(4 * KiB)),
          id,
        });
        const parts = framing.encode(
          payload,
          payload[0].byteLength + (payload[1]?.byteLength ?? 0),
        );
        const frame = new Uint8Array(
          parts.reduce((n, p) => n + p.byteLength, 0),
        );
        let at = 0;
        for (const part of parts) {
          frame.set(part, at);
          at += part.byteLength;
        }
        await writer.write(frame);
        written++;
      }
    })().catch(() => {});
    // Wait until the flood stalls: the server stopped reading.
    let last = -1;
    await until(
      () => {
        const now = written;
        const stalled = now === last && now > 0;
        last = now;
        return stalled;
      },
      10_000,
      "the writer to stall",
    );
    const received = server.stats.requestsReceived;
    await sleep(50);
    assert.equal(server.stats.requestsReceived, received, "reading paused");
    assert.ok(written < 100, `the writer was slowed down after ${written}`);
    assert.ok(server.stats.queuedBytes <= 64 * KiB + 5 * KiB);
    stop = true;
    await server.close();
    b.close();
    await flood;
  });
  it("lets two peers that fill their queues with requests to each other both finish", async () => {
    const [a, b] = createMemoryPipe({ highWaterMark: 16 * KiB });
    const options = {
      codec,
      handler: (m: Envelope) => replyOf(m.body),
      queue: { maxQueueBytes: 64 * KiB },
    };
    const left = new Transport<Envelope>(a, options);
    const right = new Transport<Envelope>(b, options);
    const body = new Uint8Array(32 * KiB).fill(7);
    const calls = (from: Transport<Envelope>) =>
      Array.from({ length: 50 }, () => from.request(requestOf("x", body)));
    const replies = await Promise.all([...calls(left), ...calls(right)]);
    assert.equal(replies.length, 100);
    for (const reply of replies) assert.equal(reply.body.byteLength, 32 * KiB);
    await Promise.all([left.close(), right.close()]);
  });
});
