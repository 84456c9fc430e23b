/**
 * The deadlines of the handlers a connection runs (HandlerDeadlines): one
 * clock reading per turn and one sweep timer per connection, not a timer
 * and a clock reading per request, and still each handler aborts with its
 * TimeoutError no earlier than its timeout and on time; finishing, the
 * peer's cancel and closing remove deadlines; a timeout without a lane gets
 * a timer of its own.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import { type Envelope, EnvelopeCodec } from "../../src/codec/envelope.ts";
import { LengthPrefixedCodec } from "../../src/framing/length_prefixed.ts";
import { TimerHeap } from "../../src/timer/timer_heap.ts";
import { Connection } from "../../src/connection/connection.ts";
import { AbortedError, TimeoutError } from "../../src/errors.ts";
import { HandlerDeadlines } from "../../src/transport/_handler_deadlines.ts";
import { IncomingContext } from "../../src/transport/_incoming_context.ts";
import type { RequestContext } from "../../src/transport/request_context.ts";
import { Router } from "../../src/transport/router.ts";
import { until } from "../_helpers/pair.ts";
import { fakeTimers } from "../_helpers/fake_timers.ts";

/** Frames of the default protocol, as the bytes of one write. */
function frames(messages: Envelope[]): Uint8Array {
  const codec = new EnvelopeCodec();
  const framing = new LengthPrefixedCodec();
  const out: number[] = [];
  for (const message of messages) {
    // Copied at once: the parts may be views of a buffer reused by the next.
    const payload = codec.encode(message);
    const length = payload.reduce((n, p) => n + p.byteLength, 0);
    for (const part of framing.encode(payload, length)) out.push(...part);
  }
  return Uint8Array.from(out);
}

function request(id: number, route: string, timeout?: number): Envelope {
  return { kind: "request", id, route, body: new Uint8Array([id]), timeout };
}

interface Aborted {
  id: number | bigint | string;
  reason: unknown;
  /** Ms from the handler's start to its abort. */
  after: number;
}

/**
 * A server connection on its own heap, whose clock readings are counted,
 * and a raw peer that writes frames and reads (drops) the replies. Route
 * `wait` runs until its signal aborts; `later` replies after a microtask.
 */
function server() {
  let readings = 0;
  const timers = new TimerHeap({
    now: () => {
      readings++;
      return performance.now();
    },
  });
  const aborted: Aborted[] = [];
  let started = 0;
  const router = new Router()
    .handle("later", async (body: Uint8Array) => {
      await null;
      return body;
    })
    .handle("wait", (_body: Uint8Array, ctx: RequestContext<Envelope>) => {
      started++;
      const at = performance.now();
      return new Promise<Uint8Array>((_resolve, reject) => {
        ctx.signal.addEventListener("abort", () => {
          const reason = ctx.signal.reason;
          aborted.push({ id: ctx.id, reason, after: performance.now() - at });
          reject(reason);
        }, { once: true });
      });
    });
  const [a, b] = createMemoryPipe();
  const connection = new Connection(a, { router, timers });
  const writer = b.writable.getWriter();
  const reading = b.readable.pipeTo(new WritableStream()).catch(() => {});
  return {
    connection,
    timers,
    aborted,
    get started() {
      return started;
    },
    get readings() {
      return readings;
    },
    send: (messages: Envelope[]) => writer.write(frames(messages)),
    close: async () => {
      await connection.close();
      await writer.close().catch(() => {});
      await reading;
    },
  };
}

function context(id: number, timeout: number | undefined) {
  const message: Envelope = {
    kind: "request",
    id,
    route: "x",
    body: new Uint8Array(),
  };
  return new IncomingContext<Envelope>(message, id, true, timeout, undefined);
}

/** The end of the turn: the stamp has run. */
const endOfTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("HandlerDeadlines", () => {
  it("expires each request no earlier than its timeout and within the runtime timer's millisecond, with one clock reading per turn and one timer", async () => {
    const fake = fakeTimers(1000);
    const deadlines = new HandlerDeadlines<Envelope>(fake.timers);
    // Three timeouts, the shortest armed last (the sweep is armed again
    // earlier for it), over two turns.
    const first = [50, 20, 50, 30, 20, 50].map((t, i) => context(i, t));
    for (const c of first) deadlines.arm(c);
    await endOfTurn();
    assert.equal(fake.readings, 2, "the turn's stamp and one schedule");
    assert.equal(fake.timers.size, 1);
    fake.advance(1005);
    const second = [10, 20].map((t, i) => context(10 + i, t));
    for (const c of second) deadlines.arm(c);
    await endOfTurn();
    assert.equal(fake.timers.size, 1);
    const all = [...first, ...second];
    const armedAt = new Map(
      all.map((c) => [c, (c.id as number) < 10 ? 1000 : 1005]),
    );
    const expiredAt = new Map<IncomingContext<Envelope>, number>();
    for (let t = 1005; t <= 1060; t += 0.25) {
      fake.advance(t);
      for (const c of all) {
        if (c.cancelled && !expiredAt.has(c)) expiredAt.set(c, t);
      }
    }
    for (const c of all) {
      const due = armedAt.get(c)! + c.timeout!;
      const at = expiredAt.get(c);
      assert.ok(at !== undefined, `request ${c.id} never expired`);
      assert.ok(at >= due, `request ${c.id} expired at ${at}, due ${due}`);
      assert.ok(at <= due + 1, `request ${c.id} expired at ${at}, due ${due}`);
      const reason = c.signal.reason as TimeoutError;
      assert.ok(reason instanceof TimeoutError);
      assert.equal(
        reason.message,
        `Request ${c.id} passed its ${c.timeout} ms deadline`,
      );
    }
    assert.equal(fake.timers.size, 0, "nothing left: the sweep is not armed");
  });

  it("a finished request's deadline is removed; the rest still expire in order, through the lane's compaction and growth", async () => {
    const fake = fakeTimers(1000);
    const deadlines = new HandlerDeadlines<Envelope>(fake.timers);
    const live: IncomingContext<Envelope>[] = [];
    const done: IncomingContext<Envelope>[] = [];
    let id = 0;
    // 20 turns, 1 ms apart, of 25 requests each; two of three finish, in
    // an order unlike their arrival, so holes are left in the lane.
    for (let turn = 0; turn < 20; turn++) {
      for (let i = 0; i < 25; i++) {
        const c = context(id++, 100);
        deadlines.arm(c);
        live.push(c);
      }
      for (let i = live.length - 1; i >= 0; i -= 1) {
        if ((live[i].id as number * 7) % 3 !== 0) {
          deadlines.disarm(live[i]);
          done.push(...live.splice(i, 1));
        }
      }
      await endOfTurn();
      fake.advance(fake.now + 1);
    }
    assert.equal(fake.timers.size, 1);
    for (let turn = 0; turn <= 20; turn++) {
      // Just before the deadline of the turn's requests.
      fake.advance(1000 + turn + 100 - 0.01);
      for (const c of live) {
        const armedAt = 1000 + Math.floor((c.id as number) / 25);
        const due = armedAt + 100;
        if (due > fake.now) assert.ok(!c.cancelled, `request ${c.id} early`);
        if (due + 1 <= fake.now) assert.ok(c.cancelled, `request ${c.id} late`);
      }
    }
    assert.ok(live.every((c) => c.cancelled));
    assert.ok(done.every((c) => !c.cancelled), "a finished one expired");
    assert.equal(fake.timers.size, 0);
  });

  it("timeouts beyond the lanes get timers of their own; disarm cancels them; clear() cancels everything", async () => {
    const fake = fakeTimers(1000);
    const deadlines = new HandlerDeadlines<Envelope>(fake.timers);
    const contexts = [10, 20, 30, 40, 50, 60, 70].map((t, i) => context(i, t));
    for (const c of contexts) deadlines.arm(c);
    await endOfTurn();
    // Four lanes share the sweep; the 50, 60 and 70 ms ones have their own.
    assert.equal(fake.timers.size, 4);
    deadlines.disarm(contexts[5]);
    assert.equal(fake.timers.size, 3);
    fake.advance(1000 + 55);
    const expired = contexts.map((c) => c.cancelled ? "x" : "-").join("");
    assert.equal(expired, "xxxxx--");
    deadlines.clear();
    assert.equal(fake.timers.size, 1, "the 70 ms request's own timer");
    deadlines.disarm(contexts[6]);
    assert.equal(fake.timers.size, 0);
    // An emptied lane takes a new timeout.
    const more = [80, 90].map((t, i) => context(10 + i, t));
    for (const c of more) deadlines.arm(c);
    await endOfTurn();
    deadlines.clear();
    assert.equal(fake.timers.size, 0);
    fake.advance(2000);
    assert.ok(more.every((c) => !c.cancelled));
  });
});

describe("a connection's handler deadlines", () => {
  it(
    "200 async requests with a timeout in one turn: one clock reading and one timer on the server, not one each; each aborts with its TimeoutError, not before its timeout",
    {
      timeout: 20_000,
    },
    async () => {
      const s = server();
      try {
        const batch = Array.from(
          { length: 200 },
          (_, i) => request(i + 1, "wait", 60),
        );
        await s.send(batch);
        await until(() => s.started === 200, 5000, "200 handlers to start");
        // Without HandlerDeadlines: 200 readings and 200 timers.
        assert.ok(s.readings <= 3, `${s.readings} clock readings for 200`);
        assert.equal(s.timers.size, 1, `${s.timers.size} timers for 200`);
        await until(() => s.aborted.length === 200, 10_000, "200 aborts");
        for (const { id, reason, after } of s.aborted) {
          assert.ok(reason instanceof TimeoutError, String(reason));
          assert.equal(
            (reason as Error).message,
            `Request ${id} passed its 60 ms deadline`,
          );
          assert.ok(after >= 60, `request ${id} aborted after ${after} ms`);
        }
        assert.equal(s.connection.stats.handling, 0);
        assert.equal(s.timers.size, 0, "the sweep found nothing left");
      } finally {
        await s.close();
      }
    },
  );

  it(
    "requests without a timeout arm no timer; finished ones are not aborted; the peer's cancel aborts with AbortedError; closing cancels the sweep timer",
    {
      timeout: 20_000,
    },
    async () => {
      const s = server();
      try {
        await s.send(
          Array.from({ length: 20 }, (_, i) => request(i + 1, "wait")),
        );
        await until(() => s.started === 20, 5000, "20 handlers to start");
        assert.equal(s.timers.size, 0, "no deadline, no timer");
        await s.send(
          Array.from({ length: 20 }, (_, i) => request(100 + i, "later", 30)),
        );
        await until(
          () => s.connection.stats.handling === 20,
          5000,
          "the 20 with a deadline to finish",
        );
        await s.send([
          request(200, "wait", 40),
          { kind: "cancel", id: 200, route: "", body: new Uint8Array() },
        ]);
        await until(() => s.aborted.length === 1, 5000, "the cancel's abort");
        assert.ok(s.aborted[0].reason instanceof AbortedError);
        await new Promise((resolve) => setTimeout(resolve, 80));
        assert.equal(s.aborted.length, 1, "a finished request was aborted");
        assert.equal(s.timers.size, 0, "the sweep found nothing left");
        await s.send([request(300, "wait", 5_000)]);
        await until(() => s.timers.size === 1, 5000, "the sweep timer");
        await s.connection.close();
        assert.equal(s.timers.size, 0, "closing leaves a timer");
        await until(
          () => s.aborted.length === 22,
          5000,
          "the closing's aborts",
        );
        assert.ok(!s.aborted.some((a) => a.reason instanceof TimeoutError));
      } finally {
        await s.close();
      }
    },
  );
});
