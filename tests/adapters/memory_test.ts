/**
 * The in-memory pipe against the channel and transport conformance suites, as
 * written and with small chunks, a delay and a small buffer, each both ways:
 * with `io` (the default: the core reads and writes by calls, as on sockets)
 * and streams only (`{ io: false }`). Runs on every runtime.
 *
 * @module
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createMemoryPipe,
  type MemoryPipeOptions,
} from "../../src/channel/memory_pipe.ts";
import {
  channelConformance,
  type ChannelPair,
} from "../_conformance/channel_suite.ts";
import { transportConformance } from "../_conformance/transport_suite.ts";
import { bytes, within } from "../_conformance/_helpers.ts";

function pair(options?: MemoryPipeOptions): () => Promise<ChannelPair> {
  return () => {
    const [client, server] = createMemoryPipe(options);
    return Promise.resolve({
      client,
      server,
      cleanup() {
        client.close();
        server.close();
        return Promise.resolve();
      },
    });
  };
}

const slowPipe = { chunkSize: 4096, delayMs: 1, highWaterMark: 16 * 1024 };
for (const io of [true, false]) {
  const mode = io ? "io" : "streams only";
  channelConformance(`memory pipe (${mode})`, pair({ io }), { io });
  channelConformance(
    `memory pipe (${mode}, 4 KiB chunks, 1 ms delay, 16 KiB buffer)`,
    pair({ ...slowPipe, io }),
    { io },
  );
  transportConformance(`memory pipe (${mode})`, pair({ io }));
  transportConformance(
    `memory pipe (${mode}, 4 KiB chunks, 1 ms delay, 16 KiB buffer)`,
    pair({ ...slowPipe, io }),
  );
}

test("memory pipe: reset() errors the peer's readable and fails writes on both ends", async () => {
  const [a, b] = createMemoryPipe();
  await within(
    10_000,
    "reset",
    (async () => {
      const reading = b.readable.getReader().read();
      a.reset();
      await assert.rejects(reading);
      await assert.rejects(a.writable.getWriter().write(bytes("x")));
      await assert.rejects(b.writable.getWriter().write(bytes("x")));
    })(),
  );
  a.close();
  b.close();
});
