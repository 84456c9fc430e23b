/**
 * The listener conformance suite: what every {@linkcode Listener} must do.
 * Each adapter's test file calls {@linkcode listenerConformance}.
 *
 * Written with `node:test` and `node:assert/strict` only, so it runs under
 * `deno test`, `bun test` and `node --test`.
 *
 * @module
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Channel, Listener } from "../../src/channel/channel.ts";
import { bytes, readExactly, text, within } from "./_helpers.ts";

/** A fresh listener and a way to connect to it. */
export interface ListenerSetup {
  /** The listener under test. */
  listener: Listener;
  /** Opens one client channel to the listener. */
  dial(): Promise<Channel>;
  /** Releases what the setup made besides the listener (temp dirs …). */
  cleanup?(): Promise<void>;
}

/** Options of {@linkcode listenerConformance}. */
export interface ListenerFeatures {
  /** Skips the whole suite (with the reason, if a string). */
  skip?: boolean | string;
  /** The bound of each test, in ms. @default {30000} */
  timeoutMs?: number;
}

/**
 * Registers the listener conformance tests for one implementation.
 *
 * @param name Names the implementation in test names.
 * @param setup Makes a fresh listener for each test.
 * @param features Skip and time bound.
 */
export function listenerConformance(
  name: string,
  setup: () => Promise<ListenerSetup>,
  features: ListenerFeatures = {},
): void {
  const timeoutMs = features.timeoutMs ?? 30_000;
  const listenerTest = (
    title: string,
    body: (setup: ListenerSetup, channels: Channel[]) => Promise<void>,
  ) => {
    // The runner's budget covers the bounds below, so a bound that is
    // crossed reports itself (Bun alone ends a test after 5 s by default).
    test(title, { timeout: timeoutMs + 30_000 }, async () => {
      const made = await within(10_000, "making a listener", setup());
      const channels: Channel[] = [];
      try {
        await within(timeoutMs, title, body(made, channels));
      } finally {
        made.listener.close();
        for (const channel of channels) channel.close();
        await made.cleanup?.();
      }
    });
  };

  /**
   * Dials while already waiting for the next accepted channel: a listener may
   * accept only while iterated (Deno does), and a TLS dial waits for that.
   */
  async function connect(
    iterator: AsyncIterator<Channel>,
    dial: () => Promise<Channel>,
    channels: Channel[],
  ): Promise<[Channel, Channel]> {
    const accepting = iterator.next();
    const client = await dial();
    channels.push(client);
    const accepted = await accepting;
    assert.equal(accepted.done, false, "the listener yielded a channel");
    channels.push(accepted.value);
    return [client, accepted.value];
  }

  async function roundTrip(a: Channel, b: Channel, message: string) {
    const writer = a.writable.getWriter();
    await writer.write(bytes(message));
    writer.releaseLock();
    const reader = b.readable.getReader();
    const got = await readExactly(reader, bytes(message).length);
    reader.releaseLock();
    assert.equal(text(got), message);
  }

  describe(`Listener conformance: ${name}`, { skip: features.skip }, () => {
    listenerTest("close() ends a pending iteration", async ({ listener }) => {
      const iterator = listener[Symbol.asyncIterator]();
      const next = iterator.next();
      listener.close();
      const result = await next;
      assert.equal(result.done, true);
    });

    listenerTest(
      "close() twice is safe and iterating a closed listener ends at once",
      async ({ listener }) => {
        listener.close();
        listener.close();
        for await (const _ of listener) {
          assert.fail("a closed listener yielded");
        }
      },
    );

    listenerTest(
      "accepted channels stay open after the listener closes",
      async ({ listener, dial }, channels) => {
        const iterator = listener[Symbol.asyncIterator]();
        const [client, server] = await connect(iterator, dial, channels);
        listener.close();
        assert.equal((await iterator.next()).done, true);
        await roundTrip(client, server, "still here");
        await roundTrip(server, client, "and back");
      },
    );

    listenerTest(
      "accepts several connections in turn",
      async ({ listener, dial }, channels) => {
        const iterator = listener[Symbol.asyncIterator]();
        for (let i = 0; i < 3; i++) {
          const [client, server] = await connect(iterator, dial, channels);
          await roundTrip(client, server, `hello ${i}`);
          await roundTrip(server, client, `bye ${i}`);
        }
      },
    );

    listenerTest(
      "leaving a for-await loop does not close the listener",
      async ({ listener, dial }, channels) => {
        const looping = (async () => {
          for await (const channel of listener) {
            channels.push(channel);
            break;
          }
        })();
        channels.push(await dial());
        await looping;
        await connect(listener[Symbol.asyncIterator](), dial, channels);
      },
    );
  });
}
