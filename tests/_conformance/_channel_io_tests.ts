/**
 * The channel conformance tests of {@linkcode ChannelIO}, a channel's bytes
 * as calls: run by `channelConformance` for channels that offer
 * `io` (the socket adapters, the memory pipe by default).
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Channel, ChannelIO } from "../../src/channel/channel.ts";
import type { ChannelPair } from "./channel_suite.ts";
import {
  bytes,
  Checksum,
  randomBytes,
  settled,
  sleep,
  stillPending,
} from "./_helpers.ts";

const MiB = 1024 * 1024;
/** How long a write must stay pending to count as waiting (not a timing assert). */
const STALL_MS = 250;
/** Writing this much to a reader that stopped must make `write()` wait. */
const BACKPRESSURE_LIMIT = 64 * MiB;

/** Registers one test that gets a fresh pair (see `channelConformance`). */
export type PairTest = (
  title: string,
  body: (pair: ChannelPair) => Promise<void>,
  skip?: boolean | string,
) => void;

/**
 * Registers the io tests with `pairTest`.
 *
 * @param pairTest Registers one test on a fresh pair.
 */
export function channelIOTests(pairTest: PairTest): void {
  /** The pair's calls; fails the test if the channel lacks them. */
  const ioOf = (channel: Channel): ChannelIO => {
    assert.ok(channel.io, "the channel offers io");
    return channel.io;
  };

  pairTest(
    "io: bytes written by calls arrive in order, then null after closeWrite",
    async ({ client, server }) => {
      const writer = ioOf(client);
      const reader = ioOf(server);
      const receiving = (async () => {
        const received = new Checksum();
        for (let bytes; (bytes = await reader.read()) !== null;) {
          assert.equal(Object.getPrototypeOf(bytes), Uint8Array.prototype);
          received.update(bytes);
        }
        return received;
      })();
      const sent = new Checksum();
      const chunk = randomBytes(100_000, 5);
      for (let i = 0; i < 20; i++) {
        await writer.write(chunk);
        sent.update(chunk);
      }
      await writer.closeWrite();
      const received = await receiving;
      assert.equal(received.length, sent.length);
      assert.equal(received.hash, sent.hash);
      assert.equal(await reader.read(), null, "stays ended");
    },
  );

  pairTest(
    "io: write() waits while the peer does not read; every byte arrives once it reads",
    async ({ client, server }) => {
      const writer = ioOf(client);
      const reader = ioOf(server);
      const chunk = randomBytes(64 * 1024, 9);
      const sent = new Checksum();
      let pending: Promise<void> | undefined;
      while (sent.length < BACKPRESSURE_LIMIT) {
        const write = writer.write(chunk);
        sent.update(chunk);
        if (write && await stillPending(write, STALL_MS)) {
          pending = write;
          break;
        }
      }
      assert.ok(
        pending !== undefined,
        `write() never waited: ${sent.length} bytes were taken while nobody read`,
      );
      const received = new Checksum();
      while (received.length < sent.length) {
        const bytes = await reader.read();
        assert.ok(bytes !== null, `ended after ${received.length} bytes`);
        received.update(bytes);
      }
      await pending;
      assert.equal(received.hash, sent.hash);
    },
  );

  pairTest(
    "io: once write() returns undefined or its promise resolves, the writer may reuse the chunk",
    async ({ client, server }) => {
      // The send queue reuses its buffers on exactly this signal.
      const blocks = 2048;
      const block = new Uint8Array(4096);
      const reader = ioOf(server);
      const receiving = (async () => {
        await sleep(100); // late, so the channel fills and writes wait
        for (let offset = 0; offset < blocks * block.length;) {
          const chunk = await reader.read();
          assert.ok(chunk !== null, `ended after ${offset} bytes`);
          for (let j = 0; j < chunk.length; j++, offset++) {
            const expected = Math.floor(offset / block.length) & 0xff;
            if (chunk[j] !== expected) {
              assert.fail(
                `byte ${offset} is ${
                  chunk[j]
                }, not ${expected}: the channel still held the chunk`,
              );
            }
          }
        }
      })();
      const writer = ioOf(client);
      for (let i = 0; i < blocks; i++) {
        block.fill(i & 0xff);
        const written = writer.write(block);
        if (written !== undefined) await written;
      }
      block.fill(0xee);
      await receiving;
    },
  );

  pairTest(
    "io: writev(), where offered, sends its chunks in order",
    async ({ client, server }) => {
      const io = ioOf(client);
      const chunks = [
        bytes("head"),
        randomBytes(MiB, 11),
        bytes("tail"),
      ];
      const expected = new Checksum();
      for (const chunk of chunks) expected.update(chunk);
      const reader = ioOf(server);
      const receiving = (async () => {
        const received = new Checksum();
        while (received.length < expected.length) {
          const chunk = await reader.read();
          assert.ok(chunk !== null, "ended early");
          received.update(chunk);
        }
        return received;
      })();
      if (io.writev) await io.writev(chunks);
      else for (const chunk of chunks) await io.write(chunk);
      const received = await receiving;
      assert.equal(received.hash, expected.hash);
    },
  );

  pairTest(
    "io: after close(), read() resolves null and write() fails",
    async ({ client, server }) => {
      const io = ioOf(client);
      const reading = io.read();
      client.close();
      assert.equal(await reading, null, "a pending read ends");
      assert.equal(await io.read(), null);
      await assert.rejects(async () => await io.write(bytes("late")));
      await assert.rejects(io.closeWrite());
      assert.equal(
        await ioOf(server).read(),
        null,
        "the peer reads the end",
      );
    },
  );

  pairTest(
    "io: the peer closing mid-stream fails writes and ends or errors reads",
    async ({ client, server }) => {
      const io = ioOf(client);
      const chunk = randomBytes(64 * 1024);
      const writing = (async () => {
        for (
          let sent = 0;
          sent < BACKPRESSURE_LIMIT;
          sent += chunk.length
        ) {
          await io.write(chunk);
        }
      })();
      const first = await ioOf(server).read();
      assert.ok(first !== null && first.length > 0);
      server.close();
      assert.equal(await settled(writing), "rejected");
      try {
        while (await io.read() !== null);
      } catch { /* errored: the stream broke, as a reset does */ }
    },
  );
}
