/**
 * The logger hook: silent by default, structured events with stable names
 * and their fields in real scenarios over the memory network, console- and
 * pino-shaped loggers as they are, and a logger that throws is ignored.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Connection,
  type Logger,
  ProtocolError,
  RemoteError,
  Router,
  setLogger,
} from "../../mod.ts";
import type { LogEvent } from "../../advanced.ts";
import { createMemoryPipe, MemoryNetwork } from "../../testing.ts";
import { jsonClient, memoryServer } from "../lifecycle/_helpers.ts";
import {
  type Call,
  consoleLike,
  named,
  pinoLike,
  recorder,
} from "./_recorder.ts";

/** The one call of `name`, asserting there is exactly one. */
function one(calls: Call[], name: LogEvent["event"]): Call {
  const found = named(calls, name);
  assert.equal(
    found.length,
    1,
    `${name}: ${found.length} calls in ${
      calls.map((c) => c.event.event).join(", ")
    }`,
  );
  return found[0];
}

/** Waits until `check` holds, for at most 5 s. */
async function until(check: () => boolean): Promise<void> {
  const end = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in 5 s");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

afterEach(() => {
  setLogger(undefined);
});

describe("setLogger", () => {
  it("is silent by default: no logger, and requests are not even timed", async () => {
    assert.equal(setLogger(undefined), undefined, "no logger by default");
    const router = new Router().handle("nap", async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return new Uint8Array();
    });
    const [a, b] = createMemoryPipe();
    const server = new Connection(a, { router, slowRequestThreshold: 5 });
    const client = new Connection<typeof router>(b);
    await client.request("nap", new Uint8Array());
    // Neither onSlowRequest nor a logger: nothing measured the request.
    assert.equal(server.stats.slowRequests, 0);
    const { logger, calls } = recorder();
    setLogger(logger);
    await client.request("nap", new Uint8Array());
    assert.equal(server.stats.slowRequests, 1);
    assert.equal(one(calls, "request.slow").event.event, "request.slow");
    await client.close();
    await server.closed;
  });

  it("returns the previous logger, and takes only loggers", () => {
    const { logger } = recorder();
    assert.equal(setLogger(logger), undefined);
    assert.equal(setLogger(undefined), logger);
    for (
      const bad of [
        () => {},
        null,
        {},
        "yes",
        { debug() {}, info() {}, warn() {} }, // no error
      ]
    ) {
      assert.throws(
        () => setLogger(bad as unknown as Logger),
        TypeError,
        String(bad),
      );
    }
    assert.equal(setLogger(undefined), undefined, "a bad logger is not set");
  });

  it("takes console as it is", () => {
    const asLogger: Logger = console; // and it type-checks as a Logger
    assert.equal(setLogger(asLogger), undefined);
    assert.equal(setLogger(undefined), console);
  });

  it("ignores a logger that throws", async () => {
    const broken = () => {
      throw new Error("broken logger");
    };
    setLogger({ debug: broken, info: broken, warn: broken, error: broken });
    const { server, key, dial } = await memoryServer("throwing-logger");
    const client = jsonClient(key, dial);
    assert.equal(await client.request("echo", 7), 7);
    await assert.rejects(client.request("fail", null), RemoteError);
    await client.close();
    await server.close();
  });
});

describe("log events", () => {
  it(
    "a connection's life: listen, connect, open on both ends, close with the reason, shutdown; never a request",
    {
      timeout: 30_000,
    },
    async () => {
      const { logger, calls } = recorder();
      setLogger(logger);
      const { server, key, dial } = await memoryServer("life");
      const client = jsonClient(key, dial);
      assert.equal(await client.request("echo", 1), 1);
      const before = calls.length;
      for (let i = 0; i < 50; i++) await client.request("echo", i);
      assert.equal(calls.length, before, "no event per request");
      await client.close();
      await server.close();
      await until(() => named(calls, "connection.close").length === 2);

      const listen = one(calls, "server.listen");
      assert.equal(listen.level, "info");
      assert.deepEqual(listen.event, {
        event: "server.listen",
        local: "mem://life",
      });
      assert.match(
        listen.message,
        /^listenrain: server listening on mem:\/\/life$/,
      );

      const connect = one(calls, "pool.connect");
      assert.equal(connect.level, "debug");
      assert.deepEqual(connect.event, {
        event: "pool.connect",
        key: "mem://life",
        attempt: 1,
      });

      const opens = named(calls, "connection.open");
      assert.equal(opens.length, 2, "one per end");
      for (const open of opens) assert.equal(open.level, "info");
      const [x, y] = opens.map((c) => c.event) as Extract<
        LogEvent,
        { event: "connection.open" }
      >[];
      assert.equal(x.local, y.remote, "the two ends mirror each other");
      assert.equal(x.remote, y.local);
      assert.ok([x.local, x.remote].includes("mem://life"));

      const closes = named(calls, "connection.close");
      for (const close of closes) {
        assert.equal(close.level, "info");
        const event = close.event as Extract<
          LogEvent,
          { event: "connection.close" }
        >;
        assert.ok([x.local, x.remote].includes(event.local));
        assert.equal(typeof event.reason, "string");
        assert.ok(close.message.includes(event.reason));
      }
      assert.ok(
        closes.every((c) => (c.event as { reason: string }).reason !== ""),
        "every close says why",
      );

      const shutdown = one(calls, "server.shutdown");
      assert.equal(shutdown.level, "info");
      assert.equal((shutdown.event as { connections: number }).connections, 0);
      assert.equal(one(calls, "pool.disconnect").level, "debug");
    },
  );

  it("garbage bytes: protocol.error once at warn, and the close names it", {
    timeout: 30_000,
  }, async () => {
    const { logger, calls } = recorder();
    setLogger(logger);
    const network = new MemoryNetwork();
    const { server } = await memoryServer("garbage", {}, network);
    const raw = await network.dial("mem://garbage");
    const writer = raw.writable.getWriter();
    // A 6-byte frame whose payload is no envelope.
    await writer.write(
      new Uint8Array([0, 0, 0, 6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    );
    await until(() => named(calls, "connection.close").length === 1);
    const error = one(calls, "protocol.error");
    assert.equal(error.level, "warn");
    const event = error.event as Extract<LogEvent, { event: "protocol.error" }>;
    assert.ok(event.err instanceof ProtocolError, String(event.err));
    assert.equal(event.local, "mem://garbage");
    assert.ok(event.remote.startsWith("mem://"));
    assert.ok(error.message.includes(event.err.message));
    const close = one(calls, "connection.close").event as Extract<
      LogEvent,
      { event: "connection.close" }
    >;
    assert.equal(close.err, event.err, "the close carries the protocol error");
    raw.close();
    await server.close();
  });

  it(
    "a handler that throws: handler.error once at error, with the error id the caller sees",
    {
      timeout: 30_000,
    },
    async () => {
      const { logger, calls } = recorder();
      setLogger(logger);
      const { server, key, dial } = await memoryServer("failing");
      const client = jsonClient(key, dial);
      const failure = await client.request("fail", null).then(
        () => assert.fail("fail must fail"),
        (error: unknown) => error as RemoteError,
      );
      assert.ok(failure instanceof RemoteError);
      const call = one(calls, "handler.error");
      assert.equal(call.level, "error");
      const event = call.event as Extract<LogEvent, { event: "handler.error" }>;
      assert.equal(event.code, "HANDLER_ERROR");
      assert.equal(failure.remoteCode, event.code);
      assert.ok(failure.message.includes(event.errorId), failure.message);
      assert.equal(event.err.message, "boom");
      assert.equal(event.route, "fail");
      assert.equal(event.local, "mem://failing");
      assert.ok(call.message.includes(event.errorId));
      await client.close();
      await server.close();
    },
  );

  it("a handler's RemoteError is a deliberate reply: handler.error at debug", async () => {
    const { logger, calls } = recorder();
    setLogger(logger);
    const router = new Router().handle("deny", () => {
      throw new RemoteError("UNAUTHENTICATED", "no token");
    });
    const [a, b] = createMemoryPipe();
    const server = new Connection(a, { router });
    const client = new Connection<typeof router>(b);
    await assert.rejects(client.request("deny", new Uint8Array()), RemoteError);
    const call = one(calls, "handler.error");
    assert.equal(call.level, "debug");
    assert.equal((call.event as { code: string }).code, "UNAUTHENTICATED");
    await client.close();
    await server.closed;
  });

  it("a slow request: request.slow once at warn on each side that times it", {
    timeout: 30_000,
  }, async () => {
    const { logger, calls } = recorder();
    setLogger(logger);
    const { server, key, dial } = await memoryServer("slowpoke", {
      slowRequestThreshold: 10,
    });
    const client = jsonClient(key, dial, { slowRequestThreshold: 10 });
    assert.deepEqual(await client.request("slow", { ms: 60 }), { slept: 60 });
    await until(() => named(calls, "request.slow").length === 2);
    const slow = named(calls, "request.slow").map((c) => {
      assert.equal(c.level, "warn");
      return c.event as Extract<LogEvent, { event: "request.slow" }>;
    });
    const incoming = slow.find((e) => e.direction === "incoming")!;
    const outgoing = slow.find((e) => e.direction === "outgoing")!;
    assert.ok(incoming && outgoing, "one each way");
    assert.equal(incoming.route, "slow");
    assert.equal(incoming.outcome, "reply");
    assert.equal(outgoing.outcome, "reply");
    assert.equal(incoming.local, "mem://slowpoke");
    assert.equal(outgoing.remote, "mem://slowpoke");
    assert.equal(incoming.requestId, outgoing.requestId);
    for (const e of slow) assert.ok(e.elapsed >= 10, `elapsed ${e.elapsed}`);
    await client.close();
    await server.close();
  });

  it(
    "refused connections and failed connects: server.refuse and pool.connect_error at warn",
    {
      timeout: 30_000,
    },
    async () => {
      const { logger, calls } = recorder();
      setLogger(logger);
      const { server, key, dial } = await memoryServer("full", {
        maxConnections: 1,
      });
      const first = jsonClient(key, dial);
      const second = jsonClient(key, dial);
      await first.request("echo", 1);
      await second.request("echo", 2).catch(() => {});
      const refuse = one(calls, "server.refuse");
      assert.equal(refuse.level, "warn");
      assert.match(
        (refuse.event as { reason: string }).reason,
        /maxConnections 1/,
      );
      await first.request("echo", 1, { key: "mem://nobody" }).catch(() => {});
      const failed = named(calls, "pool.connect_error")[0];
      assert.equal(failed.level, "warn");
      const event = failed.event as Extract<
        LogEvent,
        { event: "pool.connect_error" }
      >;
      assert.equal(event.key, "mem://nobody");
      assert.equal(event.attempt, 1);
      assert.ok(event.err instanceof Error);
      await first.close();
      await second.close();
      await server.close();
    },
  );
});

describe("logger shapes", () => {
  it("a console-shaped logger gets (event, message) at the event's level", async () => {
    const { logger, calls, raw } = consoleLike();
    setLogger(logger);
    const { server, key, dial } = await memoryServer("console-shaped");
    const client = jsonClient(key, dial);
    await client.request("fail", null).catch(() => {});
    await client.close();
    await server.close();
    for (const args of raw) {
      assert.equal(args.length, 2);
      assert.equal(typeof args[0], "object");
      assert.match(args[1] as string, /^listenrain: /);
    }
    assert.equal(one(calls, "handler.error").level, "error");
    assert.equal(one(calls, "server.listen").level, "info");
  });

  it("a pino logger (or its child) works as it is: fields merged, err serialized, debug filtered by its level", async () => {
    const root = pinoLike();
    const asLogger: Logger = root.child({ lib: "listenrain" }); // type-checks as a Logger
    setLogger(asLogger);
    const { server, key, dial } = await memoryServer("pino-shaped");
    const client = jsonClient(key, dial);
    await client.request("fail", null).catch(() => {});
    await client.close();
    await server.close();
    const failure = root.lines.find((line) => line.event === "handler.error");
    assert.ok(failure, JSON.stringify(root.lines));
    assert.equal(failure.level, 50);
    assert.equal(failure.lib, "listenrain");
    assert.equal(failure.route, "fail");
    assert.equal(failure.code, "HANDLER_ERROR");
    assert.deepEqual(
      { ...(failure.err as object), stack: undefined },
      { type: "Error", message: "boom", stack: undefined },
    );
    assert.match(
      failure.msg as string,
      /^listenrain: handler error HANDLER_ERROR/,
    );
    assert.ok(root.lines.some((line) => line.event === "connection.open"));
    assert.ok(
      root.lines.every((line) => (line.level as number) >= 30),
      "debug lines dropped at level info",
    );
  });
});
