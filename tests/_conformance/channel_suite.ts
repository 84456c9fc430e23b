/**
 * The channel conformance suite: what every {@linkcode Channel} must do,
 * whatever carries its bytes. Each adapter's test file calls
 * {@linkcode channelConformance} with a function that makes a connected pair.
 *
 * Written with `node:test` and `node:assert/strict` only, so the same file
 * runs under `deno test`, `bun test` and `node --test`. Every test is bounded
 * in time and asserts no tight timings.
 *
 * @module
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Channel } from "../../src/channel/channel.ts";
import {
  bytes,
  Checksum,
  randomBytes,
  readAll,
  readExactly,
  readInto,
  settled,
  sleep,
  stillPending,
  text,
  within,
} from "./_helpers.ts";
import { channelIOTests } from "./_channel_io_tests.ts";
import { channelReadIntoTests } from "./_channel_read_into_tests.ts";

/** Two connected channels and how to release them. */
export interface ChannelPair {
  /** The end that dialed (or the first end). */
  client: Channel;
  /** The end that accepted (or the second end). */
  server: Channel;
  /** Closes both ends and whatever made them. Called after every test. */
  cleanup(): Promise<void>;
}

/** What a channel implementation supports, and limits for the suite. */
export interface ChannelFeatures {
  /** Skips the whole suite (with the reason, if a string). */
  skip?: boolean | string;
  /** Closing `writable` half-closes: the peer can still write back. @default {true} */
  halfClose?: boolean;
  /** `client.remoteAddr` equals `server.localAddr` and the other way round. @default {true} */
  mirroredAddrs?: boolean;
  /** The bound of each test, in ms. @default {60000} */
  timeoutMs?: number;
  /** The channel offers `io` (its bytes as calls), tested too. @default {false} */
  io?: boolean;
  /** The dialing end's `io` offers `readInto()`, tested too. @default {false} */
  readInto?: boolean;
}

const MiB = 1024 * 1024;
/** How long a write must stay pending to count as waiting (not a timing assert). */
const STALL_MS = 250;
/** Writing this much to a reader that stopped must make `write()` wait. */
const BACKPRESSURE_LIMIT = 64 * MiB;

/**
 * Registers the channel conformance tests for one implementation (and
 * the io tests of `_channel_io_tests.ts` when it offers `io`).
 *
 * @param name Names the implementation in test names ("node tcp 127.0.0.1").
 * @param makePair Makes a fresh connected pair for each test.
 * @param features What the implementation supports.
 */
export function channelConformance(
  name: string,
  makePair: () => Promise<ChannelPair>,
  features: ChannelFeatures = {},
): void {
  const timeoutMs = features.timeoutMs ?? 60_000;
  const pairTest = (
    title: string,
    body: (pair: ChannelPair) => Promise<void>,
    skip: boolean | string = false,
  ) => {
    // The runner's budget covers the bounds below (making, the body,
    // cleaning up), so a bound that is crossed reports itself (Bun alone
    // ends a test after 5 s by default).
    test(title, { skip, timeout: timeoutMs + 30_000 }, async () => {
      const pair = await within(10_000, "making a channel pair", makePair());
      try {
        await within(timeoutMs, title, body(pair));
      } finally {
        await within(10_000, "cleaning up the pair", pair.cleanup());
      }
    });
  };

  describe(`Channel conformance: ${name}`, { skip: features.skip }, () => {
    pairTest("bytes round trip both ways", async ({ client, server }) => {
      const clientWriter = client.writable.getWriter();
      const serverReader = server.readable.getReader();
      await clientWriter.write(bytes("ping"));
      const ping = await readExactly(serverReader, 4);
      assert.equal(text(ping), "ping");
      const serverWriter = server.writable.getWriter();
      await serverWriter.write(bytes("pong!"));
      const clientReader = client.readable.getReader();
      const { value } = await clientReader.read();
      assert.ok(value !== undefined);
      assert.equal(
        Object.getPrototypeOf(value),
        Uint8Array.prototype,
        "chunks are plain Uint8Arrays (not Buffers), so slice() copies",
      );
      const rest = await readExactly(clientReader, 5 - value.length);
      assert.equal(text(value) + text(rest), "pong!");
    });

    pairTest("addresses name the transport", ({ client, server }) => {
      for (const addr of [client.localAddr, client.remoteAddr]) {
        assert.ok(
          ["tcp", "tls", "unix", "mem", "ws", "wss"].includes(addr.transport),
        );
      }
      assert.equal(client.localAddr.transport, server.localAddr.transport);
      if (features.mirroredAddrs ?? true) {
        assert.deepEqual({ ...client.remoteAddr }, { ...server.localAddr });
        assert.deepEqual({ ...client.localAddr }, { ...server.remoteAddr });
      }
      return Promise.resolve();
    });

    pairTest(
      "a 16 MiB payload arrives byte-exact",
      async ({ client, server }) => {
        const payload = randomBytes(16 * MiB);
        const expected = new Checksum().update(payload);
        const reader = server.readable.getReader();
        const receiving = readInto(reader, new Checksum(), payload.length);
        const writer = client.writable.getWriter();
        await writer.write(payload);
        const received = await receiving;
        assert.equal(received.length, expected.length);
        assert.equal(received.hash, expected.hash);
      },
    );

    pairTest(
      "10,000 small writes in a row arrive in order",
      async ({ client, server }) => {
        const count = 10_000;
        const reader = server.readable.getReader();
        const receiving = readExactly(reader, count * 4);
        const writer = client.writable.getWriter();
        const writes: Promise<void>[] = [];
        for (let i = 0; i < count; i++) {
          const chunk = new Uint8Array(4);
          new DataView(chunk.buffer).setUint32(0, i);
          writes.push(writer.write(chunk));
        }
        await Promise.all(writes);
        const all = await receiving;
        assert.equal(all.length, count * 4);
        const view = new DataView(all.buffer, all.byteOffset, all.byteLength);
        for (let i = 0; i < count; i++) {
          if (view.getUint32(i * 4) !== i) {
            assert.fail(`write ${i} arrived as ${view.getUint32(i * 4)}`);
          }
        }
      },
    );

    pairTest(
      "closing writable half-closes: the peer reads to the end and can still reply",
      async ({ client, server }) => {
        const clientWriter = client.writable.getWriter();
        await clientWriter.write(bytes("question"));
        await clientWriter.close();
        assert.equal(text(await readAll(server.readable)), "question");
        const serverWriter = server.writable.getWriter();
        await serverWriter.write(bytes("answer after half-close"));
        await serverWriter.close();
        assert.equal(
          text(await readAll(client.readable)),
          "answer after half-close",
        );
      },
      features.halfClose === false && "no half-close",
    );

    pairTest(
      "the peer closing an idle channel ends readable",
      async ({ client, server }) => {
        server.close();
        const { done } = await client.readable.getReader().read();
        assert.equal(done, true);
      },
    );

    pairTest(
      "the peer closing mid-stream ends or errors readable and fails later writes",
      async ({ client, server }) => {
        const writer = client.writable.getWriter();
        const chunk = randomBytes(64 * 1024);
        const writing = (async () => {
          for (let sent = 0; sent < BACKPRESSURE_LIMIT; sent += chunk.length) {
            await writer.write(chunk);
          }
        })();
        const reader = server.readable.getReader();
        await readInto(reader, new Checksum(), 256 * 1024);
        server.close();
        assert.equal(
          await settled(writing),
          "rejected",
          "a write fails once the peer is gone",
        );
        // The client's readable ends or errors; either is fine, hanging is not.
        const clientReader = client.readable.getReader();
        try {
          while (!(await clientReader.read()).done);
        } catch { /* errored: the stream broke, as a reset does */ }
      },
    );

    pairTest(
      "write() waits while the peer does not read, and every byte arrives once it reads again",
      async ({ client, server }) => {
        const reader = server.readable.getReader();
        const writer = client.writable.getWriter();
        const chunk = randomBytes(64 * 1024, 7);
        const sent = new Checksum();
        // The peer reads the first MiB, then stops.
        const firstMiB = readInto(reader, new Checksum(), MiB);
        let pending: Promise<void> | undefined;
        while (sent.length < BACKPRESSURE_LIMIT) {
          const write = writer.write(chunk);
          sent.update(chunk);
          if (await stillPending(write, STALL_MS)) {
            pending = write;
            break;
          }
        }
        const head = await firstMiB;
        assert.ok(
          pending !== undefined,
          `write() never waited: ${sent.length} bytes were taken while nobody read`,
        );
        const received = await readInto(reader, head, sent.length);
        await pending;
        assert.equal(received.length, sent.length);
        assert.equal(received.hash, sent.hash);
      },
    );

    pairTest(
      "once write() resolves, the writer may reuse the chunk's memory",
      async ({ client, server }) => {
        // Small blocks: a socket may hold several while they are in flight.
        const blocks = 4096;
        const block = new Uint8Array(4096);
        const reader = server.readable.getReader();
        // The reader starts late, so the channel fills up and writes wait.
        const receiving = (async () => {
          await sleep(100);
          for (let offset = 0; offset < blocks * block.length;) {
            const { value, done } = await reader.read();
            assert.ok(!done, `the stream ended after ${offset} bytes`);
            for (let j = 0; j < value.length; j++, offset++) {
              const expected = Math.floor(offset / block.length) & 0xff;
              if (value[j] !== expected) {
                assert.fail(
                  `byte ${offset} is ${
                    value[j]
                  }, not ${expected}: it was sent after write() resolved and the writer changed it`,
                );
              }
            }
          }
        })();
        const writer = client.writable.getWriter();
        for (let i = 0; i < blocks; i++) {
          block.fill(i & 0xff);
          await writer.write(block);
        }
        block.fill(0xee);
        await receiving;
      },
    );

    pairTest(
      "close() while writing settles the write and ends the peer's readable",
      async ({ client, server }) => {
        const writer = client.writable.getWriter();
        const write = writer.write(randomBytes(16 * MiB, 3));
        const receiving = settled(readAll(server.readable));
        client.close();
        await settled(write);
        await receiving;
        await assert.rejects(writer.write(bytes("late")));
        const { done } = await client.readable.getReader().read();
        assert.equal(done, true, "the closed end's readable ends");
      },
    );

    pairTest(
      "bytes written before close() reach the peer",
      async ({ client, server }) => {
        const writer = client.writable.getWriter();
        await writer.write(bytes("last words"));
        client.close();
        assert.equal(text(await readAll(server.readable)), "last words");
      },
    );

    pairTest(
      "close() twice is safe, and later writes reject",
      async ({ client, server }) => {
        client.close();
        client.close();
        server.close();
        server.close();
        const { done } = await client.readable.getReader().read();
        assert.equal(done, true);
        await assert.rejects(client.writable.getWriter().write(bytes("late")));
        await assert.rejects(server.writable.getWriter().write(bytes("late")));
      },
    );

    // The calls, on channels that offer them.
    if (features.io) channelIOTests(pairTest);
    if (features.readInto) channelReadIntoTests(pairTest);
  });
}
