/**
 * The memory pipe's fault injection: a reset at an exact byte
 * (`resetAfter`), and a connection that goes silent without closing
 * (`goSilent`), on which the fault suites build.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import { ConnectionClosedError } from "../../src/errors.ts";
import { stillPending } from "./_helpers.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

async function readAll(
  readable: ReadableStream<Uint8Array>,
): Promise<{ data: number[]; error: unknown }> {
  const reader = readable.getReader();
  const data: number[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return { data, error: undefined };
      data.push(...value);
    }
  } catch (error) {
    return { data, error };
  }
}

describe("MemoryPipe faults", () => {
  it("resetAfter(n): the peer reads exactly n more bytes, then ConnectionClosedError", async () => {
    const [a, b] = createMemoryPipe();
    const writer = a.writable.getWriter();
    await writer.write(bytes(1, 2));
    a.resetAfter(3);
    await writer.write(bytes(3, 4));
    const crossing = writer.write(bytes(5, 6, 7, 8));
    await assert.rejects(crossing, ConnectionClosedError);
    const { data, error } = await readAll(b.readable);
    assert.deepEqual(data, [1, 2, 3, 4, 5]);
    assert.ok(error instanceof ConnectionClosedError, `got ${error}`);
    // Both ends are broken from now on.
    await assert.rejects(writer.write(bytes(9)), ConnectionClosedError);
    await assert.rejects(
      b.writable.getWriter().write(bytes(9)),
      ConnectionClosedError,
    );
    await assert.rejects(a.readable.getReader().read(), ConnectionClosedError);
  });

  it("resetAfter(n) cuts at the exact byte with chunkSize and delayMs too", async () => {
    const [a, b] = createMemoryPipe({ chunkSize: 2, delayMs: 5 });
    a.resetAfter(7);
    const writer = a.writable.getWriter();
    const write = writer.write(new Uint8Array(10).map((_, i) => i));
    const read = readAll(b.readable);
    await assert.rejects(write, ConnectionClosedError);
    const { data, error } = await read;
    assert.deepEqual(data, [0, 1, 2, 3, 4, 5, 6]);
    assert.ok(error instanceof ConnectionClosedError);
  });

  it("resetAfter(0) resets on the next write, and checks its argument", async () => {
    const [a, b] = createMemoryPipe();
    a.resetAfter(0);
    await assert.rejects(
      a.writable.getWriter().write(bytes(1)),
      ConnectionClosedError,
    );
    const { data, error } = await readAll(b.readable);
    assert.deepEqual(data, []);
    assert.ok(error instanceof ConnectionClosedError);
    assert.throws(() => a.resetAfter(-1), RangeError);
    assert.throws(() => a.resetAfter(1.5), RangeError);
    assert.throws(() => a.goSilent(Number.NaN), RangeError);
  });

  it("goSilent(): writes on both ends succeed and are dropped; neither reader ends", async () => {
    const [a, b] = createMemoryPipe({ highWaterMark: 16 });
    const aw = a.writable.getWriter();
    const bw = b.writable.getWriter();
    await aw.write(bytes(1));
    a.goSilent();
    // Far more than highWaterMark: no backpressure, nothing arrives.
    for (let i = 0; i < 100; i++) await aw.write(new Uint8Array(64));
    for (let i = 0; i < 100; i++) await bw.write(new Uint8Array(64));
    const bReader = b.readable.getReader();
    assert.deepEqual([...(await bReader.read()).value!], [1]);
    const next = bReader.read();
    const aNext = a.readable.getReader().read();
    assert.ok(await stillPending(next, 50), "b's reader waits forever");
    assert.ok(await stillPending(aNext, 1), "a's reader waits forever");
    // A close on one end is not seen by the other.
    a.close();
    assert.ok(await stillPending(next, 30), "b does not see a's close");
    await bw.write(bytes(2)); // b's writes still "succeed"
    b.close();
    assert.equal((await next).done, true, "b's own close ends its reader");
    assert.equal((await aNext).done, true);
  });

  it("goSilent(n): the peer reads n more bytes, then nothing, with no error", async () => {
    const [a, b] = createMemoryPipe();
    a.goSilent(3);
    const writer = a.writable.getWriter();
    await writer.write(bytes(1, 2, 3, 4, 5)); // succeeds
    await writer.write(bytes(6));
    const reader = b.readable.getReader();
    assert.deepEqual([...(await reader.read()).value!], [1, 2, 3]);
    const next = reader.read();
    assert.ok(await stillPending(next, 50));
    // A reset on a silent pipe is not seen by the peer either.
    a.reset();
    assert.ok(await stillPending(next, 30));
    await assert.rejects(writer.write(bytes(7)), ConnectionClosedError);
    b.close();
    assert.equal((await next).done, true);
  });
});
