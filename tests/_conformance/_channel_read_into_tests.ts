/**
 * The channel conformance tests of `ChannelIO.readInto()`, reading into the
 * caller's buffer: run by `channelConformance` for channels whose dialing
 * end offers it (`features.readInto`). The server end writes, the client
 * end reads.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Channel, ChannelIO } from "../../src/channel/channel.ts";
import type { PairTest } from "./_channel_io_tests.ts";
import {
  assertSameBytes,
  fillByReadInto,
  randomBytes,
  settled,
  sleep,
  stillPending,
  within,
} from "./_helpers.ts";

const KiB = 1024;
/** How long a write must stay pending to count as waiting (not a timing assert). */
const STALL_MS = 250;
/** Writing this much to a reader that stopped must make `write()` wait. */
const BACKPRESSURE_LIMIT = 64 * 1024 * KiB;

/** The channel's `readInto`; fails the test if it lacks one. */
function readIntoOf(
  channel: Channel,
): (target: Uint8Array) => Promise<number | null> {
  const io = channel.io;
  assert.ok(io?.readInto, "the dialing end offers io.readInto");
  return (target) => io.readInto!(target);
}

/** Writes `bytes` in `piece`-byte writes, pausing now and then. */
async function writeInPieces(
  io: ChannelIO,
  bytes: Uint8Array,
  piece: number,
): Promise<void> {
  for (let offset = 0, i = 0; offset < bytes.length; offset += piece, i++) {
    await io.write(bytes.subarray(offset, offset + piece));
    if (i % 8 === 7) await sleep(1);
  }
}

/**
 * Registers the readInto tests with `pairTest`.
 *
 * @param pairTest Registers one test on a fresh pair.
 */
export function channelReadIntoTests(pairTest: PairTest): void {
  pairTest(
    "io: readInto() fills a large target from many writes, every byte intact",
    async ({ client, server }) => {
      const readInto = readIntoOf(client);
      const sent = randomBytes(1024 * KiB, 21);
      const writing = writeInPieces(server.io!, sent, 16 * KiB);
      // A frame's head comes by read(), its rest by readInto().
      const head = await client.io!.read();
      assert.ok(head !== null);
      const target = new Uint8Array(sent.length);
      target.set(head.subarray(0, Math.min(head.length, target.length)));
      const rest = target.subarray(Math.min(head.length, target.length));
      if (head.length < target.length) await fillByReadInto(readInto, rest);
      await writing;
      assertSameBytes(target, sent, "the target");
    },
  );

  pairTest(
    "io: readInto() leaves a target alone once it settled, whatever is read next",
    async ({ client, server }) => {
      const readInto = readIntoOf(client);
      const size = 256 * KiB;
      const first = randomBytes(size, 31);
      const second = randomBytes(size, 32);
      const third = randomBytes(size, 33);
      // Three frames back to back, then the end.
      const writing = (async () => {
        await server.io!.write(first);
        await server.io!.write(second);
        await sleep(20);
        await server.io!.write(third);
        await server.io!.closeWrite();
      })();
      // The first frame's target, with guard bytes after it.
      const buffer = new Uint8Array(size + 64).fill(0xee);
      await fillByReadInto(readInto, buffer.subarray(0, size));
      const kept = buffer.slice();
      // The second frame into a target of its own: one readInto() call, so
      // it may settle before the frame is whole; the rest then comes by read().
      const next = new Uint8Array(size);
      const count = await readInto(next);
      assert.ok(count !== null && count > 0);
      const keptNext = next.slice(0, count);
      let received = count;
      for (let chunk; (chunk = await client.io!.read()) !== null;) {
        received += chunk.length;
      }
      await writing;
      await sleep(20);
      assert.equal(received, 2 * size, "every byte after the first frame");
      assertSameBytes(buffer, kept, "the first target after it settled");
      assertSameBytes(buffer.subarray(0, size), first, "the first frame");
      assertSameBytes(next.subarray(0, count), keptNext, "the second target");
      assertSameBytes(next.subarray(0, count), second.subarray(0, count));
      assert.ok(
        next.subarray(count).every((x) => x === 0),
        "nothing after the count the second readInto() settled with",
      );
    },
  );

  pairTest(
    "io: close() while readInto() is pending settles it once, with null",
    async ({ client, server }) => {
      const readInto = readIntoOf(client);
      const target = new Uint8Array(64 * KiB);
      const pending = readInto(target);
      await server.io!.write(randomBytes(100, 41)); // not enough to fill it
      client.close();
      const count = await within(5_000, "the pending readInto", pending);
      assert.ok(count === null || count > 0, `settled with ${count}`);
      assert.equal(await readInto(new Uint8Array(64 * KiB)), null);
      assert.equal(await client.io!.read(), null);
    },
  );

  pairTest(
    "io: the peer closing while readInto() is pending settles it",
    async ({ client, server }) => {
      const readInto = readIntoOf(client);
      const pending = readInto(new Uint8Array(64 * KiB));
      await server.io!.write(randomBytes(100, 42));
      server.close();
      const outcome = await within(
        5_000,
        "the pending readInto",
        settled(pending),
      );
      if (outcome === "resolved") {
        const count = await pending;
        assert.ok(count === null || count === 100, `settled with ${count}`);
        if (count !== null) {
          try {
            assert.equal(await readInto(new Uint8Array(64 * KiB)), null);
          } catch { /* errored: the stream broke, as a reset does */ }
        }
      }
    },
  );

  pairTest(
    "io: after readInto(), a reader that stops holds the writer back; every byte arrives once it reads",
    async ({ client, server }) => {
      const readInto = readIntoOf(client);
      const writer = server.io!;
      const chunk = randomBytes(64 * KiB, 51);
      let sent = 0;
      let pending: Promise<void> | undefined;
      const target = new Uint8Array(256 * KiB);
      let filling: Promise<void> | undefined;
      while (sent < BACKPRESSURE_LIMIT) {
        const write = writer.write(chunk);
        sent += chunk.length;
        filling ??= fillByReadInto(readInto, target);
        if (write && await stillPending(write, STALL_MS)) {
          pending = write;
          break;
        }
      }
      assert.ok(
        pending !== undefined,
        `write() never waited: ${sent} bytes were taken while nobody read`,
      );
      await filling;
      for (let offset = 0; offset < target.length; offset += chunk.length) {
        assertSameBytes(target.subarray(offset, offset + chunk.length), chunk);
      }
      let received = target.length;
      while (received < sent) {
        const bytes = await client.io!.read();
        assert.ok(bytes !== null, `ended after ${received} bytes`);
        received += bytes.length;
      }
      await pending;
    },
  );
}
