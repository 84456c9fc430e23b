/**
 * What becomes of the source a caller streams from (client and bidi
 * streams) once its stream ends: it is closed, so that nothing it holds
 * leaks — whether the stream completed, the peer ended it early, or the
 * connection closed — also when the source was waiting for its next value
 * at that moment (a `ReadableStream` fed by a socket or the user: it is
 * cancelled and unlocked). An async generator waiting on an event cannot be
 * interrupted; it is closed once it yields again.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import { Connection } from "../../src/connection/connection.ts";
import { ConnectionClosedError } from "../../src/errors.ts";
import { Router } from "../../src/transport/router.ts";
import { sleep, within } from "./_helpers.ts";
import { readStream } from "./_streams.ts";

const router = new Router()
  // Reads three requests, then replies: the caller's source may go on.
  .clientStream("three", async (requests: AsyncIterable<Uint8Array>) => {
    let n = 0;
    for await (const _ of requests) if (++n === 3) break;
    return new Uint8Array([n]);
  })
  // Echoes the first request, then ends the stream.
  .bidiStream("once", async function* (requests: AsyncIterable<Uint8Array>) {
    for await (const request of requests) {
      yield request;
      return;
    }
  })
  // Echoes until the caller's requests end.
  .bidiStream("echo", async function* (requests: AsyncIterable<Uint8Array>) {
    for await (const request of requests) yield request;
  });

function pair() {
  const [a, b] = createMemoryPipe();
  const server = new Connection(a, { router });
  const client = new Connection<typeof router>(b);
  return {
    server,
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** A ReadableStream that gives one value, then waits (a socket gone quiet). */
function quietAfterOne() {
  const state = { cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array([1]));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

describe("The caller's source once its stream ends", () => {
  it("an endless async generator is closed when the peer replies early (client stream)", async () => {
    const { client, close } = pair();
    let closed = false;
    async function* endless() {
      try {
        for (let i = 0; i < 1_000_000; i++) {
          await sleep(1);
          yield new Uint8Array([i & 0xff]);
        }
      } finally {
        closed = true;
      }
    }
    try {
      const reply = await within(
        5_000,
        "the reply",
        client.clientStream("three", endless()),
      );
      assert.deepEqual([...reply], [3]);
      await within(
        5_000,
        "the source closes",
        (async () => {
          while (!closed) await sleep(2);
        })(),
      );
    } finally {
      await close();
    }
  });

  it("an endless ReadableStream is cancelled when the peer ends a bidi stream", async () => {
    const { client, close } = pair();
    let cancelled = false;
    let i = 0;
    const source = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await sleep(1);
        controller.enqueue(new Uint8Array([i++ & 0xff]));
      },
      cancel() {
        cancelled = true;
      },
    });
    try {
      const end = await within(
        5_000,
        "the stream ends",
        readStream(client.bidiStream("once", source)),
      );
      assert.equal(end.outcome, "ok");
      await within(
        5_000,
        "the source is cancelled",
        (async () => {
          while (!cancelled) await sleep(2);
        })(),
      );
      assert.equal(source.locked, false);
    } finally {
      await close();
    }
  });

  it(
    "a ReadableStream waiting for its next value is cancelled and unlocked when the peer ends the stream",
    async () => {
      const { client, close } = pair();
      const { stream, state } = quietAfterOne();
      try {
        const end = await within(
          5_000,
          "the stream ends",
          readStream(client.bidiStream("once", stream)),
        );
        assert.equal(end.outcome, "ok");
        await sleep(50);
        assert.equal(state.cancelled, true, "the source was not cancelled");
        assert.equal(stream.locked, false, "the source stays locked");
      } finally {
        await close();
      }
    },
  );

  it(
    "a ReadableStream waiting for its next value is cancelled and unlocked when the connection closes",
    async () => {
      const { client, server, close } = pair();
      const { stream, state } = quietAfterOne();
      try {
        const replies = client.bidiStream("echo", stream);
        const reading = readStream(replies);
        await sleep(20);
        await server.close();
        const end = await within(5_000, "the stream ends", reading);
        assert.equal(end.outcome, ConnectionClosedError.name);
        await sleep(50);
        assert.equal(state.cancelled, true, "the source was not cancelled");
        assert.equal(stream.locked, false, "the source stays locked");
      } finally {
        await close();
      }
    },
  );
});
