/**
 * Slow consumers, over TCP on 127.0.0.1: a client that sends requests as
 * fast as it can at a server whose handler is slow, a client that never reads
 * its replies, and a peer that never reads at all. The sender is slowed by
 * backpressure or told the queue is full, and memory stays under the bound
 * each test states (measured as the growth of the process's resident set,
 * with the transports' own counters as the precise check).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Channel } from "../../src/channel/channel.ts";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import { BoundedExecutor } from "../../src/executor/executor.ts";
import { TransportKey } from "../../src/channel/transport_key.ts";
import { DEFAULT_MAX_QUEUE_BYTES } from "../../src/queue/send_queue.ts";
import { DEFAULT_MAX_HANDLING_BYTES } from "../../src/transport/transport.ts";
import { Connection } from "../../src/connection/connection.ts";
import type { RequestContext } from "../../src/transport/request_context.ts";
import { Router } from "../../src/transport/router.ts";
import type { Envelope } from "../../src/codec/envelope.ts";
import {
  frameOf,
  KiB,
  Ledger,
  measureGrowth,
  MiB,
  mib,
  sleep,
  stillPending,
  stress,
  tcpAdapter,
  until,
  within,
} from "./_helpers.ts";

const tcp = await tcpAdapter();
const dialTcp = (key: string) => tcp.dial(TransportKey.from(key), {});

/** What a sender may grow by, whatever it is asked to send. */
const BOUND = 64 * MiB;
/**
 * What the process may grow by while a server holds what its bounds allow
 * (an 8 MiB send queue, 16 MiB of requests being handled, a read chunk) and
 * the garbage of decoding what it read. Alone these tests grow by 13–40 MiB;
 * inside a whole `bun test` run the process's RSS once grew by 100 MiB (the
 * allocator keeps pages of earlier tests), so the bound leaves room for that:
 * what it must catch is unbounded growth, 1 GiB sent to a server that cannot
 * keep up.
 */
const SERVER_BOUND = 128 * MiB;
/**
 * The runner's budget of each test here: above the bounds the tests wait
 * for (up to 120 s for the slow reader), so a bound that is crossed reports
 * itself. They send 1 GiB or more, or measure memory: 0.5–2.5 s each on an
 * idle machine, several times that on a busy one, and Bun alone ends a test
 * after 5 s by default.
 */
const BUDGET_MS = 180_000;

/**
 * Writes `chunk` up to 1,024 times until a write stays pending for 500 ms
 * (the server stopped reading); fails if none does.
 *
 * @returns The bytes written before the stall.
 */
async function writeUntilStalled(
  writer: WritableStreamDefaultWriter<Uint8Array>,
  chunk: Uint8Array,
): Promise<number> {
  let written = 0;
  for (let i = 0; i < 1024; i++) {
    const write = writer.write(chunk);
    if (await stillPending(write, 500)) return written;
    await write;
    written += chunk.byteLength;
  }
  assert.fail(`the client wrote ${mib(written)} without stalling`);
}

/** A listener on 127.0.0.1:0 whose connections get `serve` (or are held, unread). */
async function serveTcp(
  serve?: (channel: Channel) => Connection,
): Promise<{
  key: string;
  peers: Connection[];
  held: Channel[];
  close(): Promise<void>;
}> {
  const listener = await tcp.listen("tcp://127.0.0.1:0");
  const peers: Connection[] = [];
  const held: Channel[] = [];
  const accepting = (async () => {
    for await (const channel of listener) {
      if (serve) peers.push(serve(channel));
      else held.push(channel); // accepted, never read
    }
  })();
  const port = (listener.addr as { port: number }).port;
  return {
    key: `tcp://127.0.0.1:${port}`,
    peers,
    held,
    async close() {
      listener.close();
      await accepting;
      for (const channel of held) channel.close();
      await Promise.all(peers.map((p) => p.close()));
    },
  };
}

/** Never finishes by itself; ends when its signal aborts (or `release()`). */
function stuckHandler(): {
  router: Router;
  started: () => number;
  release(): void;
} {
  let started = 0;
  const waiting: (() => void)[] = [];
  const router = new Router().handle(
    "slow",
    (body: Uint8Array, ctx: RequestContext<Envelope>) => {
      started++;
      return new Promise<Uint8Array>((resolve, reject) => {
        waiting.push(() => resolve(body.subarray(0, 1)));
        ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), {
          once: true,
        });
      });
    },
  );
  return {
    router,
    started: () => started,
    release: () => waiting.splice(0).forEach((go) => go()),
  };
}

describe("Slow consumers over TCP", () => {
  it(
    `a client sending requests as fast as it can to a handler that never finishes: the server reads < 32 MiB (maxHandlingBytes 16 MiB), the process grows < ${
      mib(SERVER_BOUND)
    } while 1.25 GiB are sent, the client is told TooManyPendingError`,
    { timeout: BUDGET_MS },
    async () => {
      const stuck = stuckHandler();
      const server = await serveTcp((channel) =>
        new Connection(channel, {
          router: stuck.router,
          closeTimeout: 100,
        })
      );
      const client = new Connection(await dialTcp(server.key), {
        maxPendingRequests: 5_000,
        closeTimeout: 100,
      });
      const ledger = new Ledger();
      // One buffer for every request: what the sender holds is its own choice.
      const body = new Uint8Array(256 * KiB);
      const settled: Promise<void>[] = [];
      try {
        const { growth } = await measureGrowth(async () => {
          // 5,000 × 256 KiB = 1.25 GiB asked for, then 100 more past the bound.
          for (let i = 0; i < 5_100; i++) {
            const id = ledger.open();
            settled.push(
              client.request("slow", body, { timeout: 0 }).then(
                () => ledger.settle(id, "ok"),
                (error) => ledger.settleWith(id, error),
              ),
            );
            if (i % 500 === 499) await sleep(0);
          }
          // Let the bytes flow until the server stops reading.
          let last = -1;
          await until(
            () => {
              const now = server.peers[0]?.stats.bytesIn ?? 0;
              const stalled = now === last;
              last = now;
              return stalled;
            },
            20_000,
            "the server to stop reading",
          );
          await sleep(200);
        });
        const stats = server.peers[0].stats;
        assert.ok(
          stats.bytesIn < 32 * MiB,
          `the server read ${mib(stats.bytesIn)} it could not handle`,
        );
        // The bound, plus what one read chunk held (adapters read ≤ 1 MiB).
        assert.ok(
          stats.handlingBytes <= DEFAULT_MAX_HANDLING_BYTES + MiB,
          `handlers hold ${mib(stats.handlingBytes)}`,
        );
        assert.ok(growth < SERVER_BOUND, `the process grew by ${mib(growth)}`);
        assert.equal(ledger.count("TooManyPendingError"), 100);
        assert.equal(client.stats.pending, 5_000);
        // Release the handlers: the server reads again, and replies flow.
        stuck.release();
        await until(() => ledger.count("ok") > 0, 10_000, "replies to flow");
      } finally {
        await client.close();
        await within(10_000, "every request settles", Promise.all(settled));
        await server.close();
      }
      ledger.assertExactlyOnce([
        "ok",
        "TooManyPendingError",
        "ConnectionClosedError",
      ]);
    },
  );

  it(
    `a client that writes requests and never reads the replies: the server stops reading at its send-queue bound, and holds < ${
      mib(BOUND)
    } while the client tries to send 1 GiB`,
    { timeout: BUDGET_MS },
    async () => {
      const server = await serveTcp((channel) =>
        new Connection(channel, {
          router: new Router().handle("echo", (body: Uint8Array) => body),
          closeTimeout: 100,
        })
      );
      const raw = await dialTcp(server.key);
      const writer = raw.writable.getWriter();
      // 64 requests of 16 KiB in one 1 MiB write, 1,024 times: 1 GiB.
      const batch = new Uint8Array(MiB + 64 * 64);
      let at = 0;
      for (let id = 1; id <= 64; id++) {
        const frame = frameOf({
          kind: "request",
          id,
          route: "echo",
          body: new Uint8Array(16 * KiB - 32),
        });
        batch.set(frame, at);
        at += frame.byteLength;
      }
      const chunk = batch.subarray(0, at);
      try {
        const { growth, result: written } = await measureGrowth(() =>
          writeUntilStalled(writer, chunk)
        );
        const stats = server.peers[0].stats;
        assert.ok(
          stats.queuedBytes <= DEFAULT_MAX_QUEUE_BYTES + 16 * KiB,
          `the server queued ${mib(stats.queuedBytes)}`,
        );
        assert.ok(growth < BOUND, `the process grew by ${mib(growth)}`);
        assert.ok(written < BOUND, `the client got ${mib(written)} through`);
      } finally {
        raw.close();
        await server.close();
      }
    },
  );

  it(
    `a client that floods pings and never reads the pongs: the server stops reading, and holds < ${
      mib(SERVER_BOUND)
    } while the client tries to send 1 GiB`,
    { timeout: BUDGET_MS },
    async () => {
      const server = await serveTcp((channel) =>
        new Connection(channel, { closeTimeout: 100 })
      );
      const raw = await dialTcp(server.key);
      const writer = raw.writable.getWriter();
      // 1 MiB of 11-byte pings (95,325 of them) per write, up to 1 GiB.
      const ping = frameOf({
        kind: "ping",
        id: 1,
        route: "",
        body: new Uint8Array(0),
      });
      const chunk = new Uint8Array(
        Math.floor(MiB / ping.byteLength) * ping.byteLength,
      );
      for (let at = 0; at < chunk.byteLength; at += ping.byteLength) {
        chunk.set(ping, at);
      }
      try {
        const { growth } = await measureGrowth(() =>
          writeUntilStalled(writer, chunk)
        );
        const stats = server.peers[0].stats;
        assert.ok(growth < SERVER_BOUND, `the process grew by ${mib(growth)}`);
        assert.ok(
          stats.bytesIn < BOUND,
          `the server read ${mib(stats.bytesIn)} of pings it could not answer`,
        );
      } finally {
        raw.close();
        await server.close();
      }
    },
  );

  it(
    `a peer that never reads: sending 1 GiB (16,384 × 64 KiB requests) grows the sender by < ${
      mib(BOUND)
    }; notify() makes the sender wait`,
    { timeout: BUDGET_MS },
    async () => {
      const server = await serveTcp(); // accepts, never reads
      const client = new Connection(await dialTcp(server.key), {
        closeTimeout: 100,
      });
      const body = new Uint8Array(64 * KiB);
      const ledger = new Ledger();
      const settled: Promise<void>[] = [];
      try {
        const { growth } = await measureGrowth(async () => {
          for (let i = 0; i < 16_384; i++) {
            const id = ledger.open();
            settled.push(
              client.request("sink", body, { timeout: 0 }).then(
                () => ledger.settle(id, "ok"),
                (error) => ledger.settleWith(id, error),
              ),
            );
            if (i % 1024 === 1023) await sleep(0);
          }
          await sleep(300);
        });
        const stats = client.stats;
        assert.ok(growth < BOUND, `the sender grew by ${mib(growth)}`);
        assert.equal(
          stats.pending,
          16_384,
          "every request waits, none is lost",
        );
        assert.ok(
          stats.queuedBytes <= DEFAULT_MAX_QUEUE_BYTES + 64 * KiB + 64,
          `queued ${mib(stats.queuedBytes)}`,
        );
        assert.ok(
          stats.bytesOut < BOUND,
          `encoded ${mib(stats.bytesOut)}: messages wait, not their bytes`,
        );
        // A notification now waits for room too: the sender is slowed.
        const queued = client.notify("sink", body);
        assert.ok(queued instanceof Promise, "notify() returns a promise");
        assert.ok(await stillPending(queued, 200), "and it stays pending");
        queued.catch(() => {});
      } finally {
        await client.close();
        await within(10_000, "every request settles", Promise.all(settled));
        await server.close();
      }
      ledger.assertExactlyOnce(["ConnectionClosedError"]);
    },
  );

  it(
    "a server whose handlers queue behind a slow one runs none whose caller gave up (timeout or abort) before its turn",
    { timeout: BUDGET_MS },
    async () => {
      let runs = 0;
      const router = new Router().handle(
        "slow",
        async (body: Uint8Array, ctx: RequestContext<Envelope>) => {
          runs++;
          await sleep(30);
          ctx.signal.throwIfAborted();
          return body;
        },
      );
      const [a, b] = createMemoryPipe();
      const server = new Connection(a, {
        router,
        executor: new BoundedExecutor({ concurrency: 1 }),
      });
      const client = new Connection(b);
      try {
        const ledger = new Ledger();
        const controller = new AbortController();
        const settled = Array.from({ length: 20 }, (_, i) => {
          const id = ledger.open();
          // Half time out at 45 ms, half are aborted at 20 ms.
          const options = i % 2 === 0
            ? { timeout: 45 }
            : { signal: controller.signal, timeout: 0 };
          return client.request("slow", new Uint8Array([i]), options).then(
            () => ledger.settle(id, "ok"),
            (error) => ledger.settleWith(id, error),
          );
        });
        setTimeout(() => controller.abort(), 20);
        await within(5000, "every request settles", Promise.all(settled));
        ledger.assertExactlyOnce(["ok", "TimeoutError", "AbortedError"]);
        await until(() => server.stats.handling === 0, 5000, "handlers done");
        assert.ok(
          runs <= 3,
          `${runs} of 20 handlers ran for callers long gone`,
        );
      } finally {
        await client.close();
        await server.close();
      }
    },
  );

  const TRANSFER = stress() ? 1024 * MiB : 64 * MiB;
  it(
    `a slow reader: ${
      mib(TRANSFER)
    } of notifications arrive in order while the sender, waiting on notify(), grows by < ${
      mib(BOUND)
    }`,
    { timeout: BUDGET_MS },
    async () => {
      let received = 0;
      let order = 0;
      let outOfOrder = 0;
      const server = await serveTcp((channel) =>
        new Connection(channel, {
          router: new Router().handle("sink", async (body: Uint8Array) => {
            if (body[0] !== (order++ & 0xff)) outOfOrder++;
            received += body.byteLength;
            if (received % (4 * MiB) < body.byteLength) await sleep(1); // slow
          }),
          closeTimeout: 100,
        })
      );
      const client = new Connection(await dialTcp(server.key), {
        queue: { maxQueueBytes: MiB },
      });
      // 64 KiB bodies are copied into the send queue once they are queued
      // (when notify() returns, or its promise resolves), so one buffer does.
      const size = 64 * KiB;
      const count = TRANSFER / size;
      const body = new Uint8Array(size);
      try {
        const { growth } = await measureGrowth(async () => {
          let waited = 0;
          for (let i = 0; i < count; i++) {
            body[0] = i & 0xff;
            const queued = client.notify("sink", body);
            if (queued) {
              waited++;
              await queued;
            }
          }
          await within(
            120_000,
            "every byte arrives",
            until(() => received === TRANSFER, 120_000, "the transfer"),
          );
          assert.ok(waited > 0, "the sender was made to wait");
        });
        assert.equal(outOfOrder, 0);
        assert.ok(growth < BOUND, `the sender grew by ${mib(growth)}`);
      } finally {
        await client.close();
        await server.close();
      }
    },
  );
});
