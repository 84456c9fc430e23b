import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryNetwork } from "../../src/channel/memory_network.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { type Envelope, EnvelopeCodec } from "../../src/codec/envelope.ts";
import {
  ConnectError,
  ConnectionClosedError,
  RemoteError,
} from "../../src/errors.ts";
import { LengthPrefixedCodec } from "../../src/framing/length_prefixed.ts";
import { Server } from "../../src/server/server.ts";
import { Connection } from "../../src/connection/connection.ts";
import { Router } from "../../src/transport/router.ts";
import {
  deferred,
  delay,
  jsonClient,
  memoryServer,
  silentListener,
  sleep,
  until,
  within,
} from "../lifecycle/_helpers.ts";

/** One frame of the default protocol, as bytes. */
function frame(message: Envelope): Uint8Array {
  const payload = new EnvelopeCodec().encode(message);
  const length = payload.reduce((n, p) => n + p.byteLength, 0);
  const parts = new LengthPrefixedCodec().encode(payload, length);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** Reads a channel to its end; resolves with the bytes count. */
async function readToEnd(
  readable: ReadableStream<Uint8Array>,
): Promise<number> {
  let bytes = 0;
  try {
    for await (const chunk of readable) bytes += chunk.byteLength;
  } catch { /* reset */ }
  return bytes;
}

describe("Server", () => {
  it("refuses a connection beyond maxConnections with a reason the client reads", async () => {
    const { server, key, dial } = await memoryServer("max", {
      maxConnections: 2,
    });
    const clients = [
      jsonClient(key, dial),
      jsonClient(key, dial),
      jsonClient(key, dial),
    ];
    assert.equal(await clients[0].request("echo", 1), 1);
    assert.equal(await clients[1].request("echo", 2), 2);
    // The reason comes as an error reply (TOO_MANY_CONNECTIONS) if the request
    // reached the server before it closed, else with the goaway.
    await assert.rejects(clients[2].request("echo", 3), (e: unknown) => {
      assert.ok(
        e instanceof RemoteError || e instanceof ConnectionClosedError ||
          e instanceof ConnectError,
        String(e),
      );
      if (e instanceof RemoteError) {
        assert.equal(e.remoteCode, "TOO_MANY_CONNECTIONS");
      }
      assert.match(
        (e as Error).message,
        /Too many connections \(maxConnections 2\)/,
      );
      return true;
    });
    assert.equal(server.stats.rejected, 1);
    assert.equal(server.stats.connections, 2);
    assert.equal(
      await clients[0].request("echo", 4),
      4,
      "the others are untouched",
    );
    await clients[1].close();
    await until(() => server.stats.connections === 1, 5000, "a slot frees");
    assert.equal(
      await clients[2].request("echo", 5, { waitForReady: true, retry: 3 }),
      5,
    );
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  });

  it("closes connections idle for idleTimeout (gev), not busy ones", {
    timeout: 30_000,
  }, async () => {
    const { server, key, dial } = await memoryServer("idle", {
      idleTimeout: 150,
    });
    const busy = jsonClient(key, dial);
    const idle = jsonClient(key, dial, { reconnect: false });
    const disconnected: string[] = [];
    idle.pool.addEventListener("disconnect", () => disconnected.push("idle"));
    busy.pool.addEventListener("disconnect", () => disconnected.push("busy"));
    await idle.request("echo", 1);
    const started = performance.now();
    for (let i = 0; !disconnected.includes("idle"); i++) {
      assert.ok(performance.now() - started < 10_000, "the idle one closes");
      await busy.request("echo", i);
      await sleep(10);
    }
    assert.ok(performance.now() - started >= 140, "not before idleTimeout");
    assert.deepEqual(disconnected, ["idle"]);
    assert.equal(server.stats.idleClosed, 1);
    assert.equal(
      await idle.request("echo", 2),
      2,
      "the client reconnects on demand",
    );
    await idle.close();
    await busy.close();
    await server.close();
  });

  it("closes a connection that sends no frame within firstFrameTimeout", async () => {
    const { server, key, network } = await memoryServer("first", {
      firstFrameTimeout: 50,
    });
    const silent = await network.dial(key);
    const started = performance.now();
    const bytes = await within(
      5000,
      "first-frame close",
      readToEnd(silent.readable),
    );
    assert.ok(performance.now() - started >= 40);
    assert.ok(bytes > 0, "a goaway frame with the reason came first");
    assert.equal(server.stats.firstFrameClosed, 1);
    // A client that speaks at once is not affected.
    const client = jsonClient(key, (k, o) => network.dial(k, o));
    await client.request("echo", 1);
    await sleep(100);
    assert.equal(server.stats.connections, 1);
    silent.close();
    await client.close();
    await server.close();
  });

  it("heartbeat closes a client that went silent, and keeps live ones", {
    timeout: 30_000,
  }, async () => {
    const { server, key, network } = await memoryServer("hb", {
      // A generous timeout: a loaded machine must not fail the live peer.
      heartbeat: { interval: 20, timeout: 250 },
    });
    const silent = await network.dial(key);
    const writer = silent.writable.getWriter();
    await writer.write(
      frame({
        kind: "notify",
        id: 0,
        route: "echo",
        body: new Uint8Array([0x31]),
      }),
    );
    const live = new Connection(await network.dial(key)); // answers pings by itself
    await within(5000, "silent client closed", readToEnd(silent.readable));
    assert.equal(server.stats.heartbeatClosed, 1);
    await sleep(120);
    assert.equal(server.stats.connections, 1, "the live peer stays");
    assert.ok(live.stats.framesIn > 0, "it got pings");
    silent.close();
    await live.close();
    await server.close();
  });

  it(
    "heartbeat on the client closes a silent server's connection and rejects its requests",
    { timeout: 30_000 },
    async () => {
      const network = new MemoryNetwork();
      const silent = await silentListener(network, "void");
      const client = jsonClient("mem://void", (k, o) => network.dial(k, o), {
        heartbeat: { interval: 20, timeout: 40 },
        reconnect: false,
      });
      const started = performance.now();
      await assert.rejects(
        within(
          5000,
          "heartbeat",
          client.request("echo", 1, { timeout: 10_000 }),
        ),
        (e: unknown) => {
          assert.ok(e instanceof ConnectionClosedError);
          assert.match(e.message, /Heartbeat: no pong within 40 ms/);
          return true;
        },
      );
      assert.ok(performance.now() - started < 5000);
      await client.close();
      silent.close();
    },
  );

  it("shuts down gracefully: finishes in-flight work, refuses new work, then closes", async () => {
    const handled: string[] = [];
    const release = deferred();
    const router = new Router()
      .handle("echo", (body: unknown) => body)
      .handle("slow", async (body: { ms: number }) => {
        handled.push("started");
        await release.promise;
        handled.push("finished");
        return { slept: body.ms };
      });
    const { server, key, dial, network } = await memoryServer("grace", {
      router,
    });
    const client = jsonClient(key, dial, { reconnect: false });
    const other = new Connection(await network.dial(key), { body: jsonBody });
    await client.request("echo", 0);
    const inFlight = client.request("slow", { ms: 100 });
    await until(() => handled.length === 1, 5000, "the slow handler started");
    const closing = server.close({ deadline: 5000 });
    let closed = false;
    void closing.then(() => closed = true);
    // New work: the connection was told to go away, the listener is closed.
    await assert.rejects(
      client.request("echo", 1),
      /going away|connection refused|closed/,
    );
    const late = jsonClient(key, dial);
    await assert.rejects(late.request("echo", 1), ConnectError);
    await sleep(20);
    assert.equal(closed, false, "close waits for the in-flight request");
    release.resolve();
    assert.deepEqual(await inFlight, { slept: 100 });
    await closing;
    assert.deepEqual(handled, ["started", "finished"]);
    assert.equal(server.stats.connections, 0);
    await within(5000, "other peer closed", other.closed);
    await client.close();
    await late.close();
  });

  it("cancels what is still running at the deadline", async () => {
    const aborted: unknown[] = [];
    const router = new Router().handle("forever", async (_b: unknown, ctx) => {
      await delay(60_000, ctx.signal).catch((reason) => aborted.push(reason));
      return null;
    });
    const { server, key, dial } = await memoryServer("deadline", { router });
    const client = jsonClient(key, dial, { reconnect: false });
    const pending = client.request("forever", null);
    await sleep(20);
    const started = performance.now();
    await server.close({ deadline: 50 });
    assert.ok(performance.now() - started < 3000);
    await assert.rejects(pending, ConnectionClosedError);
    assert.equal(aborted.length, 1);
    assert.ok(aborted[0] instanceof ConnectionClosedError);
    await client.close();
  });

  it("runs scheduled tasks on its timer heap and cancels them on close (await using)", async () => {
    let every = 0;
    let after = 0;
    let cancelled = 0;
    {
      await using server = new Server();
      server.runEvery(10, () => every++);
      server.runAfter(20, () => after++);
      const handle = server.runAfter(10, () => cancelled++);
      assert.equal(handle.active, true);
      assert.equal(handle.cancel(), true);
      assert.equal(handle.active, false);
      server.runAfter(60_000, () => after++);
      await until(() => every >= 3 && after === 1, 5000, "tasks ran");
    }
    const seen = every;
    await sleep(50);
    assert.equal(every, seen, "runEvery stopped with the server");
    assert.equal(after, 1);
    assert.equal(cancelled, 0);
  });

  it("refuses serve() and tasks once closed, serves several listeners, reports connections", async () => {
    const network = new MemoryNetwork();
    const events: string[] = [];
    const server = new Server({
      router: new Router().handle("hi", () => "hi"),
      body: jsonBody,
      onConnect: (peer) => events.push(`connect ${peer.localAddr.name}`),
      onDisconnect: (_peer, reason) =>
        events.push(`disconnect ${reason?.name}`),
    });
    const serving = [
      server.serve(await network.listen("mem://one")),
      server.serve(await network.listen("mem://two")),
    ];
    assert.deepEqual(server.addrs.map((a) => a.name).sort(), ["one", "two"]);
    const one = jsonClient("mem://one", (k, o) => network.dial(k, o));
    const two = jsonClient("mem://two", (k, o) => network.dial(k, o));
    assert.equal(await one.request("hi", null), "hi");
    assert.equal(await two.request("hi", null), "hi");
    assert.equal(server.connections.length, 2);
    assert.equal(server.connections.length, 2);
    await server.close();
    await Promise.all(serving);
    assert.deepEqual(server.addrs, []);
    assert.ok(server.closing);
    assert.deepEqual(events.sort(), [
      "connect one",
      "connect two",
      "disconnect ConnectionClosedError",
      "disconnect ConnectionClosedError",
    ]);
    const listener = await network.listen("mem://three");
    await assert.rejects(server.serve(listener), ConnectionClosedError);
    assert.throws(() => server.runEvery(10, () => {}), ConnectionClosedError);
    assert.strictEqual(server.close(), server.close());
    await one.close();
    await two.close();
  });

  it("checks its options", () => {
    assert.throws(() => new Server({ maxConnections: 0 }), RangeError);
    assert.throws(() => new Server({ idleTimeout: -1 }), RangeError);
    assert.throws(() => new Server({ heartbeat: { interval: 0 } }), RangeError);
    assert.throws(
      () => new Server({ firstFrameTimeout: Infinity }),
      RangeError,
    );
    assert.throws(() => new Server({ shutdownTimeout: -5 }), RangeError);
  });
});
