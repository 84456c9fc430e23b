/**
 * OnreadSource (the Node adapter's read side for sockets dialed with
 * `onread`), driven as Node 20 drives `onread`: `buffer()` once when the
 * socket gets its handle, then `callback(count, buffer)` after each read,
 * followed by `buffer()` in the same turn. Runtime-neutral.
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ONREAD_TLS_READ_SIZE,
  OnreadSource,
} from "../../adapters/_onread_source.ts";
import { READ_HIGH_WATER_MARK } from "../../adapters/_streams.ts";

/** A source with a fake socket that reads as Node does. */
function harness(maxReadSize?: number) {
  const source = new OnreadSource(maxReadSize);
  const calls: string[] = [];
  source.attach({
    pause: () => calls.push("pause"),
    resume: () => calls.push("resume"),
  });
  let bound = source.onread.buffer();
  return {
    source,
    calls,
    /** The buffer the next read lands in. */
    get bound(): Uint8Array {
      return bound;
    },
    /** A read of `bytes` (at most the bound buffer's length); `false` stops reading. */
    read(bytes: Uint8Array): boolean {
      assert.ok(bytes.length <= bound.length, "the read fits the buffer");
      bound.set(bytes);
      const more = source.onread.callback(bytes.length, bound);
      bound = source.onread.buffer();
      return more;
    },
  };
}

/** `length` bytes counting up from `from`. */
const run = (length: number, from = 0) =>
  Uint8Array.from({ length }, (_, i) => (from + i) & 0xff);

describe("OnreadSource read", () => {
  it("hands out each read's bytes as a chunk of its own, in order", async () => {
    const socket = harness();
    socket.read(run(3));
    socket.read(run(2, 3));
    const first = await socket.source.read();
    const second = await socket.source.read();
    assert.deepEqual([...first!], [0, 1, 2]);
    assert.deepEqual([...second!], [3, 4]);
    assert.notEqual(
      first!.buffer,
      socket.bound.buffer,
      "not the buffer reused",
    );
    socket.source.end();
    assert.equal(await socket.source.read(), null);
  });

  it("pauses the socket while 64 KiB wait unread, and resumes once they are read", async () => {
    const socket = harness();
    let waiting = 0;
    let more = true;
    for (let i = 0; more && i < 10_000; i++) {
      const size = Math.min(socket.bound.length, 4096);
      more = socket.read(run(size));
      waiting += size;
    }
    assert.equal(more, false, "the callback stops the reads");
    assert.deepEqual(socket.calls, ["pause"]);
    assert.ok(
      waiting >= READ_HIGH_WATER_MARK && waiting < 2 * READ_HIGH_WATER_MARK,
    );
    while (waiting > 0) waiting -= (await socket.source.read())!.length;
    assert.deepEqual(socket.calls, ["pause", "resume"]);
  });
});

describe("OnreadSource readInto", () => {
  it("copies the first read into the target, reads the rest straight into it, and settles once it is full", async () => {
    const socket = harness();
    const target = new Uint8Array(3000);
    let settled = false;
    const reading = socket.source.readInto(target).then((n) => {
      settled = true;
      return n;
    });
    assert.notEqual(
      socket.bound.buffer,
      target.buffer,
      "bound before the call",
    );
    socket.read(run(100));
    assert.equal(
      socket.bound.buffer,
      target.buffer,
      "the next read lands in it",
    );
    assert.equal(socket.bound.byteOffset, 100);
    socket.read(run(1000, 100));
    assert.equal(socket.bound.byteOffset, 1100);
    await Promise.resolve();
    assert.equal(settled, false, "pending until the target is full");
    socket.read(run(1900, 1100));
    assert.notEqual(
      socket.bound.buffer,
      target.buffer,
      "the read after the one that filled it lands elsewhere",
    );
    assert.equal(await reading, 3000);
    assert.deepEqual(target, run(3000));
    socket.read(run(10, 77));
    assert.deepEqual(target, run(3000), "later reads leave it alone");
    assert.deepEqual(await socket.source.read(), run(10, 77));
  });

  it("takes the bytes that wait at once, and keeps what did not fit for read()", async () => {
    const socket = harness();
    socket.read(run(300));
    const target = new Uint8Array(200);
    assert.equal(await socket.source.readInto(target), 200);
    assert.deepEqual(target, run(200));
    assert.deepEqual(await socket.source.read(), run(100, 200));
    // A first read larger than the target: what did not fit waits.
    const small = new Uint8Array(10);
    const pending = socket.source.readInto(small);
    socket.read(run(30, 5));
    assert.equal(await pending, 10);
    assert.deepEqual(small, run(10, 5));
    assert.deepEqual(await socket.source.read(), run(20, 15));
  });

  it("the end settles a pending readInto with the bytes it holds, then null", async () => {
    const socket = harness();
    const target = new Uint8Array(1000);
    const pending = socket.source.readInto(target);
    socket.read(run(10));
    socket.read(run(20, 10));
    socket.source.end();
    assert.equal(await pending, 30);
    assert.deepEqual(target.subarray(0, 30), run(30));
    assert.equal(await socket.source.readInto(target), null);
    assert.equal(await socket.source.read(), null);
  });

  it("an error rejects a pending readInto; closing settles it with null", async () => {
    const failing = harness();
    const failure = new Error("reset");
    const rejected = failing.source.readInto(new Uint8Array(100));
    failing.read(run(10));
    failing.source.end(failure);
    await assert.rejects(rejected, (error) => error === failure);
    failing.source.end(); // idempotent: nothing settles twice
    await assert.rejects(failing.source.read(), (error) => error === failure);

    const closing = harness();
    const pending = closing.source.readInto(new Uint8Array(100));
    closing.read(run(10));
    closing.source.end(undefined, true);
    closing.source.end();
    assert.equal(await pending, null);
  });

  it("refuses an empty target (Node would fail a read into no bytes)", async () => {
    const socket = harness();
    await assert.rejects(socket.source.readInto(new Uint8Array(0)), RangeError);
    assert.notEqual(socket.source.onread.buffer().length, 0);
  });

  it("bytes that arrive before the socket is attached wait", async () => {
    const source = new OnreadSource();
    const bound = source.onread.buffer();
    bound.set([9, 8]);
    source.onread.callback(2, bound);
    source.onread.buffer();
    const target = new Uint8Array(2);
    assert.equal(await source.readInto(target), 2);
    assert.deepEqual([...target], [9, 8]);
  });
});

describe("OnreadSource onFirstBytes", () => {
  it("calls its listener once, in the turn of the first read, and leaves the bytes", async () => {
    const socket = harness();
    let calls = 0;
    socket.source.onFirstBytes(() => calls++);
    socket.read(run(3));
    assert.equal(calls, 1, "called in the read's turn");
    socket.read(run(2, 3));
    assert.equal(calls, 1, "once");
    assert.deepEqual(await socket.source.read(), run(3));
    assert.deepEqual(await socket.source.read(), run(2, 3));
  });

  it("calls a listener at once when bytes came already; undefined removes one", () => {
    const late = harness();
    late.read(run(1));
    let calls = 0;
    late.source.onFirstBytes(() => calls++);
    assert.equal(calls, 1);

    const removed = harness();
    removed.source.onFirstBytes(() => calls++);
    removed.source.onFirstBytes(undefined);
    removed.read(run(1));
    assert.equal(calls, 1);
  });
});

describe("OnreadSource for TLS (reads of 16 KiB at most)", () => {
  it("reads into buffers of at most 16 KiB, and hands a full one over without a copy", async () => {
    const socket = harness(ONREAD_TLS_READ_SIZE);
    let largest = 0;
    let handedOver = 0;
    for (let i = 0; i < 20; i++) {
      const bound = socket.bound;
      largest = Math.max(largest, bound.length);
      // A TLS socket reads one record (16 KiB at most) at a time.
      socket.read(run(Math.min(bound.length, ONREAD_TLS_READ_SIZE)));
      const chunk = (await socket.source.read())!;
      if (chunk.buffer === bound.buffer) handedOver++;
    }
    assert.equal(largest, ONREAD_TLS_READ_SIZE);
    assert.equal(handedOver, 20, "every read filled its buffer: none copied");
  });
});
