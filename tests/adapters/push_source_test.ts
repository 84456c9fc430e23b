/**
 * PushSource (the read side of the Node and Bun socket channels): a read
 * that waits settles exactly once, with the next chunk, with `null` at a
 * clean end, or with the error of an end that failed; a read after that
 * sees what came next. Runtime-neutral.
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PushSource } from "../../adapters/_streams.ts";

const socket = { pause() {}, resume() {} };

describe("PushSource", () => {
  it("a waiting read takes the next chunk; the chunk after it waits for the next read", async () => {
    const source = new PushSource(socket);
    const first = source.read();
    source.push(Uint8Array.of(1));
    source.push(Uint8Array.of(2));
    assert.deepEqual([...(await first)!], [1]);
    assert.deepEqual([...(await source.read())!], [2]);
    // Two waiting reads in a row, each settled by its own chunk.
    for (const byte of [3, 4]) {
      const reading = source.read();
      await Promise.resolve();
      source.push(Uint8Array.of(byte));
      assert.deepEqual([...(await reading)!], [byte]);
    }
  });

  it("a waiting read gets null at a clean end, once; later reads too", async () => {
    const source = new PushSource(socket);
    const reading = source.read();
    source.end();
    source.end(new Error("late")); // idempotent: the first end stands
    assert.equal(await reading, null);
    assert.equal(await source.read(), null);
  });

  it("a waiting read fails with the error of a failed end; a chunk pushed after it goes nowhere", async () => {
    const source = new PushSource(socket);
    const reading = source.read();
    const error = new Error("reset");
    source.end(error);
    source.push(Uint8Array.of(9));
    await assert.rejects(reading, (thrown) => thrown === error);
    await assert.rejects(source.read(), (thrown) => thrown === error);
  });

  it("a waiting read settled by a chunk is not settled again by the end", async () => {
    const source = new PushSource(socket);
    const reading = source.read();
    source.push(Uint8Array.of(5));
    source.end(new Error("after"));
    assert.deepEqual([...(await reading)!], [5]);
  });
});
