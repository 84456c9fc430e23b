/**
 * The ConnectionMonitor against dead, half-open and draining peers, and the
 * idle check's precision (on the monitor's own timer heap, with a fake
 * clock, so a loaded machine cannot move the result).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import type { Channel } from "../../src/channel/channel.ts";
import { type Envelope, EnvelopeCodec } from "../../src/codec/envelope.ts";
import { LengthPrefixedCodec } from "../../src/framing/length_prefixed.ts";
import {
  ConnectionMonitor,
  type ExpireReason,
} from "../../src/transport/connection_monitor.ts";
import { Connection } from "../../src/connection/connection.ts";
import type { RequestContext } from "../../src/transport/request_context.ts";
import { Router } from "../../src/transport/router.ts";
import { deferred, sleep, until } from "../_helpers/pair.ts";
import { within } from "../_conformance/_helpers.ts";
import { fakeTimers } from "../_helpers/fake_timers.ts";

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

/** A router whose `wait` handler runs until its signal aborts; counts both. */
function waitingRouter() {
  const counts = { started: 0, aborted: 0 };
  const router = new Router()
    .handle("echo", (body: Uint8Array) => body)
    .handle("wait", (_body: Uint8Array, ctx: RequestContext<Envelope>) => {
      counts.started++;
      return new Promise<Uint8Array>((_resolve, reject) => {
        ctx.signal.addEventListener("abort", () => {
          counts.aborted++;
          reject(ctx.signal.reason);
        }, { once: true });
      });
    });
  return { router, counts };
}

/** Sends `count` raw `wait` requests without deadline, then ends its side. */
async function requestThenEnd(channel: Channel, count: number): Promise<void> {
  const writer = channel.writable.getWriter();
  for (let id = 1; id <= count; id++) {
    await writer.write(frame({
      kind: "request",
      id,
      route: "wait",
      body: new Uint8Array(),
    }));
  }
  await writer.close();
}

describe("ConnectionMonitor: dead peers", () => {
  it(
    "heartbeat: a peer that sent requests without deadline and ended its side is closed, and the handlers abort",
    {
      timeout: 20_000,
    },
    async () => {
      const [a, b] = createMemoryPipe();
      const { router, counts } = waitingRouter();
      // The transport would close by itself closeTimeout after the peer's end:
      // the monitor must not wait for that.
      const server = new Connection(a, { router, closeTimeout: 60_000 });
      const reasons: string[] = [];
      new ConnectionMonitor(server, {
        heartbeat: { interval: 20, timeout: 200 },
        onExpire: (reason, message) => reasons.push(`${reason}: ${message}`),
      });
      await requestThenEnd(b, 5);
      await within(10_000, "the server closes", server.closed);
      await until(() => counts.aborted === 5, 5000, "every handler aborted");
      assert.equal(counts.started, 5);
      assert.equal(reasons.length, 1);
      assert.match(reasons[0], /^heartbeat: Heartbeat: cannot ping/);
      b.close();
    },
  );

  it(
    "idleTimeout: handlers that wait for a peer that ended its side do not keep the connection busy",
    {
      timeout: 20_000,
    },
    async () => {
      const [a, b] = createMemoryPipe();
      const { router, counts } = waitingRouter();
      const server = new Connection(a, { router, closeTimeout: 60_000 });
      const reasons: ExpireReason[] = [];
      new ConnectionMonitor(server, {
        idleTimeout: 100,
        onExpire: (reason) => reasons.push(reason),
      });
      await requestThenEnd(b, 3);
      await within(10_000, "the server closes", server.closed);
      await until(() => counts.aborted === 3, 5000, "every handler aborted");
      assert.deepEqual(reasons, ["idle"]);
      b.close();
    },
  );

  it(
    "idleTimeout: a long handler for a live peer is not idleness (as gRPC's max-connection-idle)",
    {
      timeout: 20_000,
    },
    async () => {
      const [a, b] = createMemoryPipe();
      const { router, counts } = waitingRouter();
      const server = new Connection(a, { router });
      const client = new Connection(b);
      new ConnectionMonitor(server, { idleTimeout: 60 });
      const controller = new AbortController();
      const waiting = client.request("wait", new Uint8Array(), {
        timeout: 0,
        signal: controller.signal,
      }).catch((e) => e);
      await sleep(400); // more than 6 × idleTimeout
      assert.equal(server.closedReason, undefined, "still open");
      controller.abort(); // cancels the handler; then the connection idles
      await waiting;
      await within(10_000, "closed once idle", server.closed);
      assert.equal(counts.aborted, 1);
      await client.close();
    },
  );

  it(
    "heartbeat: a half-open peer (no FIN, nothing arrives) is closed while a handler runs for it",
    {
      timeout: 20_000,
    },
    async () => {
      const [a, b] = createMemoryPipe();
      const { router, counts } = waitingRouter();
      const server = new Connection(a, { router });
      const client = new Connection(b);
      const reasons: ExpireReason[] = [];
      new ConnectionMonitor(server, {
        heartbeat: { interval: 20, timeout: 100 },
        idleTimeout: 10_000,
        onExpire: (reason) => reasons.push(reason),
      });
      const waiting = client.request("wait", new Uint8Array(), { timeout: 0 })
        .catch((e) => e);
      await until(() => counts.started === 1, 5000, "the handler runs");
      b.goSilent(); // the client's host dies
      await within(10_000, "the server closes", server.closed);
      assert.deepEqual(reasons, ["heartbeat"]);
      assert.equal(counts.aborted, 1);
      await client.close();
      await waiting;
    },
  );

  it(
    "heartbeat: a ping that cannot be sent (maxPendingRequests reached) counts as unanswered when nothing arrives",
    {
      timeout: 20_000,
    },
    async () => {
      const [a, b] = createMemoryPipe();
      const server = new Connection(a);
      const client = new Connection(b, { maxPendingRequests: 1 });
      const reasons: string[] = [];
      new ConnectionMonitor(client, {
        heartbeat: { interval: 20, timeout: 100 },
        onExpire: (reason, message) => reasons.push(`${reason}: ${message}`),
      });
      a.goSilent(); // the server's host dies
      const waiting = client.request("x", new Uint8Array(), { timeout: 0 })
        .catch((e) => e);
      await within(10_000, "the client closes", client.closed);
      assert.equal(reasons.length, 1);
      assert.match(reasons[0], /^heartbeat: Heartbeat: cannot ping/);
      assert.ok(await waiting instanceof Error);
      await server.close();
    },
  );

  it(
    "heartbeat: a peer that sent goaway and still owes a reply is not closed while it drains",
    {
      timeout: 20_000,
    },
    async () => {
      const [a, b] = createMemoryPipe();
      const release = deferred();
      const router = new Router().handle("slow", async (body: Uint8Array) => {
        await release.promise;
        return body;
      });
      const server = new Connection(a, { router });
      const client = new Connection(b);
      new ConnectionMonitor(client, {
        heartbeat: { interval: 10, timeout: 100 },
      });
      const reply = client.request("slow", new Uint8Array([7]), { timeout: 0 });
      await sleep(30);
      server.goaway("restarting");
      await until(() => !client.canRequest, 5000, "goaway arrives");
      await sleep(300); // many heartbeats: the pings are refused, nothing read
      assert.equal(client.closedReason, undefined, "still open");
      release.resolve();
      assert.deepEqual(await reply, new Uint8Array([7]));
      await client.close();
      await server.close();
    },
  );
});

describe("ConnectionMonitor: idle precision", () => {
  it(
    "closes between idleTimeout and 1.1 × idleTimeout after the last activity (was 1.25–1.5 ×), on its own clock",
    {
      timeout: 20_000,
    },
    async () => {
      const IDLE = 400;
      const [a, b] = createMemoryPipe();
      const server = new Connection(a, {
        router: new Router().handle("echo", (body: Uint8Array) => body),
      });
      const client = new Connection(b);
      const clock = fakeTimers();
      let closedAt: number | undefined;
      new ConnectionMonitor(client, {
        timers: clock.timers,
        idleTimeout: IDLE,
        onExpire: () => closedAt ??= clock.now,
      });
      for (const activeAt of [0, 130, 350]) {
        clock.advance(activeAt);
        assert.equal(closedAt, undefined, `open at ${activeAt} ms`);
        await client.request("echo", new Uint8Array([1])); // activity now
      }
      clock.advance(350 + 3 * IDLE);
      assert.ok(closedAt !== undefined, "closed");
      const after = closedAt - 350;
      assert.ok(after >= IDLE, `not before idleTimeout (${after} ms)`);
      assert.ok(after <= IDLE * 1.1, `within 1.1 × idleTimeout (${after} ms)`);
      await client.closed;
      await server.close();
    },
  );
});
