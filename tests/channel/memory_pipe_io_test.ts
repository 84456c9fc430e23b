/**
 * The memory pipe's two ways: by default each end offers `io` (its bytes as
 * calls, the path the core takes on sockets in production), and with
 * `{ io: false }` only web streams. These tests show that the core takes the
 * io path by default, and that bytes, backpressure and the end of stream
 * behave the same through either path the core may take.
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Channel } from "../../src/channel/channel.ts";
import {
  createMemoryPipe,
  type MemoryChannel,
} from "../../src/channel/memory_pipe.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { ConnectionClosedError } from "../../src/errors.ts";
import { Connection } from "../../src/connection/connection.ts";
import { Router } from "../../src/transport/router.ts";
import {
  bytes,
  Checksum,
  randomBytes,
  stillPending,
  text,
  within,
} from "../_conformance/_helpers.ts";

/** How long a write must stay pending to count as waiting (not a timing assert). */
const STALL_MS = 100;

/** The two ways a pipe carries bytes: calls (the default) and streams only. */
const MODES = [["io", true], ["streams only", false]] as const;

/**
 * A channel's bytes the way the core uses them: its `io` calls when it
 * offers them, else its web streams.
 */
interface CoreView {
  write(chunk: Uint8Array): Promise<void>;
  read(): Promise<Uint8Array | null>;
  closeWrite(): Promise<void>;
}

function coreView(channel: Channel): CoreView {
  const io = channel.io;
  if (io !== undefined) {
    return {
      write: async (chunk) => await io.write(chunk),
      read: () => io.read(),
      closeWrite: () => io.closeWrite(),
    };
  }
  const writer = channel.writable.getWriter();
  const reader = channel.readable.getReader();
  return {
    write: (chunk) => writer.write(chunk),
    read: async () => {
      const { done, value } = await reader.read();
      return done ? null : value;
    },
    closeWrite: () => writer.close(),
  };
}

/** Reads until the end of stream; returns every byte. */
async function readToEnd(view: CoreView): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let chunk; (chunk = await view.read()) !== null;) chunks.push(chunk);
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

/** Records every use of `end`'s `readable` and `writable` getters in `used`. */
function spyOnStreams(end: MemoryChannel, used: string[]): void {
  const prototype = Object.getPrototypeOf(end);
  for (const name of ["readable", "writable"] as const) {
    const getter = Object.getOwnPropertyDescriptor(prototype, name)?.get;
    assert.ok(getter, `the pipe end has a ${name} getter`);
    Object.defineProperty(end, name, {
      get() {
        used.push(name);
        return getter.call(end);
      },
    });
  }
}

describe("memory pipe io", () => {
  it("offers io by default, and none with { io: false }", () => {
    const [a, b] = createMemoryPipe();
    assert.equal(typeof a.io?.read, "function");
    assert.equal(typeof b.io?.write, "function");
    const [c, d] = createMemoryPipe({ io: false });
    assert.equal(c.io, undefined);
    assert.equal(d.io, undefined);
    for (const end of [a, b, c, d]) end.close();
  });

  for (const [mode, io] of MODES) {
    it(
      `a Peer on a pipe (${mode}) ${
        io
          ? "never touches its web streams"
          : "reads and writes its web streams"
      }`,
      { timeout: 30_000 },
      async () => {
        const [a, b] = createMemoryPipe(io ? {} : { io: false });
        const used: string[] = [];
        spyOnStreams(a, used);
        spyOnStreams(b, used);
        const router = new Router().handle("echo", (x: unknown) => x);
        const server = new Connection(b, { router, body: jsonBody });
        const client = new Connection(a, { body: jsonBody });
        try {
          await within(
            10_000,
            "a round trip",
            (async () => {
              assert.equal(await client.request("echo", "hello"), "hello");
            })(),
          );
        } finally {
          await Promise.all([client.close(), server.close()]);
        }
        if (io) assert.deepEqual(used, [], "the core used io only");
        else {
          assert.deepEqual(
            [...new Set(used)].sort(),
            ["readable", "writable"],
            "without io, the core used both streams",
          );
        }
      },
    );
  }

  for (const [mode, io] of MODES) {
    describe(`the path the core takes (${mode})`, () => {
      it("carries bytes in order, then the end after closeWrite()", async () => {
        const [a, b] = createMemoryPipe({ io, chunkSize: 5 });
        assert.equal(a.io !== undefined, io);
        const writer = coreView(a);
        const reader = coreView(b);
        const receiving = readToEnd(reader);
        const payload = randomBytes(100_000, 3);
        await writer.write(bytes("head"));
        await writer.write(payload);
        await writer.closeWrite();
        const all = await within(10_000, "reading to the end", receiving);
        assert.equal(text(all.subarray(0, 4)), "head");
        assert.deepEqual(all.subarray(4), payload);
        assert.equal(await reader.read(), null, "stays ended");
        a.close();
        b.close();
      });

      it("takes exactly highWaterMark bytes before a write waits, then every byte once the reader reads", async () => {
        const highWaterMark = 1024;
        const [a, b] = createMemoryPipe({ io, highWaterMark });
        const writer = coreView(a);
        const sent = new Checksum();
        let pending: Promise<void> | undefined;
        for (let i = 0; i < 64 && pending === undefined; i++) {
          const chunk = randomBytes(64, i);
          const write = writer.write(chunk);
          sent.update(chunk);
          if (await stillPending(write, STALL_MS)) pending = write;
        }
        assert.ok(pending !== undefined, "a write waited");
        assert.equal(
          sent.length - 64,
          highWaterMark,
          "bytes taken before the write that waits",
        );
        const reader = coreView(b);
        const received = new Checksum();
        while (received.length < sent.length) {
          const chunk = await within(10_000, "reading", reader.read());
          assert.ok(chunk !== null, `ended after ${received.length} bytes`);
          assert.ok(chunk.length <= highWaterMark, "no read exceeds the bound");
          received.update(chunk);
        }
        await within(10_000, "the waiting write", pending);
        assert.equal(received.hash, sent.hash);
        a.close();
        b.close();
      });

      it("cuts a write larger than highWaterMark where the buffer is full", async () => {
        const [a, b] = createMemoryPipe({ io, highWaterMark: 1000 });
        const payload = randomBytes(2500, 9);
        const write = coreView(a).write(payload);
        assert.equal(await stillPending(write, STALL_MS), true, "write waits");
        const reader = coreView(b);
        const sizes: number[] = [];
        for (let n = 0; n < payload.length;) {
          const chunk = await within(10_000, "reading", reader.read());
          assert.ok(chunk !== null);
          sizes.push(chunk.length);
          n += chunk.length;
        }
        await within(10_000, "the write", write);
        assert.deepEqual(sizes, [1000, 1000, 500]);
        a.close();
        b.close();
      });

      it("close() ends the peer's reads after the bytes, and the peer's writes fail", async () => {
        const [a, b] = createMemoryPipe({ io, delayMs: 1 });
        const peer = coreView(b);
        const pendingRead = peer.read();
        await coreView(a).write(bytes("bye"));
        a.close();
        assert.equal(text((await pendingRead)!), "bye");
        assert.equal(await peer.read(), null);
        await assert.rejects(
          peer.write(bytes("late")),
          (error: unknown) =>
            error instanceof ConnectionClosedError &&
            error.message === "Cannot write: peer closed",
        );
        b.close();
      });

      it("reset() fails a pending read on the peer with ConnectionClosedError", async () => {
        const [a, b] = createMemoryPipe({ io });
        const reading = coreView(b).read();
        a.reset();
        await assert.rejects(reading, ConnectionClosedError);
        a.close();
        b.close();
      });
    });
  }
});
