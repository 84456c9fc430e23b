/**
 * An idle connection holds no request tables: the table of the requests it
 * sent, of those it handles, and of its reserved ids are made by their first
 * entry. A connection that never used them closes cleanly, and each works
 * when first used after idling.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AbortedError,
  Connection,
  ConnectionClosedError,
  Router,
  TimeoutError,
} from "../../mod.ts";
import { createMemoryPipe } from "../../testing.ts";

const idle = () => new Promise((resolve) => setTimeout(resolve, 10));

function pair() {
  let aborted = 0;
  const router = new Router()
    .handle("echo", (body: Uint8Array) => body)
    .handle(
      "never",
      // It never settles, even aborted: its request's own copy of the
      // deadline (as long as the caller's) may fire before the caller's
      // cancel arrives, and a handler that ended then would leave the
      // cancel no request to find.
      (_body: Uint8Array, { signal }) =>
        new Promise<Uint8Array>(() => {
          signal.addEventListener("abort", () => void aborted++);
        }),
    );
  const [a, b] = createMemoryPipe();
  const server = new Connection(a, { router });
  const client = new Connection<typeof router>(b);
  return { server, client, aborted: () => aborted };
}

describe("idle connections' request tables", () => {
  it("a connection that never sent nor handled a request closes cleanly", async () => {
    const { server, client } = pair();
    await idle();
    for (const peer of [client, server]) {
      assert.equal(peer.inFlight, 0);
      assert.equal(peer.stats.pending, 0);
      assert.equal(peer.stats.handling, 0);
    }
    await client.close();
    await server.closed;
    assert.ok(client.closedReason instanceof ConnectionClosedError);
    assert.ok(server.closedReason instanceof ConnectionClosedError);
  });

  it(
    "the first request, the first handled one, the first cancel and the first reserved id work after idling",
    { timeout: 10_000 },
    async () => {
      const { server, client, aborted } = pair();
      await idle();
      // First request sent (client table) and handled (server table).
      assert.deepEqual(
        await client.request("echo", new Uint8Array([1, 2])),
        new Uint8Array([1, 2]),
      );
      assert.equal(server.stats.handling, 0);
      // A timeout: the peer is told to cancel (its first cancel), and the id
      // is reserved here (the first reserved id) until the fence comes back.
      await assert.rejects(
        client.request("never", new Uint8Array([3]), { timeout: 30 }),
        TimeoutError,
      );
      for (
        let i = 0;
        i < 200 && (aborted() === 0 || server.stats.cancelsReceived === 0);
        i++
      ) await idle();
      assert.equal(aborted(), 1);
      assert.equal(server.stats.cancelsReceived, 1);
      // An abort by signal, then requests go on.
      const controller = new AbortController();
      const never = client.request("never", new Uint8Array([4]), {
        signal: controller.signal,
      });
      controller.abort();
      await assert.rejects(never, AbortedError);
      for (let i = 0; i < 10; i++) {
        assert.deepEqual(
          await client.request("echo", new Uint8Array([i])),
          new Uint8Array([i]),
        );
      }
      assert.equal(client.inFlight, 0);
      // Closing with a request pending rejects it.
      const pending = client.request("never", new Uint8Array([5]));
      assert.equal(client.stats.pending, 1);
      await client.close();
      await assert.rejects(pending, ConnectionClosedError);
      await server.closed;
    },
  );
});
