import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  createMemoryPipe as createPipe,
  DEFAULT_PIPE_HIGH_WATER_MARK,
  type MemoryPipeOptions,
} from "../../src/channel/memory_pipe.ts";
import { ConnectionClosedError } from "../../src/errors.ts";
import { channelConformance } from "../_conformance/channel_suite.ts";
import {
  bytes,
  Checksum,
  randomBytes,
  readAll,
  readExactly,
  readInto,
  stillPending,
  text,
  within,
} from "../_conformance/_helpers.ts";

/** How long a write must stay pending to count as waiting (not a timing assert). */
const STALL_MS = 100;

function isClosedError(message?: string): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof ConnectionClosedError, String(error));
    assert.equal(error.code, "ERR_CONNECTION_CLOSED");
    if (message !== undefined) assert.equal(error.message, message);
    return true;
  };
}

/** The two ways a pipe carries bytes: calls (the default) and streams only. */
const MODES = [["io", true], ["streams only", false]] as const;

for (const [mode, io] of MODES) {
  describe(`createMemoryPipe (${mode})`, () => {
    /** A pipe in this mode. */
    const createMemoryPipe = (options: MemoryPipeOptions = {}) =>
      createPipe({ ...options, io });

    it("MemoryPipe carries bytes both ways", async () => {
      const [a, b] = createMemoryPipe();
      const aWriter = a.writable.getWriter();
      const bWriter = b.writable.getWriter();
      const aReader = a.readable.getReader();
      const bReader = b.readable.getReader();
      await aWriter.write(bytes("hello"));
      assert.equal(text(await readExactly(bReader, 5)), "hello");
      await bWriter.write(bytes("rain"));
      assert.equal(text(await readExactly(aReader, 4)), "rain");
      a.close();
      b.close();
    });

    it("MemoryPipe names its ends' addresses", () => {
      const [a, b] = createMemoryPipe({ names: ["client", "server"] });
      assert.deepEqual(a.localAddr, { transport: "mem", name: "client" });
      assert.deepEqual(a.remoteAddr, { transport: "mem", name: "server" });
      assert.deepEqual(b.localAddr, a.remoteAddr);
      assert.deepEqual(b.remoteAddr, a.localAddr);
      const [c] = createMemoryPipe();
      assert.deepEqual(c.localAddr, { transport: "mem", name: "a" });
      a.close();
      b.close();
    });

    it("MemoryPipe with chunkSize splits every write into copies of at most chunkSize bytes", async () => {
      const [a, b] = createMemoryPipe({ chunkSize: 4 });
      const written = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const writing = a.writable.getWriter().write(written);
      const reader = b.readable.getReader();
      const chunks: Uint8Array[] = [];
      let length = 0;
      while (length < 10) {
        const { value } = await reader.read();
        assert.ok(value);
        chunks.push(value);
        length += value.byteLength;
      }
      await writing;
      assert.deepEqual(chunks.map((c) => [...c]), [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9],
      ]);
      for (const chunk of chunks) assert.notEqual(chunk.buffer, written.buffer);
      a.close();
      b.close();
    });

    it("MemoryPipe with delayMs delivers no sooner than the delay", async () => {
      const delayMs = 40;
      const [a, b] = createMemoryPipe({ delayMs });
      const reader = b.readable.getReader();
      const started = performance.now();
      await a.writable.getWriter().write(bytes("late"));
      assert.equal(text(await readExactly(reader, 4)), "late");
      const elapsed = performance.now() - started;
      // Timers may fire a little early against performance.now(): allow 5 ms.
      assert.ok(elapsed >= delayMs - 5, `arrived after ${elapsed} ms`);
      a.close();
      b.close();
    });

    it("MemoryPipe keeps a 64 KiB write pending past highWaterMark 1024 until the peer reads", async () => {
      const [a, b] = createMemoryPipe({ highWaterMark: 1024 });
      const payload = randomBytes(64 * 1024, 11);
      const writer = a.writable.getWriter();
      const write = writer.write(payload);
      assert.equal(await stillPending(write, STALL_MS), true, "write waits");
      const reader = b.readable.getReader();
      const received = await within(
        10_000,
        "reading 64 KiB",
        readInto(reader, new Checksum(), payload.byteLength),
      );
      await within(10_000, "the write", write);
      const expected = new Checksum().update(payload);
      assert.equal(received.length, expected.length);
      assert.equal(received.hash, expected.hash);
      a.close();
      b.close();
    });

    it("MemoryPipe with chunkSize holds the rest of a large write while the peer does not read", async () => {
      const [a, b] = createMemoryPipe({ highWaterMark: 1024, chunkSize: 256 });
      const payload = randomBytes(16 * 1024, 5);
      const write = a.writable.getWriter().write(payload);
      assert.equal(await stillPending(write, STALL_MS), true, "write waits");
      const all = await within(
        10_000,
        "reading 16 KiB",
        readExactly(b.readable.getReader(), payload.byteLength),
      );
      await write;
      assert.deepEqual(all, payload);
      a.close();
      b.close();
    });

    it("MemoryPipe writable.close() ends the peer's readable after the data, and the peer can still reply", async () => {
      const [a, b] = createMemoryPipe({ delayMs: 1 });
      const aWriter = a.writable.getWriter();
      await aWriter.write(bytes("question"));
      await aWriter.close();
      assert.equal(text(await readAll(b.readable)), "question");
      const bWriter = b.writable.getWriter();
      await bWriter.write(bytes("answer"));
      await bWriter.close();
      assert.equal(text(await readAll(a.readable)), "answer");
      a.close();
      b.close();
    });

    it("MemoryPipe close() ends the peer's readable and the peer's writes reject with ConnectionClosedError", async () => {
      const [a, b] = createMemoryPipe();
      await a.writable.getWriter().write(bytes("bye"));
      a.close();
      assert.equal(text(await readAll(b.readable)), "bye");
      const bWriter = b.writable.getWriter();
      await assert.rejects(
        bWriter.write(bytes("late")),
        isClosedError("Cannot write: peer closed"),
      );
      const { done } = await a.readable.getReader().read();
      assert.equal(done, true, "the closed end's readable ends too");
      b.close();
    });

    it("MemoryPipe close() fails the closing end's own later writes", async () => {
      const [a, b] = createMemoryPipe();
      const writer = a.writable.getWriter();
      a.close();
      await assert.rejects(
        writer.write(bytes("late")),
        isClosedError("Cannot write: channel closed"),
      );
      b.close();
    });

    it("MemoryPipe reset() errors the peer's readable with ConnectionClosedError and loses bytes in transit", async () => {
      const [a, b] = createMemoryPipe({ delayMs: 50 });
      await a.writable.getWriter().write(bytes("lost"));
      a.reset();
      await assert.rejects(
        b.readable.getReader().read(),
        isClosedError("Connection reset by peer"),
      );
      await assert.rejects(
        b.writable.getWriter().write(bytes("x")),
        isClosedError(),
      );
      await assert.rejects(a.readable.getReader().read(), isClosedError());
    });

    it("MemoryPipe reset() drops bytes the peer has not read yet", async () => {
      const [a, b] = createMemoryPipe();
      await a.writable.getWriter().write(bytes("unread"));
      a.reset();
      await assert.rejects(b.readable.getReader().read(), isClosedError());
    });

    it("MemoryPipe rejects out-of-range options with RangeError", () => {
      const bad: MemoryPipeOptions[] = [
        { chunkSize: 0 },
        { chunkSize: -1 },
        { chunkSize: NaN },
        { delayMs: -1 },
        { delayMs: NaN },
        { delayMs: Infinity },
        { highWaterMark: 0 },
        { highWaterMark: NaN },
      ];
      for (const options of bad) {
        assert.throws(
          () => createMemoryPipe(options),
          RangeError,
          JSON.stringify(options),
        );
      }
      assert.equal(DEFAULT_PIPE_HIGH_WATER_MARK, 64 * 1024);
    });
  });
}

for (
  const [name, options] of [
    ["memory pipe", {}],
    ["memory pipe, 4 KiB chunks, 1 ms delay", { chunkSize: 4096, delayMs: 1 }],
  ] as const
) {
  for (const [mode, io] of MODES) {
    channelConformance(`${name} (${mode})`, () => {
      const [client, server] = createPipe({ ...options, io });
      return Promise.resolve({
        client,
        server,
        cleanup: () => {
          client.close();
          server.close();
          return Promise.resolve();
        },
      });
    }, { io });
  }
}
