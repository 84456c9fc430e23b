/**
 * Limits with documented defaults, each crossed by a test: maxFrameSize,
 * maxPendingRequests, the send queue's bytes, maxHandlingBytes,
 * maxConnections, idleTimeout and firstFrameTimeout (slowloris: a client
 * that connects and sends nothing, or trickles a frame a byte at a time).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Channel } from "../../src/channel/channel.ts";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import { Client } from "../../src/client/client.ts";
import { TransportKey } from "../../src/channel/transport_key.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import {
  ConnectionClosedError,
  FrameTooLargeError,
  QueueFullError,
  RemoteError,
  TooManyPendingError,
} from "../../src/errors.ts";
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_QUEUE,
} from "../../src/executor/executor.ts";
import { DEFAULT_MAX_FRAME_SIZE } from "../../src/framing/length_prefixed.ts";
import { DEFAULT_MAX_QUEUE_BYTES } from "../../src/queue/send_queue.ts";
import { Server } from "../../src/server/server.ts";
import { Connection } from "../../src/connection/connection.ts";
import { Router } from "../../src/transport/router.ts";
import {
  DEFAULT_MAX_HANDLING_BYTES,
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_TIMEOUT,
} from "../../src/transport/transport.ts";
import {
  frameOf,
  KiB,
  MiB,
  readToEnd,
  sleep,
  tcpAdapter,
  until,
  within,
  writeRaw,
} from "./_helpers.ts";

const tcp = await tcpAdapter();
const dialTcp = (key: string) => tcp.dial(TransportKey.from(key), {});

const echo = () =>
  new Router().handle("echo", (body: Uint8Array) => body).handle(
    "json",
    (body: unknown) => body,
  );

/** A server on 127.0.0.1:0 over this runtime's TCP adapter. */
async function tcpServer(
  options: ConstructorParameters<typeof Server>[0] = {},
): Promise<{ server: Server; key: string }> {
  const server = new Server({ router: echo(), ...options });
  const listener = await tcp.listen("tcp://127.0.0.1:0");
  void server.serve(listener);
  const port = (listener.addr as { port: number }).port;
  return { server, key: `tcp://127.0.0.1:${port}` };
}

/** The envelope and frame header around a request body to route "echo". */
const REQUEST_OVERHEAD = frameOf({
  kind: "request",
  id: 1,
  route: "echo",
  timeout: 1,
  body: new Uint8Array(0),
}).byteLength - 4;

describe("Limits: documented defaults", () => {
  it("the defaults are the README's: 16 MiB frames, 65,536 pending, 8 MiB send queue, 4 MiB being handled, 1,024 + 65,536 handlers, 30 s", () => {
    assert.equal(DEFAULT_MAX_FRAME_SIZE, 16 * MiB);
    assert.equal(DEFAULT_MAX_PENDING_REQUESTS, 65_536);
    assert.equal(DEFAULT_MAX_QUEUE_BYTES, 8 * MiB);
    assert.equal(DEFAULT_MAX_HANDLING_BYTES, 4 * MiB);
    assert.equal(DEFAULT_CONCURRENCY, 1024);
    assert.equal(DEFAULT_MAX_QUEUE, 65_536);
    assert.equal(DEFAULT_TIMEOUT, 30_000);
  });
});

describe("Limits crossed", () => {
  it(
    "maxFrameSize (default 16 MiB) over TCP: a request one byte over rejects locally with FrameTooLargeError; one of exactly 16 MiB is echoed; the connection stays up",
    { timeout: 60_000 },
    async () => {
      const { server, key } = await tcpServer({ maxHandlingBytes: 32 * MiB });
      const client = new Connection(await dialTcp(key));
      try {
        const fits = new Uint8Array(DEFAULT_MAX_FRAME_SIZE - REQUEST_OVERHEAD);
        fits[fits.length - 1] = 7;
        const over = new Uint8Array(fits.length + 1);
        await assert.rejects(
          client.request("echo", over, { timeout: 10_000 }),
          (e: unknown) => {
            assert.ok(e instanceof FrameTooLargeError, String(e));
            assert.equal(e.length, DEFAULT_MAX_FRAME_SIZE + 1);
            assert.match(e.message, /^Cannot encode frame/);
            return true;
          },
        );
        assert.equal(client.stats.requestsSent, 0, "nothing was sent");
        // The reply to the largest request is 8 bytes smaller: it fits too.
        const reply = await client.request("echo", fits, { timeout: 10_000 });
        assert.equal(reply.byteLength, fits.byteLength);
        assert.equal(reply[reply.length - 1], 7);
      } finally {
        await client.close();
        await server.close({ deadline: 100 });
      }
    },
  );

  it(
    "maxPendingRequests (default 65,536): the 65,537th request fails with TooManyPendingError; once one settles, the next is taken",
    { timeout: 60_000 },
    async () => {
      const [a, b] = createMemoryPipe();
      const client = new Connection(b, { closeTimeout: 50 });
      const body = new Uint8Array(1);
      const pending: Promise<unknown>[] = [];
      const controller = new AbortController();
      try {
        pending.push(
          client.request("x", body, { signal: controller.signal, timeout: 0 })
            .catch((e) => e),
        );
        for (let i = 1; i < DEFAULT_MAX_PENDING_REQUESTS; i++) {
          pending.push(
            client.request("x", body, { timeout: 0 }).catch((e) => e),
          );
        }
        assert.equal(client.stats.pending, DEFAULT_MAX_PENDING_REQUESTS);
        await assert.rejects(
          client.request("x", body),
          (e: unknown) => {
            assert.ok(e instanceof TooManyPendingError, String(e));
            assert.equal(e.code, "ERR_TOO_MANY_PENDING");
            return true;
          },
        );
        controller.abort();
        pending.push(client.request("x", body, { timeout: 0 }).catch((e) => e));
        assert.equal(client.stats.pending, DEFAULT_MAX_PENDING_REQUESTS);
      } finally {
        await client.close();
        a.close();
      }
      const outcomes = await Promise.all(pending);
      assert.equal(
        outcomes.filter((e) => e instanceof ConnectionClosedError).length,
        DEFAULT_MAX_PENDING_REQUESTS,
      );
    },
  );

  it(
    `the send queue (default 8 MiB) to a peer that does not read: with overflow "error" the request that does not fit fails with QueueFullError; the queue holds at most 8 MiB and one frame`,
    { timeout: 60_000 },
    async () => {
      const server = await tcp.listen("tcp://127.0.0.1:0");
      const held: Channel[] = [];
      const accepting = (async () => {
        for await (const channel of server) held.push(channel); // never read
      })();
      const port = (server.addr as { port: number }).port;
      const client = new Connection(
        await dialTcp(`tcp://127.0.0.1:${port}`),
        { queue: { overflow: "error" }, closeTimeout: 50 },
      );
      const body = new Uint8Array(MiB);
      const requests: Promise<unknown>[] = [];
      let full: unknown;
      try {
        for (let i = 0; i < 1024 && full === undefined; i++) {
          try {
            requests.push(
              client.request("sink", body, { timeout: 0 }).catch((e) => e),
            );
            // The full request fails at once, as a rejected promise.
            const outcome = await Promise.race([requests.at(-1), sleep(1)]);
            if (outcome instanceof QueueFullError) full = outcome;
          } catch (error) {
            full = error;
          }
        }
        assert.ok(full instanceof QueueFullError, `got ${full}`);
        assert.equal(full.code, "ERR_QUEUE_FULL");
        assert.ok(
          client.stats.queuedBytes <= DEFAULT_MAX_QUEUE_BYTES + MiB + 64,
          `queued ${client.stats.queuedBytes}`,
        );
      } finally {
        await client.close();
        server.close();
        await accepting;
        for (const channel of held) channel.close();
      }
      await Promise.all(requests);
    },
  );

  it(
    "maxHandlingBytes: past it the callee stops reading until its handlers finish, and every request is then served",
    { timeout: 60_000 },
    async () => {
      const [a, b] = createMemoryPipe();
      const release: (() => void)[] = [];
      let started = 0;
      const router = new Router().handle("hold", (body: Uint8Array) => {
        started++;
        return new Promise<Uint8Array>((resolve) =>
          release.push(() => resolve(body.subarray(0, 1)))
        );
      });
      const server = new Connection(a, {
        router,
        maxHandlingBytes: 64 * KiB,
      });
      const client = new Connection(b);
      try {
        const replies = Array.from(
          { length: 64 },
          () => client.request("hold", new Uint8Array(4 * KiB)),
        );
        await until(() => started > 0, 5000, "handlers start");
        await sleep(50);
        assert.ok(
          server.stats.handlingBytes <= 64 * KiB + 64 * (4 * KiB + 32),
          `handling ${server.stats.handlingBytes} bytes`,
        );
        assert.ok(started < 64, `${started} handlers started: reading paused`);
        // Handlers finish: the callee reads on, and every request is served.
        while (started < 64 || release.length > 0) {
          release.splice(0).forEach((go) => go());
          await sleep(1);
        }
        assert.equal((await Promise.all(replies)).length, 64);
        assert.equal(server.stats.handlingBytes, 0);
      } finally {
        await client.close();
        await server.close();
      }
      assert.throws(
        () => new Connection(createMemoryPipe()[0], { maxHandlingBytes: 0 }),
        RangeError,
      );
    },
  );

  it("maxConnections over TCP: the third connection is refused with the reason; the first two keep working", async () => {
    const { server, key } = await tcpServer({
      maxConnections: 2,
      body: jsonBody,
    } as never);
    const clients = [0, 1, 2].map(() =>
      new Client({ endpoint: key, dial: tcp.dial, body: jsonBody })
    );
    try {
      assert.equal(await clients[0].request("json", 1), 1);
      assert.equal(await clients[1].request("json", 2), 2);
      await assert.rejects(clients[2].request("json", 3), (e: unknown) => {
        assert.ok(
          e instanceof RemoteError || e instanceof ConnectionClosedError,
          String(e),
        );
        if (e instanceof RemoteError) {
          assert.equal(e.remoteCode, "TOO_MANY_CONNECTIONS");
        }
        assert.match(String(e), /maxConnections 2/);
        return true;
      });
      assert.equal(server.stats.rejected, 1);
      for (let i = 0; i < 10; i++) {
        assert.equal(await clients[i % 2].request("json", i), i);
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await server.close({ deadline: 100 });
    }
  });
});

describe("Slowloris and idle connections over TCP", () => {
  const FIRST_FRAME = 150;

  it(`firstFrameTimeout: a client that connects and sends nothing is closed after ${FIRST_FRAME} ms`, async () => {
    const { server, key } = await tcpServer({ firstFrameTimeout: FIRST_FRAME });
    const silent = await dialTcp(key);
    try {
      const started = performance.now();
      await within(5000, "the server closes", readToEnd(silent));
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= FIRST_FRAME - 10, `closed after ${elapsed} ms`);
      assert.equal(server.stats.firstFrameClosed, 1);
    } finally {
      silent.close();
      await server.close({ deadline: 100 });
    }
  });

  it("firstFrameTimeout: a client that trickles a frame one byte every 20 ms is closed anyway; a client that speaks is not", async () => {
    const { server, key } = await tcpServer({ firstFrameTimeout: FIRST_FRAME });
    const slow = await dialTcp(key);
    const good = new Connection(await dialTcp(key));
    const frame = frameOf({
      kind: "request",
      id: 1,
      route: "echo",
      body: new Uint8Array(100),
    });
    try {
      // The good client speaks at once (a ping, as a heartbeat would).
      await good.ping();
      const closed = readToEnd(slow);
      let sent = 0;
      const started = performance.now();
      for (; sent < frame.byteLength; sent++) {
        if (!await writeRaw(slow, frame.subarray(sent, sent + 1))) break;
        const done = await Promise.race([closed.then(() => true), sleep(20)]);
        if (done) break;
      }
      await within(5000, "the server closes the trickler", closed);
      const elapsed = performance.now() - started;
      assert.ok(sent < frame.byteLength, "the frame never completed");
      assert.ok(elapsed < 5 * FIRST_FRAME + 1000, `closed after ${elapsed} ms`);
      assert.equal(server.stats.firstFrameClosed, 1);
      assert.equal(
        (await good.request("echo", new Uint8Array([1])))[0],
        1,
        "the client that spoke at once is served",
      );
    } finally {
      slow.close();
      await good.close();
      await server.close({ deadline: 100 });
    }
  });

  it(
    "idleTimeout: after a first frame, a client that trickles the next frame is closed as idle; a busy client is not",
    { timeout: 60_000 },
    async () => {
      const IDLE = 200;
      const { server, key } = await tcpServer({
        idleTimeout: IDLE,
        firstFrameTimeout: FIRST_FRAME,
      });
      const slow = await dialTcp(key);
      const busy = new Connection(await dialTcp(key));
      const frame = frameOf({
        kind: "request",
        id: 2,
        route: "echo",
        body: new Uint8Array(200),
      });
      try {
        const closed = readToEnd(slow);
        // One whole request first: the first-frame check is passed.
        await writeRaw(
          slow,
          frameOf({
            kind: "request",
            id: 1,
            route: "echo",
            body: new Uint8Array(1),
          }),
        );
        let done = false;
        const started = performance.now();
        closed.then(() => done = true);
        for (let sent = 0; sent < frame.byteLength && !done; sent++) {
          await writeRaw(slow, frame.subarray(sent, sent + 1));
          await sleep(20);
          // The busy client keeps its connection alive.
          await busy.request("echo", new Uint8Array([sent & 0xff]));
        }
        await within(5000, "the server closes the trickler", closed);
        const elapsed = performance.now() - started;
        assert.ok(
          elapsed >= IDLE - 10 && elapsed < 5000,
          `closed after ${elapsed} ms`,
        );
        assert.equal(server.stats.idleClosed, 1);
        assert.equal(server.stats.firstFrameClosed, 0);
        assert.equal((await busy.request("echo", new Uint8Array([9])))[0], 9);
      } finally {
        slow.close();
        await busy.close();
        await server.close({ deadline: 100 });
      }
    },
  );
});
