/**
 * The server's `maxConnectionAge`: connections retired with goaway, drained
 * and closed (cut short after `maxConnectionAgeGrace`), their age jittered,
 * the options checked, the timers gone with the connection; and a `Client`
 * under load over TCP that moves to fresh connections without a failure.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryNetwork } from "../../src/channel/memory_network.ts";
import { Client } from "../../src/client/client.ts";
import type { DialFunction } from "../../src/client/dialers.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { ConnectionClosedError } from "../../src/errors.ts";
import { ListResolver } from "../../src/resolve/resolver.ts";
import { connectionAge, jittered } from "../../src/server/_connection_age.ts";
import { Server, type ServerOptions } from "../../src/server/server.ts";
import { TimerHeap } from "../../src/timer/timer_heap.ts";
import { Router } from "../../src/transport/router.ts";
import {
  deferred,
  delay,
  jsonClient,
  sleep,
  tcpAdapter,
  until,
} from "../lifecycle/_helpers.ts";

/** A JSON server on a memory network, and what closed its connections. */
async function memoryServer(options: ServerOptions, router: Router) {
  const network = new MemoryNetwork();
  const reasons: string[] = [];
  const server = new Server({
    router,
    body: jsonBody,
    firstFrameTimeout: 0,
    onDisconnect: (_, reason) => reasons.push(reason?.message ?? "none"),
    ...options,
  });
  void server.serve(await network.listen("mem://aged"));
  const dial: DialFunction = (key, options) => network.dial(key, options);
  return { server, reasons, dial, client: jsonClient("mem://aged", dial) };
}

describe("Server maxConnectionAge", () => {
  it(
    "over TCP under continuous load: several connections, no request fails, each handled once",
    {
      timeout: 30_000,
    },
    async () => {
      const { dial, listen } = await tcpAdapter();
      const handled = new Map<number, number>();
      const reasons: string[] = [];
      const server = new Server({
        router: new Router().handle("echo", (id: number) => {
          handled.set(id, (handled.get(id) ?? 0) + 1);
          return id;
        }),
        body: jsonBody,
        maxConnectionAge: 200,
        onDisconnect: (_, reason) => reasons.push(reason?.message ?? "none"),
      });
      const listener = await listen("tcp://127.0.0.1:0");
      const serving = server.serve(listener);
      const client = jsonClient(`tcp://127.0.0.1:${listener.addr.port}`, dial);
      let sent = 0;
      let settled = 0;
      const failures: unknown[] = [];
      const wrong: number[] = [];
      const until = performance.now() + 1_500;
      const worker = async () => {
        while (performance.now() < until) {
          const id = ++sent;
          let outcomes = 0;
          try {
            const reply = await client.request("echo", id, { timeout: 10_000 });
            if (reply !== id) wrong.push(id);
            outcomes++;
          } catch (error) {
            failures.push(error);
            outcomes++;
          }
          assert.equal(outcomes, 1);
          settled++;
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      await client.close();
      await server.close();
      await serving;
      assert.deepEqual(failures, [], `${failures.length} of ${sent} failed`);
      assert.deepEqual(wrong, []);
      assert.equal(settled, sent);
      assert.ok(sent > 100, `only ${sent} requests`);
      assert.equal(handled.size, sent, "every request reached a handler");
      for (const [id, count] of handled) {
        assert.equal(count, 1, `request ${id}`);
      }
      // 1.5 s at an age of 200 ms ± 10%: about 7 connections; at least 3 even
      // on a loaded machine.
      assert.ok(
        server.stats.accepted >= 3,
        `${server.stats.accepted} connections accepted`,
      );
      const aged = reasons.filter((r) => r.includes("max connection age"));
      assert.ok(aged.length >= 2, `closed: ${reasons.join("; ")}`);
    },
  );

  it("a Client with a resolver, over two aged TCP servers: no request fails", {
    timeout: 30_000,
  }, async () => {
    const { dial, listen } = await tcpAdapter();
    const servers = [0, 1].map(() =>
      new Server({
        router: new Router().handle("echo", (id: number) => id),
        body: jsonBody,
        maxConnectionAge: 200,
      })
    );
    const listeners = await Promise.all(
      servers.map(() => listen("tcp://127.0.0.1:0")),
    );
    const serving = servers.map((s, i) => s.serve(listeners[i]));
    const client = new Client({
      resolver: new ListResolver(
        listeners.map((l) => `tcp://127.0.0.1:${l.addr.port}`),
      ),
      balancer: "round_robin",
      dial,
      body: jsonBody,
    });
    let sent = 0;
    const failures: unknown[] = [];
    const end = performance.now() + 1_000;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (performance.now() < end) {
        const id = ++sent;
        await client.request("echo", id, { timeout: 10_000 }).then(
          (reply) => assert.equal(reply, id),
          (error) => failures.push(error),
        );
      }
    }));
    await client.close();
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(serving);
    assert.deepEqual(failures, [], `${failures.length} of ${sent} failed`);
    for (const server of servers) {
      assert.ok(server.stats.accepted >= 2, `${server.stats.accepted}`);
      assert.ok(server.connectionStats.requestsReceived > 0);
    }
  });

  it(
    "drains an aged connection: a slow request finishes, new ones go to a fresh connection",
    {
      timeout: 10_000,
    },
    async () => {
      const release = deferred();
      const { server, reasons, client } = await memoryServer(
        { maxConnectionAge: 50, maxConnectionAgeJitter: 0 },
        new Router()
          .handle("slow", async () => {
            await release.promise;
            return "done";
          })
          .handle("echo", (body: string) => body),
      );
      const slow = client.request("slow", null);
      await sleep(200); // well past the age: the goaway went, the drain waits
      assert.equal(server.stats.connections, 1);
      assert.equal(reasons.length, 0);
      assert.equal(await client.request("echo", "fresh"), "fresh");
      assert.equal(server.stats.accepted, 2, "the new request dialed afresh");
      release.resolve();
      assert.equal(await slow, "done");
      await until(
        () => reasons.length >= 1,
        5_000,
        "the aged connection closes",
      );
      assert.match(reasons[0], /max connection age/);
      await client.close();
      await server.close();
    },
  );

  it("closes after the grace period a connection whose handler hangs", {
    timeout: 10_000,
  }, async () => {
    let aborted = false;
    const { server, reasons, client } = await memoryServer(
      { maxConnectionAge: 50, maxConnectionAgeGrace: 100 },
      new Router().handle("hang", async (_: null, ctx) => {
        await delay(60_000, ctx.signal).catch(() => aborted = true);
        return "never";
      }),
    );
    const started = performance.now();
    const error = await client.request("hang", null).then(
      () => assert.fail("the request should fail"),
      (e: unknown) => e,
    );
    const took = performance.now() - started;
    assert.ok(error instanceof ConnectionClosedError, String(error));
    assert.ok(took >= 130 && took < 5_000, `closed after ${took} ms`);
    await until(() => reasons.length === 1, 5_000, "the server side closes");
    assert.match(reasons[0], /grace period \(100 ms\)/);
    await until(() => aborted, 5_000, "the handler's signal aborts");
    await client.close();
    await server.close();
  });

  it("draws each connection's age within ±jitter", () => {
    const age = connectionAge(1_000, 0.1, Infinity)!;
    assert.equal(jittered(age, 0), 900);
    assert.equal(jittered(age, 0.5), 1_000);
    assert.ok(Math.abs(jittered(age, 0.999_999) - 1_100) < 0.01);
    const ages = Array.from(
      { length: 200 },
      () => jittered(age, Math.random()),
    );
    assert.ok(ages.every((a) => a >= 900 && a <= 1_100));
    assert.ok(new Set(ages).size > 100, "the ages differ");
    assert.equal(jittered(connectionAge(500, 0)!, 0.9), 500);
    assert.equal(connectionAge(), undefined, "Infinity: off");
    assert.deepEqual(connectionAge(100), {
      maxAge: 100,
      jitter: 0.1,
      grace: Infinity,
    });
  });

  it("rejects a bad age, jitter or grace with a RangeError", () => {
    const bad: ServerOptions[] = [
      { maxConnectionAge: 0 },
      { maxConnectionAge: -1 },
      { maxConnectionAge: NaN },
      { maxConnectionAge: "100" as unknown as number },
      { maxConnectionAge: 100, maxConnectionAgeJitter: -0.1 },
      { maxConnectionAge: 100, maxConnectionAgeJitter: 1 },
      { maxConnectionAge: 100, maxConnectionAgeJitter: NaN },
      { maxConnectionAge: 100, maxConnectionAgeGrace: -1 },
      { maxConnectionAge: 100, maxConnectionAgeGrace: NaN },
    ];
    for (const options of bad) {
      assert.throws(() => new Server(options), RangeError, String(options));
    }
    new Server({ maxConnectionAge: Infinity });
    new Server({ maxConnectionAge: 1, maxConnectionAgeGrace: 0 });
  });

  it(
    "leaves no timer behind: per connection, on close, and on server.close()",
    {
      timeout: 10_000,
    },
    async () => {
      const timers = new TimerHeap();
      const { server, dial } = await memoryServer(
        { maxConnectionAge: 60_000, maxConnectionAgeGrace: 1_000, timers },
        new Router().handle("echo", (body: string) => body),
      );
      for (let i = 0; i < 5; i++) {
        const client = jsonClient("mem://aged", dial);
        assert.equal(await client.request("echo", "x"), "x");
        assert.equal(timers.size, 1, "one age timer");
        await client.close();
        await until(() => server.stats.connections === 0, 5_000, "closed");
        assert.equal(timers.size, 0, `after connection ${i}`);
      }
      const clients = [1, 2, 3].map(() => jsonClient("mem://aged", dial));
      await Promise.all(clients.map((c) => c.request("echo", "x")));
      assert.equal(timers.size, 3, "one age timer per connection");
      await server.close();
      assert.equal(timers.size, 0, "server.close() cancels the age timers");
      await Promise.all(clients.map((c) => c.close()));
    },
  );
});
