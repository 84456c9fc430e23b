/**
 * Per-stream flow control: a reader that stops stalls only its own stream,
 * and its producer is not pulled past the stream's credit (in bytes), in
 * both directions; at most `maxStreams` streams are open at once.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Router } from "../../mod.ts";
import type { RequestContext } from "../../mod.ts";
import { peers } from "../_helpers/pair.ts";

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

describe("stream flow control", () => {
  it("a stalled reader stops only its stream: the other completes, the stalled producer waits at its window", async () => {
    const window = 4096; // bytes: about 15 messages of 256 B (263 B each with the envelope)
    const perWindow = Math.ceil(window / 263);
    const pulled = new Map<string, number>();
    const router = new Router().serverStream(
      "feed",
      async function* (name: Uint8Array, ctx: RequestContext) {
        const key = new TextDecoder().decode(name);
        for (let i = 0; !ctx.signal.aborted && i < 5_000; i++) {
          pulled.set(key, i + 1);
          yield new Uint8Array(256);
        }
      },
    );
    const { client, server, close } = peers(
      { router, streamWindow: window },
      { streamWindow: window },
    );
    const text = new TextEncoder();
    // Stream "a": read one message, then stop reading (keep the iterator).
    const stalled = client.serverStream("feed", text.encode("a"))
      [Symbol.asyncIterator]();
    await stalled.next();
    // Stream "b" on the same connection reads everything meanwhile.
    let count = 0;
    for await (const _ of client.serverStream("feed", text.encode("b"))) {
      count++;
    }
    assert.equal(count, 5_000);
    await tick(20);
    // "a" was pulled at most its window (plus the one message read and the
    // one its generator holds while it waits for credit).
    const a = pulled.get("a")!;
    assert.ok(
      a <= perWindow + 2,
      `the stalled producer was pulled ${a} times`,
    );
    assert.equal(pulled.get("b"), 5_000);
    // Reading again resumes it.
    for (let i = 0; i < 100; i++) await stalled.next();
    assert.ok(pulled.get("a")! >= 100);
    await stalled.return!();
    for (let i = 0; i < 100 && server.stats.handling > 0; i++) await tick();
    assert.equal(server.stats.handling, 0);
    await close();
  });

  it("a handler that stops reading its requests stops the caller's source at the window", async () => {
    const window = 512; // bytes: about 7 messages of 64 B (71 B each with the envelope)
    const perWindow = Math.ceil(window / 71);
    const release = { resolve: () => {} };
    const released = new Promise<void>((resolve) => release.resolve = resolve);
    const router = new Router().clientStream(
      "slow",
      async (parts: AsyncIterable<Uint8Array>) => {
        let n = 0;
        for await (const _ of parts) {
          if (++n === 1) await released; // stops reading after the first
        }
        return new Uint8Array([n % 256]);
      },
    );
    const { client, close } = peers({ router, streamWindow: window }, {});
    let produced = 0;
    async function* source() {
      for (let i = 0; i < 1_000; i++) {
        produced++;
        yield new Uint8Array(64);
      }
    }
    const reply = client.clientStream("slow", source());
    await tick(50);
    assert.ok(
      produced <= perWindow + 2,
      `the source was pulled ${produced} times while the handler waited`,
    );
    release.resolve();
    assert.deepEqual(await reply, new Uint8Array([1_000 % 256]));
    assert.equal(produced, 1_000);
    await close();
  });

  it("streamWindow is validated", () => {
    for (const bad of [0, -1, 1.5, 2 ** 32, Number.NaN]) {
      assert.throws(() => peers({ streamWindow: bad }), RangeError);
    }
    for (const bad of [-1, 1.5, Number.NaN]) {
      assert.throws(() => peers({ maxStreams: bad }), RangeError);
    }
  });
  it("a peer with maxStreams open gets TOO_MANY_STREAMS for the next; requests still run; a stream that ends frees its place", async () => {
    const release = { resolve: () => {} };
    const released = new Promise<void>((resolve) => release.resolve = resolve);
    const router = new Router()
      .handle("echo", (b: Uint8Array) => b)
      .serverStream("hold", async function* () {
        yield new Uint8Array([1]);
        await released;
      });
    const { client, close } = peers({ router, maxStreams: 3 }, {});
    const open = [0, 1, 2].map(() =>
      client.serverStream("hold", new Uint8Array())[Symbol.asyncIterator]()
    );
    for (const stream of open) await stream.next(); // all three are running
    await assert.rejects(
      client.serverStream("hold", new Uint8Array())[Symbol.asyncIterator]()
        .next(),
      (e: unknown) =>
        e instanceof Error && (e as { remoteCode?: string }).remoteCode ===
          "TOO_MANY_STREAMS",
    );
    assert.deepEqual(
      await client.request("echo", new Uint8Array([9])),
      new Uint8Array([9]),
    );
    release.resolve();
    for (const stream of open) assert.equal((await stream.next()).done, true);
    const again = client.serverStream("hold", new Uint8Array());
    const values = [];
    for await (const v of again) values.push(v);
    assert.equal(values.length, 1);
    await close();
  });
});
