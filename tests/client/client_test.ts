import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { MemoryChannel } from "../../src/channel/memory_pipe.ts";
import { MemoryNetwork } from "../../src/channel/memory_network.ts";
import { Client } from "../../src/client/client.ts";
import { FailoverDialer } from "../../src/client/dialers.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import {
  AbortedError,
  ConnectError,
  ConnectionClosedError,
  RemoteError,
  TimeoutError,
} from "../../src/errors.ts";
import { Server } from "../../src/server/server.ts";
import { Router } from "../../src/transport/router.ts";
import {
  deferred,
  delay,
  jsonClient,
  memoryServer,
  sleep,
  until,
  within,
} from "../lifecycle/_helpers.ts";

describe("Client", () => {
  it("requests, calls and notifies routes over a pooled connection", async () => {
    const network = new MemoryNetwork();
    const notified = deferred<unknown>();
    const router = new Router()
      .handle("sayhi", (b: { name: string }) => ({ hi: b.name }))
      .handle("log", (b: unknown) => void notified.resolve(b));
    await using server = new Server({ router, body: jsonBody });
    void server.serve(await network.listen("mem://hello"));
    await using client = new Client({
      endpoint: "mem://hello",
      dial: (k, o) => network.dial(k, o),
      body: jsonBody,
    });
    assert.equal(String(client.endpoint), "mem://hello");
    assert.deepEqual(await client.request("sayhi", { name: "rain" }), {
      hi: "rain",
    });
    const called = deferred<unknown>();
    let callbacks = 0;
    client.call("sayhi", { name: "async" }, {
      onMessage: (reply) => {
        callbacks++;
        called.resolve(reply);
      },
      onError: (e) => called.reject(e),
    });
    assert.deepEqual(await called.promise, { hi: "async" });
    await client.notify("log", { line: 1 });
    assert.deepEqual(await within(5000, "notify", notified.promise), {
      line: 1,
    });
    assert.ok((await client.ping()) >= 0);
    await sleep(10);
    assert.equal(callbacks, 1);
    assert.equal(server.stats.accepted, 1, "one connection for everything");
  });

  it("rejects requests pending on a connection that dies at once, without resending them", async () => {
    const network = new MemoryNetwork();
    let calls = 0;
    const router = new Router().handle("work", async (_b: unknown, ctx) => {
      calls++;
      await delay(10_000, ctx.signal).catch(() => {});
      return "done";
    });
    await using server = new Server({ router, body: jsonBody });
    void server.serve(await network.listen("mem://w"));
    const channels: MemoryChannel[] = [];
    await using client = new Client({
      endpoint: "mem://w",
      body: jsonBody,
      dial: async (k, o) => {
        const channel = await network.dial(k, o);
        channels.push(channel);
        return channel;
      },
    });
    const pending = client.request("work", null);
    await until(() => calls === 1, 5000, "the handler started");
    const started = performance.now();
    channels[0].reset();
    await assert.rejects(pending, ConnectionClosedError);
    assert.ok(performance.now() - started < 1000, "rejected at once");
    await sleep(50);
    assert.equal(calls, 1, "not sent again");
  });

  it("resends an idempotent request on a new connection with retry", async () => {
    const network = new MemoryNetwork();
    let calls = 0;
    const router = new Router().handle("get", async (_b: unknown, ctx) => {
      const call = ++calls;
      if (call % 2 === 1) await delay(10_000, ctx.signal).catch(() => {});
      return `answer ${call}`;
    });
    await using server = new Server({ router, body: jsonBody });
    void server.serve(await network.listen("mem://r"));
    const channels: MemoryChannel[] = [];
    await using client = new Client({
      endpoint: "mem://r",
      body: jsonBody,
      retry: 2,
      dial: async (k, o) => {
        const channel = await network.dial(k, o);
        channels.push(channel);
        return channel;
      },
    });
    const pending = client.request("get", null);
    await until(() => calls === 1, 5000, "the first attempt started");
    channels[0].reset();
    assert.equal(await within(5000, "retry", pending), "answer 2");
    assert.equal(channels.length, 2);
    // retry: 0 on the request overrides the client's.
    const once = client.request("get", null, { retry: 0 });
    await until(() => calls === 3, 5000, "the third call started");
    channels[1].reset();
    await assert.rejects(once, ConnectionClosedError);
    assert.equal(calls, 3);
  });

  it("carries the deadline, and cancelling (abort or timeout) aborts the handler's signal", async () => {
    const network = new MemoryNetwork();
    const aborted: unknown[] = [];
    const deadlines: (number | undefined)[] = [];
    const router = new Router().handle("hang", async (_b: unknown, ctx) => {
      deadlines.push(ctx.timeout);
      await delay(10_000, ctx.signal).catch((reason) => aborted.push(reason));
      return null;
    });
    await using server = new Server({ router, body: jsonBody });
    void server.serve(await network.listen("mem://c"));
    await using client = jsonClient("mem://c", (k, o) => network.dial(k, o));
    const controller = new AbortController();
    const byAbort = client.request("hang", null, {
      signal: controller.signal,
      timeout: 5000,
    });
    await until(() => deadlines.length === 1, 5000, "handler started");
    controller.abort("user left");
    await assert.rejects(byAbort, AbortedError);
    await until(() => aborted.length === 1, 5000, "handler aborted by cancel");
    assert.ok(
      deadlines[0]! > 4000 && deadlines[0]! <= 5000,
      `deadline ${deadlines[0]}`,
    );
    await assert.rejects(
      client.request("hang", null, { timeout: 60 }),
      TimeoutError,
    );
    await until(() => aborted.length === 2, 5000, "handler aborted by timeout");
    assert.equal(server.connections[0].stats.handling, 0);
  });

  it("covers connecting with the deadline", async () => {
    await using client = jsonClient(
      "mem://never",
      (_k, { signal }) =>
        delay(60_000, signal).then(() => Promise.reject(new Error("x"))),
      { connectTimeout: 60_000 },
    );
    const started = performance.now();
    await assert.rejects(
      client.request("x", null, { timeout: 50 }),
      (e: unknown) => {
        assert.ok(e instanceof TimeoutError);
        assert.match(e.message, /waiting for a connection/);
        return true;
      },
    );
    assert.ok(performance.now() - started < 2000);
  });

  it("serves the server's push on the client's router", async () => {
    const network = new MemoryNetwork();
    const server = new Server({
      body: jsonBody,
      router: new Router().handle("subscribe", () => "ok"),
    });
    void server.serve(await network.listen("mem://push"));
    const news: unknown[] = [];
    const client = new Client({
      endpoint: "mem://push",
      dial: (k, o) => network.dial(k, o),
      body: jsonBody,
      router: new Router()
        .handle("news", (b: unknown) => void news.push(b))
        .handle("whoareyou", () => "client"),
    });
    assert.equal(await client.request("subscribe", null), "ok");
    assert.equal(server.broadcast("news", { n: 1 }), 1);
    await until(() => news.length === 1, 5000, "push");
    assert.deepEqual(news, [{ n: 1 }]);
    assert.equal(
      await server.connections[0].request("whoareyou", null),
      "client",
    );
    await client.close();
    await server.close();
  });

  it("sends requests refused with GOING_AWAY to a new connection by themselves", async () => {
    const network = new MemoryNetwork();
    const first = await memoryServer("svc", {}, network);
    await using client = jsonClient(first.key, first.dial);
    assert.equal(await client.request("whoami", null), "svc");
    const slow = client.request("slow", { ms: 80 });
    await sleep(10);
    const closing = first.server.close({ deadline: 2000 });
    const second = await memoryServer("svc", {
      router: new Router().handle("whoami", () => "next"),
    }, network);
    // Sent before the goaway arrives: the draining server refuses it unprocessed.
    const racing = client.request("whoami", null);
    assert.equal(await within(5000, "transparent retry", racing), "next");
    assert.deepEqual(await slow, { slept: 80 });
    await closing;
    await second.server.close();
  });

  it("fails over to a standby and back", async () => {
    const network = new MemoryNetwork();
    let a = await memoryServer("a", {}, network);
    const b = await memoryServer("b", {}, network);
    const dial = a.dial;
    await using client = new Client({
      dialer: new FailoverDialer(["mem://a", "mem://b"], dial, {
        downTime: 50,
      }),
      body: jsonBody,
      reconnect: { initialDelay: 5, maxDelay: 20 },
    });
    const whoami = () =>
      client.request("whoami", null, {
        timeout: 1000,
        waitForReady: true,
        retry: 3,
      })
        .catch((e) => e.name);
    assert.equal(String(client.endpoint), "mem://a");
    assert.equal(await whoami(), "a");
    await a.server.close();
    let answer = "";
    await until(
      () => {
        void whoami().then((who) => answer = who);
        return answer === "b";
      },
      5000,
      "failover to b",
    );
    a = await memoryServer("a", {}, network);
    await b.server.close();
    await until(
      () => {
        void whoami().then((who) => answer = who);
        return answer === "a";
      },
      5000,
      "back to a",
    );
    await a.server.close();
  });

  it("routes by key, and fails clearly without an endpoint or a dial function", async () => {
    const network = new MemoryNetwork();
    const one = await memoryServer("one", {}, network);
    const two = await memoryServer("two", {}, network);
    await using client = new Client({ dial: one.dial, body: jsonBody });
    assert.equal(
      await client.request("whoami", null, { key: "mem://one" }),
      "one",
    );
    assert.equal(
      await client.request("whoami", null, { key: "mem://two" }),
      "two",
    );
    assert.equal(client.pool.keys.length, 2);
    await assert.rejects(client.request("whoami", null), TypeError);
    await assert.rejects(
      client.request("whoami", null, { key: "mem://three" }),
      ConnectError,
    );
    await assert.rejects(
      client.request("fail", null, { key: "mem://one" }),
      (e: unknown) => {
        assert.ok(e instanceof RemoteError);
        assert.equal(e.remoteCode, "HANDLER_ERROR");
        return true;
      },
    );
    assert.throws(() => new Client({}), TypeError);
    assert.throws(() => new Client({ dial: one.dial, retry: -1 }), RangeError);
    assert.throws(
      () => new Client({ dial: one.dial, timeout: -5 }),
      RangeError,
    );
    // A negative deadline is a mistake, not "already expired".
    await assert.rejects(
      client.request("whoami", null, { key: "mem://one", timeout: -5 }),
      RangeError,
    );
    await one.server.close();
    await two.server.close();
  });

  it("close() rejects pending requests and refuses new ones", async () => {
    const { server, key, dial } = await memoryServer();
    const client = jsonClient(key, dial);
    const pending = client.request("slow", { ms: 5000 });
    await sleep(10);
    await client.close();
    await assert.rejects(pending, ConnectionClosedError);
    await assert.rejects(client.request("echo", 1), /Client closed/);
    const errors: Error[] = [];
    client.call("echo", 1, {
      onMessage: () => {},
      onError: (e) => errors.push(e),
    });
    await until(() => errors.length === 1, 1000, "call error");
    await server.close();
  });
});
