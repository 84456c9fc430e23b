/**
 * A slow consumer of one stream on a connection where another flows, over
 * TCP on 127.0.0.1, with the sender in a child process: two server streams
 * of fresh 64 KiB messages, produced forever; the caller reads one message
 * of the first and then stops, and reads the second on. The second keeps
 * flowing (hundreds of MiB); the first's producer is pulled no further
 * than its stream window allows; the sender's resident set stays under the
 * stated bound; and once the caller reads the first again, it flows again
 * from where it stopped, nothing lost.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TransportKey } from "../../src/channel/transport_key.ts";
import { Connection } from "../../src/connection/connection.ts";
import { DEFAULT_MAX_QUEUE_BYTES } from "../../src/queue/send_queue_options.ts";
import { DEFAULT_STREAM_WINDOW } from "../../src/transport/transport_options.ts";
import {
  KiB,
  MiB,
  mib,
  sleep,
  stress,
  tcpAdapter,
  within,
} from "./_helpers.ts";
import { startStreamChild } from "./_stream_child.ts";

const tcp = await tcpAdapter();
const BUDGET_MS = 150_000;
const MESSAGE = 64 * KiB;
/** An envelope of a stream message: 7 header bytes and the body. */
const PAYLOAD = 7 + MESSAGE;
/** Messages the flowing stream delivers while the other is stalled. */
const FLOWING = stress() ? 20_000 : 2_000;
/**
 * Messages a stream window of `window` bytes lets the sender send before
 * the reader takes any: a message goes while any credit is left, so the
 * last one overdraws it.
 */
const windowMessages = (window: number) => Math.ceil(window / PAYLOAD);
/**
 * What the sender may grow by: what the stalled stream may hold (its
 * window's messages, and one more pulled that waits for credit), the
 * flowing stream's send queue (8 MiB at most, plus a message), and slack
 * for the allocator and the runtime (the 64 KiB messages are garbage once
 * written, collected before measuring, but the allocator may keep pages of
 * them; 4–26 MiB of growth were seen). Without a stream window the stalled
 * producer is pulled as fast as the flowing one: over 100 MiB while it
 * flows.
 */
const senderBound = (window: number) =>
  (windowMessages(window) + 1) * MESSAGE + DEFAULT_MAX_QUEUE_BYTES + 48 * MiB;

async function slowConsumer(window: number): Promise<void> {
  const allowed = windowMessages(window);
  const bound = senderBound(window);
  const server = await startStreamChild();
  const client = new Connection(
    await tcp.dial(TransportKey.from(server.key), {}),
    { streamWindow: window },
  );
  const flood = (tag: string) =>
    client.serverStream("flood", new Uint8Array(0), {
      metadata: { tag },
    })[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  /** Reads `count` messages, checking each is the next in order. */
  const read = async (
    stream: AsyncIterator<Uint8Array>,
    from: number,
    count: number,
  ) => {
    for (let i = from; i < from + count; i++) {
      const { value, done } = await stream.next();
      assert.ok(!done, "the stream ended");
      assert.equal(value.byteLength, MESSAGE);
      assert.equal(value[0], i & 0xff, `message ${i} out of order`);
      assert.equal(value[MESSAGE - 1], i & 0xff);
    }
  };
  try {
    // Warm up: one stream alone, then its rate once warm (the
    // reference printed), then the baseline.
    const warm = flood("warm");
    await within(60_000, "the warm-up stream", read(warm, 0, 200));
    let started = performance.now();
    await within(60_000, "the stream alone", read(warm, 200, 500));
    const aloneRate = 500 / (performance.now() - started);
    await warm.return!();
    await sleep(100);
    const base = await server.stats();

    const stalled = flood("stalled");
    await within(30_000, "the first message", read(stalled, 0, 1));
    const flowing = flood("flowing");
    started = performance.now();
    await within(
      BUDGET_MS - 60_000,
      "the other stream flows while one is stalled",
      read(flowing, 0, FLOWING),
    );
    const sharedRate = FLOWING / (performance.now() - started);
    const during = await server.stats();
    const growth = during.rss - base.rss;

    // The stalled producer: its window's messages, one more pulled
    // and waiting for credit; no more, however long the other flows.
    assert.ok(
      during.pulled.stalled <= allowed + 1,
      `the stalled producer was pulled ${during.pulled.stalled} times (window ${allowed})`,
    );
    assert.ok(during.pulled.flowing >= FLOWING);
    assert.ok(
      growth < bound,
      `the sender grew by ${mib(growth)} (bound ${mib(bound)})`,
    );
    await sleep(200);
    assert.equal(
      (await server.stats()).pulled.stalled,
      during.pulled.stalled,
      "the stalled producer was pulled again",
    );

    // Read again: it flows from where it stopped.
    await within(
      60_000,
      "the stalled stream resumes",
      read(stalled, 1, 200),
    );
    const resumed = await server.stats();
    assert.ok(resumed.pulled.stalled >= 201);

    await stalled.return!();
    await flowing.return!();
    let last = resumed;
    for (let i = 0; i < 100; i++) {
      last = await server.stats();
      if (last.handling === 1) break; // `stats` itself
      await sleep(50);
    }
    assert.equal(last.handling, 1, "stream handlers left running");
    assert.equal(client.inFlight, 0);
    console.log(
      `slow consumer (window ${window} B): stalled producer pulled ${during.pulled.stalled} (window ${allowed} messages); sender RSS growth ${
        mib(growth)
      } (bound ${mib(bound)}); flowing ${
        (sharedRate * MESSAGE / 1000).toFixed(0)
      } MB/s beside the stalled one, ${
        (aloneRate * MESSAGE / 1000).toFixed(0)
      } MB/s alone`,
    );
  } finally {
    await client.close();
    await server.stop();
  }
}

describe("A slow consumer of one stream, another flowing on the same connection (sender in a child process)", () => {
  for (
    const [window, what] of [
      [DEFAULT_STREAM_WINDOW, "the default stream window (256 KiB)"],
      [32 * MESSAGE, "a stream window of 32 × 64 KiB"],
    ] as const
  ) {
    it(
      `${what}: the other stream flows (${FLOWING} × 64 KiB); the stalled producer waits at its window (${
        windowMessages(window)
      } messages); the sender grows < ${mib(senderBound(window))}`,
      { timeout: BUDGET_MS },
      () => slowConsumer(window),
    );
  }
});
