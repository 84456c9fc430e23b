import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Channel } from "../../src/channel/channel.ts";
import { MemoryNetwork } from "../../src/channel/memory_network.ts";
import {
  type DialFunction,
  EndpointDialer,
  FailoverDialer,
} from "../../src/client/dialers.ts";
import { AbortedError, ConnectError, TimeoutError } from "../../src/errors.ts";
import { TimerHeap } from "../../src/timer/timer_heap.ts";
import { countingDial, sleep, within } from "../lifecycle/_helpers.ts";

/** A dial function that never connects, until its signal aborts. */
const hanging: DialFunction = (_key, { signal }) =>
  new Promise<Channel>((_, reject) => {
    signal?.addEventListener("abort", () => reject(signal.reason), {
      once: true,
    });
  });

describe("EndpointDialer", () => {
  it("opens a channel to its key", async () => {
    const network = new MemoryNetwork();
    const listener = await network.listen("mem://db");
    const dialer = new EndpointDialer("mem://db", (k, o) => network.dial(k, o));
    assert.equal(String(dialer.key), "mem://db");
    const channel = await dialer.dial();
    assert.deepEqual(channel.remoteAddr, { transport: "mem", name: "db" });
    channel.close();
    listener.close();
  });

  it("fails with ConnectError when refused, the dial error as cause", async () => {
    const network = new MemoryNetwork();
    const dialer = new EndpointDialer(
      "mem://none",
      (k, o) => network.dial(k, o),
    );
    await assert.rejects(dialer.dial(), (e: unknown) => {
      assert.ok(e instanceof ConnectError);
      assert.match(e.message, /mem:\/\/none: connection refused/);
      return true;
    });
    const wrapped = new EndpointDialer(
      "tcp://h:1",
      () => Promise.reject(new Error("ECONNREFUSED")),
    );
    await assert.rejects(wrapped.dial(), (e: unknown) => {
      assert.ok(e instanceof ConnectError);
      assert.match(e.message, /Cannot connect to tcp:\/\/h:1: ECONNREFUSED/);
      assert.equal((e.cause as Error).message, "ECONNREFUSED");
      return true;
    });
  });

  it("gives up after connectTimeout with a ConnectError caused by a TimeoutError", async () => {
    const timers = new TimerHeap();
    const dialer = new EndpointDialer("tcp://10.255.255.1:7000", hanging, {
      connectTimeout: 30,
      timers,
    });
    const started = performance.now();
    await assert.rejects(
      within(5000, "connect timeout", dialer.dial()),
      (e: unknown) => {
        assert.ok(e instanceof ConnectError);
        assert.match(e.message, /timed out after 30 ms/);
        assert.ok(e.cause instanceof TimeoutError);
        return true;
      },
    );
    assert.ok(performance.now() - started >= 25);
    assert.equal(timers.size, 0);
  });

  it(
    "enforces the timeout even when the dial function ignores the signal, and closes the late channel",
    { timeout: 30_000 },
    async () => {
      let closed = false;
      const late: DialFunction = () =>
        sleep(80).then(() => ({
          readable: new ReadableStream(),
          writable: new WritableStream(),
          localAddr: { transport: "mem", name: "x" },
          remoteAddr: { transport: "mem", name: "y" },
          close: () => void (closed = true),
        }));
      const dialer = new EndpointDialer("mem://x", late, {
        connectTimeout: 20,
      });
      await assert.rejects(dialer.dial(), ConnectError);
      await sleep(120);
      assert.ok(closed, "the channel that came late was closed");
    },
  );

  it("aborts with AbortedError when the signal aborts", async () => {
    const dialer = new EndpointDialer("mem://x", hanging);
    const controller = new AbortController();
    const dialing = dialer.dial({ signal: controller.signal });
    controller.abort("stop");
    await assert.rejects(dialing, (e: unknown) => {
      assert.ok(e instanceof AbortedError);
      assert.equal(e.cause, "stop");
      return true;
    });
    await assert.rejects(
      dialer.dial({ signal: controller.signal }),
      AbortedError,
    );
  });

  it("passes TypeError through and checks its arguments", async () => {
    const network = new MemoryNetwork();
    const dialer = new EndpointDialer(
      "tcp://h:1",
      (k, o) => network.dial(k, o),
    );
    await assert.rejects(dialer.dial(), TypeError);
    assert.throws(() => new EndpointDialer("nope", hanging), TypeError);
    assert.throws(
      () => new EndpointDialer("mem://a", null as unknown as DialFunction),
      TypeError,
    );
    assert.throws(
      () => new EndpointDialer("mem://a", hanging, { connectTimeout: -1 }),
      RangeError,
    );
  });
});

describe("FailoverDialer", () => {
  it("uses the active endpoint while it is up", async () => {
    const network = new MemoryNetwork();
    const a = await network.listen("mem://a");
    const b = await network.listen("mem://b");
    const dialer = new FailoverDialer(
      ["mem://a", "mem://b"],
      (k, o) => network.dial(k, o),
    );
    assert.equal(String(dialer.key), "mem://a");
    const channel = await dialer.dial();
    assert.equal(channel.remoteAddr.name, "a");
    assert.equal(String(dialer.current), "mem://a");
    channel.close();
    a.close();
    b.close();
  });

  it(
    "marks a failed endpoint down, uses the next, and goes back after downTime",
    { timeout: 30_000 },
    async () => {
      const network = new MemoryNetwork();
      const dial = countingDial((k, o) => network.dial(k, o));
      const dialer = new FailoverDialer(
        ["mem://a", "mem://b", "mem://c"],
        dial,
        {
          downTime: 300,
        },
      );
      const b = await network.listen("mem://b");
      const first = await dialer.dial();
      assert.equal(first.remoteAddr.name, "b");
      assert.deepEqual(
        dialer.endpoints.map((e) => [String(e.key), e.down, e.failures]),
        [
          ["mem://a", true, 1],
          ["mem://b", false, 0],
          ["mem://c", false, 0],
        ],
      );
      assert.equal(dial.count, 2);
      // While a is down it is not even tried.
      const second = await dialer.dial();
      assert.equal(second.remoteAddr.name, "b");
      assert.equal(dial.count, 3);
      // a comes back; once its down time passed, it is preferred again.
      const a = await network.listen("mem://a");
      await sleep(350);
      const third = await dialer.dial();
      assert.equal(third.remoteAddr.name, "a");
      assert.equal(String(dialer.current), "mem://a");
      for (const channel of [first, second, third]) channel.close();
      a.close();
      b.close();
    },
  );

  it("tries down endpoints as a last resort, and fails with every cause when all fail", async () => {
    const network = new MemoryNetwork();
    const dialer = new FailoverDialer(
      ["mem://a", "mem://b"],
      (k, o) => network.dial(k, o),
      {
        downTime: 60_000,
      },
    );
    await assert.rejects(dialer.dial(), (e: unknown) => {
      assert.ok(e instanceof ConnectError);
      assert.match(e.message, /any endpoint of mem:\/\/a, mem:\/\/b/);
      assert.ok(e.cause instanceof AggregateError);
      assert.equal((e.cause as AggregateError).errors.length, 2);
      return true;
    });
    assert.deepEqual(dialer.endpoints.map((e) => e.down), [true, true]);
    const b = await network.listen("mem://b");
    const channel = await dialer.dial(); // both down, tried anyway
    assert.equal(channel.remoteAddr.name, "b");
    channel.close();
    b.close();
  });

  it("stops at once when the signal aborts", async () => {
    const dialer = new FailoverDialer(["mem://a", "mem://b"], hanging);
    const controller = new AbortController();
    const dialing = dialer.dial({ signal: controller.signal });
    controller.abort();
    await assert.rejects(dialing, AbortedError);
    assert.deepEqual(dialer.endpoints.map((e) => e.down), [false, false]);
  });

  it("rejects an empty endpoint list and bad times", () => {
    assert.throws(() => new FailoverDialer([], hanging), TypeError);
    assert.throws(
      () => new FailoverDialer(["mem://a"], hanging, { downTime: -1 }),
      RangeError,
    );
  });
});
