/**
 * Handlers that finish at once are kept out of the handling table (a Map
 * that gains and loses one entry per request reallocates itself over and
 * over), and run without a task closure when the executor has a free slot.
 * What must not change with that: closing the connection still cancels a
 * handler that is running, the handlers that outlive their call are still
 * counted, cancelled and checked for duplicate ids, and a full executor
 * still starts handlers in the order their requests came.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AbortedError,
  Connection,
  ConnectionClosedError,
  Router,
} from "../../mod.ts";
import { BoundedExecutor } from "../../advanced.ts";
import { createMemoryPipe } from "../../testing.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("synchronous handlers", () => {
  it("a handler that closes its own connection while it runs is cancelled, and its reply is not sent", async () => {
    let abortedInside: boolean | undefined;
    const router = new Router().handle(
      "close",
      (body: Uint8Array, context) => {
        void context.connection.close();
        abortedInside = context.signal.aborted;
        return body;
      },
    );
    const [a, b] = createMemoryPipe();
    const server = new Connection(a, { router });
    const client = new Connection<typeof router>(b);
    await assert.rejects(
      client.request("close", new Uint8Array([1])),
      ConnectionClosedError,
    );
    assert.equal(abortedInside, true);
    await server.closed;
    await client.close();
  });

  it("only the handlers that outlive their call are counted as handling, cancelled by the peer and checked for duplicates", async () => {
    let release: (() => void) | undefined;
    let cancelled = 0;
    const router = new Router()
      .handle("echo", (body: Uint8Array) => body)
      .handle(
        "wait",
        (body: Uint8Array, { signal }) =>
          new Promise<Uint8Array>((resolve, reject) => {
            release = () => resolve(body);
            signal.addEventListener("abort", () => {
              cancelled++;
              reject(signal.reason);
            });
          }),
      );
    const [a, b] = createMemoryPipe();
    const server = new Connection(a, { router });
    const client = new Connection<typeof router>(b);
    for (let i = 0; i < 50; i++) {
      const reply = await client.request("echo", new Uint8Array([i]));
      assert.deepEqual([...reply], [i]);
    }
    assert.equal(server.stats.handling, 0);

    const waiting = client.request("wait", new Uint8Array([7]));
    await tick();
    assert.equal(server.stats.handling, 1, "an async handler is counted");
    // Synchronous handlers beside it come and go without touching it.
    await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) => client.request("echo", Uint8Array.of(i)),
      ),
    );
    assert.equal(server.stats.handling, 1);
    release!();
    assert.deepEqual([...await waiting], [7]);
    await tick();
    assert.equal(server.stats.handling, 0);

    const controller = new AbortController();
    const aborted = client.request("wait", new Uint8Array([8]), {
      signal: controller.signal,
    });
    await tick();
    controller.abort();
    await assert.rejects(aborted, AbortedError);
    await tick();
    assert.equal(cancelled, 1, "the peer's cancel found the running handler");
    assert.equal(server.stats.handling, 0);
    await client.close();
    await server.closed;
  });

  it("a request's handler counts itself as being handled while it runs; a notification's does not", async () => {
    const seen: Record<string, number> = {};
    const router = new Router()
      .handle("ask", (body: Uint8Array) => {
        seen.ask = server.stats.handling;
        return body;
      })
      .handle("tell", (body: Uint8Array) => {
        seen.tell = server.stats.handling;
        return body;
      });
    const [a, b] = createMemoryPipe();
    const server: Connection = new Connection(a, { router });
    const client = new Connection<typeof router>(b);
    await client.request("ask", new Uint8Array([1]));
    await client.notify("tell", new Uint8Array([2]));
    for (let i = 0; i < 100 && seen.tell === undefined; i++) await tick();
    assert.deepEqual(seen, { ask: 1, tell: 0 });
    assert.equal(server.stats.handling, 0);
    await client.close();
    await server.closed;
  });

  it("a full executor starts handlers in the order their requests came", async () => {
    const started: number[] = [];
    const gates: (() => void)[] = [];
    const router = new Router().handle("slow", (body: Uint8Array) => {
      started.push(body[0]);
      return new Promise<Uint8Array>((resolve) =>
        gates.push(() => resolve(body))
      );
    }).handle("fast", (body: Uint8Array) => {
      started.push(body[0]);
      return body;
    });
    const [a, b] = createMemoryPipe();
    const server = new Connection(a, {
      router,
      executor: new BoundedExecutor({ concurrency: 1, maxQueue: 16 }),
    });
    const client = new Connection<typeof router>(b);
    const replies = [
      client.request("slow", Uint8Array.of(0)),
      client.request("fast", Uint8Array.of(1)),
      client.request("slow", Uint8Array.of(2)),
      client.request("fast", Uint8Array.of(3)),
    ];
    await tick();
    assert.deepEqual(started, [0], "one slot: the others wait");
    while (started.length < 4 || gates.length > 0) {
      gates.shift()?.();
      await tick();
    }
    assert.deepEqual(started, [0, 1, 2, 3]);
    const bodies = await Promise.all(replies);
    assert.deepEqual(bodies.map((body) => body[0]), [0, 1, 2, 3]);
    await client.close();
    await server.closed;
  });
});
