/**
 * Fault injection: a peer reset in the middle of a frame, in the middle of a
 * batch and between frames, and a connection that goes silent without
 * closing (half-open), over the in-memory pipe and over real TCP on
 * 127.0.0.1 (through a fault-injecting proxy built on this runtime's
 * adapter). Every request is accounted for exactly once.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Channel } from "../../src/channel/channel.ts";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import { MemoryNetwork } from "../../src/channel/memory_network.ts";
import type { MemoryChannel } from "../../src/channel/memory_pipe.ts";
import { Client } from "../../src/client/client.ts";
import type { DialFunction } from "../../src/client/dialers.ts";
import { TransportKey } from "../../src/channel/transport_key.ts";
import { ConnectionClosedError, ProtocolError } from "../../src/errors.ts";
import { Server } from "../../src/server/server.ts";
import { Connection } from "../../src/connection/connection.ts";
import { Router } from "../../src/transport/router.ts";
import {
  Ledger,
  randomBytes,
  sleep,
  tcpAdapter,
  until,
  within,
} from "./_helpers.ts";
import { FaultProxy } from "./_proxy.ts";

const tcp = await tcpAdapter();
const dialTcp = (key: string) => tcp.dial(TransportKey.from(key), {});

/** Reply frames: 4-byte length, 7-byte envelope header, 100-byte body. */
const BODY = 100;
const REPLY_FRAME = 4 + 7 + BODY;
/** Request frames: also route "echo" (1 + 4 bytes) and a timeout (4). */
const REQUEST_FRAME = 4 + 7 + 4 + 4 + BODY;
const N = 10;

const echo = () => new Router().handle("echo", (body: Uint8Array) => body);

/** Sends N requests in one tick (so their frames go out in one batch). */
function fire(
  client: Connection,
  ledger: Ledger,
): { bodies: Uint8Array[]; done: Promise<void> } {
  const bodies: Uint8Array[] = [];
  const settled: Promise<void>[] = [];
  for (let i = 0; i < N; i++) {
    const body = randomBytes(BODY, i + 1);
    bodies.push(body);
    const id = ledger.open();
    settled.push(
      client.request("echo", body, { timeout: 10_000 }).then(
        (reply: Uint8Array) =>
          ledger.settle(
            id,
            reply.every((b, j) => b === body[j]) ? "ok" : "wrong",
          ),
        (error) => ledger.settleWith(id, error),
      ),
    );
  }
  return { bodies, done: Promise.all(settled).then(() => {}) };
}

/**
 * Where to cut the reply stream of a batch of N replies, and how many
 * replies get through.
 */
const replyCuts = [
  { where: "between two frames of a batch", at: 3 * REPLY_FRAME, ok: 3 },
  {
    where: "in the middle of a frame, inside a batch",
    at: 3 * REPLY_FRAME + 50,
    ok: 3,
  },
  { where: "inside the first frame's length header", at: 2, ok: 0 },
  { where: "right after a whole batch", at: N * REPLY_FRAME, ok: N },
];

describe("Faults over the memory pipe: a reset cut at an exact byte", () => {
  for (const cut of replyCuts) {
    it(`a reset of the reply stream ${cut.where}: ${cut.ok} replies, the rest ConnectionClosedError, each once`, async () => {
      const [a, b] = createMemoryPipe();
      const server = new Connection(a, { router: echo() });
      const client = new Connection(b);
      a.resetAfter(cut.at);
      const ledger = new Ledger();
      const { done } = fire(client, ledger);
      await within(5000, "every request settles", done);
      ledger.assertExactlyOnce(["ok", "ConnectionClosedError"]);
      assert.equal(
        ledger.count("ok"),
        cut.ok,
        JSON.stringify(ledger.summary()),
      );
      if (cut.ok === N) {
        // The reset comes with the next write: the next request fails.
        await assert.rejects(
          client.request("echo", new Uint8Array(1)),
          ConnectionClosedError,
        );
      }
      await within(
        5000,
        "both ends close",
        Promise.all([
          client.closed,
          server.closed,
        ]),
      );
      assert.equal(client.stats.pending, 0);
      assert.equal(server.stats.handling, 0);
      assert.ok(client.closedReason instanceof ConnectionClosedError);
    });
  }

  for (
    const cut of [
      { where: "between two frames of a batch", at: 4 * REQUEST_FRAME, got: 4 },
      {
        where: "in the middle of a frame, inside a batch",
        at: 4 * REQUEST_FRAME + 60,
        got: 4,
      },
    ]
  ) {
    it(`a reset of the request stream ${cut.where}: the server handles the ${cut.got} whole requests, the caller gets ConnectionClosedError for all`, async () => {
      const [a, b] = createMemoryPipe();
      let handled = 0;
      const router = new Router().handle("echo", async (body: Uint8Array) => {
        handled++;
        await sleep(5); // the reply comes after the reset: it cannot be sent
        return body;
      });
      const server = new Connection(a, { router });
      const client = new Connection(b);
      b.resetAfter(cut.at);
      const ledger = new Ledger();
      const { done } = fire(client, ledger);
      await within(5000, "every request settles", done);
      ledger.assertExactlyOnce(["ConnectionClosedError"]);
      await within(
        5000,
        "both ends close",
        Promise.all([
          client.closed,
          server.closed,
        ]),
      );
      assert.equal(server.stats.requestsReceived, cut.got);
      assert.equal(handled, cut.got);
      assert.equal(server.stats.handling, 0);
    });
  }

  it(
    "a reset in the middle of one large frame fails only that connection's requests",
    { timeout: 60_000 },
    async () => {
      const [a, b] = createMemoryPipe();
      const [c, d] = createMemoryPipe();
      const server = new Connection(a, { router: echo() });
      const other = new Connection(c, { router: echo() });
      const client = new Connection(b);
      const bystander = new Connection(d);
      a.resetAfter(4 + 7 + 100_000); // inside the 200,011-byte reply frame
      const request = client.request("echo", randomBytes(200_000, 3));
      await assert.rejects(request, ConnectionClosedError);
      for (let i = 0; i < 20; i++) {
        const body = randomBytes(64, i);
        assert.deepEqual(await bystander.request("echo", body), body);
      }
      await Promise.all([client.closed, server.closed]);
      await Promise.all([bystander.close(), other.close()]);
    },
  );
});

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

/** A bystander that keeps requesting on its own connection until stopped. */
function bystander(key: string): {
  stop(): Promise<{ ok: number; failed: string[] }>;
} {
  let running = true;
  const failed: string[] = [];
  let ok = 0;
  const loop = (async () => {
    const peer = new Connection(await dialTcp(key));
    try {
      for (let i = 0; running && i < 100_000; i++) {
        const body = randomBytes(32, i);
        try {
          const reply: Uint8Array = await peer.request("echo", body, {
            timeout: 5000,
          });
          if (reply.every((b, j) => b === body[j])) ok++;
          else failed.push("wrong reply");
        } catch (error) {
          failed.push(String(error));
        }
        await sleep(2);
      }
    } finally {
      await peer.close();
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { ok, failed };
    },
  };
}

describe("Faults over TCP on 127.0.0.1: the connection cut at an exact byte", () => {
  for (const cut of replyCuts) {
    it(`the reply stream cut ${cut.where}: ${cut.ok} replies, the rest ConnectionClosedError, other connections unaffected`, async () => {
      const { server, key } = await tcpServer();
      const proxy = await FaultProxy.start(tcp, key);
      const other = bystander(key);
      try {
        const client = new Connection(await dialTcp(proxy.key));
        await until(() => proxy.links.length === 1, 5000, "the proxy link");
        proxy.links[0].cutAfter("toClient", cut.at);
        const ledger = new Ledger();
        const { done } = fire(client, ledger);
        await within(10_000, "every request settles", done);
        ledger.assertExactlyOnce(["ok", "ConnectionClosedError"]);
        assert.equal(
          ledger.count("ok"),
          cut.ok,
          JSON.stringify(ledger.summary()),
        );
        await within(10_000, "the client closes", client.closed);
        const reason = client.closedReason;
        assert.ok(reason instanceof ConnectionClosedError);
        if (cut.at % REPLY_FRAME !== 0) {
          assert.ok(
            reason.cause instanceof ProtocolError,
            `a cut inside a frame is a ProtocolError: ${reason.cause}`,
          );
        }
        assert.equal(client.stats.pending, 0);
        await client.close();
      } finally {
        const { ok, failed } = await other.stop();
        await proxy.close();
        await server.close({ deadline: 1000 });
        assert.deepEqual(failed, [], "the bystander never failed");
        assert.ok(ok > 0, "the bystander completed requests");
      }
    });
  }

  it("the request stream cut inside a frame: the server handles the whole ones, closes that connection only", async () => {
    let handled = 0;
    const { server, key } = await tcpServer({
      router: new Router().handle("echo", (body: Uint8Array) => {
        if (body.byteLength === BODY) handled++; // not the bystander's
        return body;
      }),
    });
    const proxy = await FaultProxy.start(tcp, key);
    const other = bystander(key);
    try {
      const client = new Connection(await dialTcp(proxy.key));
      await until(() => proxy.links.length === 1, 5000, "the proxy link");
      proxy.links[0].cutAfter("toServer", 4 * REQUEST_FRAME + 60);
      const ledger = new Ledger();
      const { done } = fire(client, ledger);
      await within(10_000, "every request settles", done);
      ledger.assertExactlyOnce(["ok", "ConnectionClosedError"]);
      // The whole requests reached the server; their replies may or may not
      // make it back before the proxy closes the client's side.
      assert.ok(ledger.count("ok") <= 4);
      await until(() => handled >= 4, 5000, "4 requests handled");
      await sleep(20);
      assert.equal(handled, 4, "the cut request was not handled");
      await client.close();
    } finally {
      const { ok, failed } = await other.stop();
      await proxy.close();
      await server.close({ deadline: 1000 });
      assert.deepEqual(failed, []);
      assert.ok(ok > 0);
    }
  });
});

/** Captures the channels a client dials. */
function capturing(dial: DialFunction): DialFunction & { channels: Channel[] } {
  const channels: Channel[] = [];
  const wrapped = (async (key, options) => {
    const channel = await dial(key, options);
    channels.push(channel);
    return channel;
  }) as DialFunction & { channels: Channel[] };
  wrapped.channels = channels;
  return wrapped;
}

const HEARTBEAT = { interval: 50, timeout: 150 };
/** Detection takes about 2 × interval + timeout; the rest is slack for a loaded machine. */
const DETECT_MS = 3000;

/**
 * After the client's connection went silent: five requests each reject once,
 * with ConnectionClosedError, within the heartbeat bound; the server's
 * heartbeat closes its side; the client connects again and a request works.
 */
async function assertSilenceFound(
  client: Client,
  server: Server,
  reconnected: string,
): Promise<void> {
  const started = performance.now();
  const ledger = new Ledger();
  const requests = Array.from({ length: 5 }, (_, i) => {
    const id = ledger.open();
    return client.request("echo", new Uint8Array([i]), { timeout: 30_000 })
      .then(() => ledger.settle(id, "ok"), (e) => ledger.settleWith(id, e));
  });
  await within(DETECT_MS + 2000, "requests rejected", Promise.all(requests));
  const elapsed = performance.now() - started;
  ledger.assertExactlyOnce(["ConnectionClosedError"]);
  assert.ok(elapsed < DETECT_MS, `found after ${elapsed.toFixed(0)} ms`);
  await until(
    () => server.stats.heartbeatClosed === 1,
    DETECT_MS,
    "the server's heartbeat closes its side",
  );
  const reply = await client.request("echo", new Uint8Array([9]), {
    waitForReady: true,
  });
  assert.deepEqual([...reply], [9], reconnected);
}

describe("Half-open connections: found by heartbeat, pending requests rejected", () => {
  it(
    "memory: a working connection goes silent; the client's requests reject within the heartbeat bound, the server closes its side, and the client reconnects by itself",
    { timeout: 60_000 },
    async () => {
      const network = new MemoryNetwork();
      const server = new Server({
        router: echo(),
        heartbeat: HEARTBEAT,
      });
      void server.serve(await network.listen("mem://half"));
      const dial = capturing((k, o) => network.dial(k, o));
      const client = new Client({
        endpoint: "mem://half",
        dial,
        heartbeat: HEARTBEAT,
        reconnect: { initialDelay: 10, maxDelay: 50 },
      });
      try {
        assert.deepEqual(
          [...await client.request("echo", new Uint8Array([1]))],
          [
            1,
          ],
        );
        (dial.channels[0] as MemoryChannel).goSilent();
        await assertSilenceFound(
          client,
          server,
          "the client connects again by itself",
        );
        assert.equal(dial.channels.length, 2);
      } finally {
        await client.close();
        await server.close({ deadline: 100 });
      }
    },
  );

  it(
    "TCP: a connection whose path goes silent (the proxy stops forwarding, closes nothing) is found by both heartbeats",
    { timeout: 60_000 },
    async () => {
      const { server, key } = await tcpServer({ heartbeat: HEARTBEAT });
      const proxy = await FaultProxy.start(tcp, key);
      const client = new Client({
        endpoint: proxy.key,
        dial: tcp.dial,
        heartbeat: HEARTBEAT,
        reconnect: { initialDelay: 10, maxDelay: 50 },
      });
      const other = bystander(key);
      try {
        assert.deepEqual(
          [...await client.request("echo", new Uint8Array([1]))],
          [
            1,
          ],
        );
        assert.equal(proxy.links.length, 1);
        proxy.links[0].goSilent();
        await assertSilenceFound(
          client,
          server,
          "reconnected through a fresh proxy link",
        );
      } finally {
        await client.close();
        const { ok, failed } = await other.stop();
        await proxy.close();
        await server.close({ deadline: 100 });
        assert.deepEqual(failed, []);
        assert.ok(ok > 0);
      }
    },
  );

  it(
    "without a heartbeat, requests on a half-open connection end with TimeoutError at their deadline",
    { timeout: 60_000 },
    async () => {
      const [a, b] = createMemoryPipe();
      const server = new Connection(a, { router: echo() });
      const client = new Connection(b);
      assert.deepEqual([...await client.request("echo", new Uint8Array([1]))], [
        1,
      ]);
      b.goSilent();
      const ledger = new Ledger();
      await Promise.all(Array.from({ length: 5 }, () => {
        const id = ledger.open();
        return client.request("echo", new Uint8Array([2]), { timeout: 100 })
          .then(() => ledger.settle(id, "ok"), (e) => ledger.settleWith(id, e));
      }));
      ledger.assertExactlyOnce(["TimeoutError"]);
      assert.equal(client.stats.pending, 0);
      assert.equal(client.closedReason, undefined, "still open");
      await client.close();
      await server.close();
    },
  );
});
