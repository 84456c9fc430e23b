/**
 * bench/_seed_server.ts: the seed benchmark's echo server answers from a
 * Worker thread (a web Worker on Deno and Bun, node:worker_threads on Node)
 * as it does on the calling thread, and closing it ends the worker.
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Connection } from "../../src/connection/connection.ts";
import { detectRuntime, loadAdapter } from "../../adapters/runtime.ts";
import { serveEcho, serveEchoInWorker } from "../../bench/_seed_server.ts";
import type { EchoServer } from "../../bench/_seed_server.ts";

async function echoes(server: EchoServer): Promise<void> {
  const adapter = await loadAdapter(detectRuntime());
  const client = new Connection(
    await adapter.dial(`tcp://127.0.0.1:${server.port}`),
  );
  try {
    const bodies = Array.from(
      { length: 8 },
      (_, i) => new Uint8Array(4096).fill(i + 1),
    );
    const replies = await Promise.all(
      bodies.map((body) => client.request("echo", body)),
    );
    replies.forEach((reply, i) => assert.deepEqual(reply, bodies[i]));
  } finally {
    await client.close();
    await server.close();
  }
}

describe("seed benchmark server", () => {
  it(
    "echoes from a worker thread and closes it",
    { timeout: 60_000 },
    async () => {
      const server = await serveEchoInWorker();
      assert.notEqual(server.where, "main thread");
      assert.ok(server.port > 0);
      await echoes(server);
    },
  );

  it("echoes on the calling thread", { timeout: 30_000 }, async () => {
    const server = await serveEcho();
    assert.equal(server.where, "main thread");
    await echoes(server);
  });
});
