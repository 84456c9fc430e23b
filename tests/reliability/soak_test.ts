/**
 * Soak: 100,000 requests (1,000,000 under `npm run stress`) in both
 * directions of one connection, with random timeouts, aborts (before and
 * after sending) and handlers that reply, fail, reply late or never return on
 * their own. Every request settles exactly once, the transports' counters add
 * up on both sides, and nothing is left behind: no pending entry, no handler,
 * no timer in the shared heap, no abort listener, no runtime timer.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setMaxListeners } from "node:events";
import process from "node:process";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import { TimerHeap } from "../../src/timer/timer_heap.ts";
import { Connection } from "../../src/connection/connection.ts";
import type { RequestContext } from "../../src/transport/request_context.ts";
import { Router } from "../../src/transport/router.ts";
import type { ConnectionStats } from "../../src/transport/stats.ts";
import type { Envelope } from "../../src/codec/envelope.ts";
import type { Channel } from "../../src/channel/channel.ts";
import { TransportKey } from "../../src/channel/transport_key.ts";
import {
  Ledger,
  nameOf,
  prng,
  stress,
  tcpAdapter,
  until,
  within,
} from "./_helpers.ts";

const TOTAL = stress() ? 1_000_000 : 100_000;
const TOTAL_TCP = stress() ? 200_000 : 20_000;
const tcp = await tcpAdapter();
const WINDOW = 512; // requests in flight per side
/** How long every request of one soak may take to settle. */
const SETTLE_MS = stress() ? 600_000 : 120_000;
/**
 * The runner's budget of one soak: the settling bound, the wait for handlers
 * (10 s) and room to spare, so a bound that is crossed reports itself. The
 * memory-pipe soak takes 4 s (Bun) to 14 s (Node) on a busy 2-core machine,
 * past Bun's default of 5 s per test.
 */
const SOAK_BUDGET_MS = SETTLE_MS + 60_000;

/** What the handler does, chosen by the caller (byte 0 of the body). */
const SYNC = 0;
const LATE = 1; // replies after a delay
const THROWS = 2;
const REJECTS = 3; // fails after a delay
const NEVER = 4; // returns only when its signal aborts

/** A signal that never aborts, counting the listeners added and removed. */
function countingSignal(): {
  signal: AbortSignal;
  added: number;
  removed: number;
} {
  const signal = new AbortController().signal;
  // Hundreds of requests share it at once: that is no leak (Node warns at 11).
  setMaxListeners(0, signal);
  const counts = { signal, added: 0, removed: 0 };
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    counts.added++;
    return add(...args);
  }) as typeof add;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    counts.removed++;
    return remove(...args);
  }) as typeof remove;
  return counts;
}

/** Handler-side counters, and a router whose one route obeys the body. */
function worker(): {
  router: Router;
  started: number;
  finished: number;
  timers: number;
} {
  const state = { router: new Router(), started: 0, finished: 0, timers: 0 };
  const later = (ms: number, ctx: RequestContext<Envelope>) =>
    new Promise<void>((resolve, reject) => {
      state.timers++;
      const timer = setTimeout(() => {
        state.timers--;
        ctx.signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        state.timers--;
        reject(ctx.signal.reason);
      };
      ctx.signal.addEventListener("abort", onAbort, { once: true });
    });
  state.router.handle(
    "work",
    async (body: Uint8Array, ctx: RequestContext<Envelope>) => {
      state.started++;
      try {
        const delay = body[1];
        switch (body[0]) {
          case SYNC:
            return body;
          case LATE:
            await later(delay, ctx);
            return body;
          case THROWS:
            throw new Error("boom");
          case REJECTS:
            await later(delay, ctx);
            throw new Error("late boom");
          default: // NEVER: only the caller's cancel or the deadline ends it
            await later(2 ** 31 - 1, ctx);
            throw new Error("unreachable");
        }
      } finally {
        state.finished++;
      }
    },
  );
  return state;
}

interface SideResult {
  ledger: Ledger;
  preAborted: number;
  abortTimers: number;
}

/** Sends `count` random requests from `caller`, WINDOW at a time. */
async function drive(
  caller: Connection,
  count: number,
  seed: number,
  shared: AbortSignal,
): Promise<SideResult> {
  const random = prng(seed);
  const ledger = new Ledger();
  const result: SideResult = { ledger, preAborted: 0, abortTimers: 0 };
  let next = 0;
  const one = async (): Promise<void> => {
    const id = ledger.open();
    const behaviour = Math.floor(random() * 5);
    const viaCall = random() < 0.25;
    const body = new Uint8Array(8);
    body[0] = behaviour;
    body[1] = Math.floor(random() * 20);
    new DataView(body.buffer).setUint32(4, id);
    const roll = random();
    let timeout = roll < 0.3 ? 0 : roll < 0.8 ? 1 + random() * 30 : 100;
    let signal: AbortSignal | undefined;
    let abortTimer: ReturnType<typeof setTimeout> | undefined;
    const abortRoll = random();
    if (abortRoll < 0.05) {
      const controller = new AbortController();
      controller.abort(new Error("gave up early"));
      signal = controller.signal;
      result.preAborted++;
    } else if (abortRoll < 0.25) {
      const controller = new AbortController();
      signal = controller.signal;
      result.abortTimers++;
      abortTimer = setTimeout(() => {
        result.abortTimers--;
        abortTimer = undefined;
        controller.abort(new Error("gave up"));
      }, random() * 20);
    } else if (abortRoll < 0.4) {
      signal = shared;
    }
    if (behaviour === NEVER && timeout === 0 && abortTimer === undefined) {
      timeout = 20; // something must end it
    }
    const same = (reply: Uint8Array) =>
      reply.byteLength === 8 && reply.every((byte, i) => byte === body[i]);
    const options = { timeout, signal };
    try {
      if (viaCall) {
        // Async mode: exactly one callback, once (a second shows as a double).
        await new Promise<void>((done) => {
          const settle = (outcome: string) => {
            ledger.settle(id, outcome);
            done();
          };
          try {
            caller.call("work", body, {
              onMessage: (reply) => settle(same(reply) ? "ok" : "wrong reply"),
              onTimeout: (error) => settle(nameOf(error)),
              onError: (error) => settle(nameOf(error)),
            }, options);
          } catch (error) {
            settle(nameOf(error)); // refused before sending: no callback
          }
        });
      } else {
        const reply = await caller.request("work", body, options);
        ledger.settle(id, same(reply) ? "ok" : "wrong reply");
      }
    } catch (error) {
      ledger.settleWith(id, error);
    } finally {
      if (abortTimer !== undefined) {
        clearTimeout(abortTimer);
        result.abortTimers--;
      }
    }
  };
  const lane = async (): Promise<void> => {
    while (next < count) {
      next++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
  return result;
}

/** The counters of one direction (caller → callee) must add up. */
function checkDirection(
  name: string,
  side: SideResult,
  caller: ConnectionStats,
  callee: ConnectionStats,
): void {
  const { ledger, preAborted } = side;
  const summary = `${name}: ${JSON.stringify(ledger.summary())} ${
    JSON.stringify(caller)
  }`;
  ledger.assertExactlyOnce([
    "ok",
    "TimeoutError",
    "AbortedError",
    "RemoteError:HANDLER_ERROR",
  ]);
  const ok = ledger.count("ok");
  const failed = ledger.count("RemoteError:HANDLER_ERROR");
  const timeouts = ledger.count("TimeoutError");
  const aborts = ledger.count("AbortedError");
  assert.ok(ok > 0 && failed > 0 && timeouts > 0 && aborts > 0, summary);
  // The caller's counters.
  assert.equal(caller.requestsSent, ledger.size - preAborted, summary);
  assert.equal(caller.repliesReceived, ok + failed, summary);
  assert.equal(caller.errorsReceived, failed, summary);
  assert.equal(caller.timeouts, timeouts, summary);
  assert.equal(caller.aborts, aborts - preAborted, summary);
  assert.equal(caller.closedWhilePending, 0, summary);
  assert.equal(
    caller.requestsSent,
    caller.repliesReceived + caller.timeouts + caller.aborts,
    `every request sent settled once: ${summary}`,
  );
  assert.equal(caller.pending, 0, summary);
  // The wire: every request arrived once; every reply sent arrived once,
  // settling its request or counted as late.
  assert.equal(callee.requestsReceived, caller.requestsSent, summary);
  assert.equal(
    callee.repliesSent,
    caller.repliesReceived + caller.lateReplies,
    summary,
  );
  assert.equal(callee.handling, 0, summary);
}

/** Node only: the runtime's live timers (Deno's sanitizers check its own). */
function runtimeTimers(): number | undefined {
  const info = (process as { getActiveResourcesInfo?: () => string[] })
    .getActiveResourcesInfo;
  if (typeof info !== "function" || "Bun" in globalThis) return undefined;
  return info().filter((r) => r === "Timeout").length;
}

/** Two connected channels: a memory pipe, or TCP on 127.0.0.1. */
const channels: Record<
  string,
  {
    total: number;
    open(): Promise<{ a: Channel; b: Channel; close(): void }>;
  }
> = {
  "over the memory pipe": {
    total: TOTAL,
    open() {
      const [a, b] = createMemoryPipe({ chunkSize: 4096 });
      return Promise.resolve({ a, b, close() {} });
    },
  },
  "over TCP on 127.0.0.1": {
    total: TOTAL_TCP,
    async open() {
      const listener = await tcp.listen("tcp://127.0.0.1:0");
      const port = (listener.addr as { port: number }).port;
      const accepted = listener[Symbol.asyncIterator]().next();
      const b = await tcp.dial(
        TransportKey.from(`tcp://127.0.0.1:${port}`),
        {},
      );
      const a = (await accepted).value as Channel;
      return { a, b, close: () => listener.close() };
    },
  },
};

describe("Soak", () => {
  for (const [where, { total, open }] of Object.entries(channels)) {
    it(
      `${
        total.toLocaleString("en")
      } requests both ways ${where}, sync and async mode, with random timeouts, aborts and handler failures: each settles once, counters add up, nothing is left behind`,
      {
        timeout: SOAK_BUDGET_MS,
      },
      async () => {
        await soak(total, open);
      },
    );
  }
});

async function soak(
  total: number,
  open: () => Promise<{ a: Channel; b: Channel; close(): void }>,
): Promise<void> {
  const timersBefore = runtimeTimers();
  const timers = new TimerHeap();
  const { a, b, close } = await open();
  const workA = worker();
  const workB = worker();
  const options = { timers, closeTimeout: 1000 };
  const left = new Connection(a, { router: workA.router, ...options });
  const right = new Connection(b, { router: workB.router, ...options });
  try {
    const shared = countingSignal();
    const [fromLeft, fromRight] = await within(
      SETTLE_MS,
      "every request settles",
      Promise.all([
        drive(left, total / 2, 0x5eed, shared.signal),
        drive(right, total / 2, 0xbeef, shared.signal),
      ]),
    );
    // Handlers that outlived their caller end by the cancel or the deadline;
    // the last fence (the ping that frees the ids of requests that timed out
    // or were aborted) comes back.
    await until(
      () =>
        left.stats.handling === 0 && right.stats.handling === 0 &&
        workA.timers === 0 && workB.timers === 0 && timers.size === 0,
      10_000,
      "every handler to finish and every fence to return",
    );
    checkDirection("left → right", fromLeft, left.stats, right.stats);
    checkDirection("right → left", fromRight, right.stats, left.stats);
    assert.equal(workA.started, workA.finished);
    assert.equal(workB.started, workB.finished);
    assert.ok(workB.started <= right.stats.requestsReceived);
    assert.equal(left.stats.handlingBytes + right.stats.handlingBytes, 0);
    assert.equal(timers.size, 0, "no deadline left in the timer heap");
    assert.ok(shared.added > 0);
    assert.equal(shared.added, shared.removed, "no abort listener left");
    assert.equal(fromLeft.abortTimers + fromRight.abortTimers, 0);
    if (timersBefore !== undefined) {
      assert.ok(
        runtimeTimers()! <= timersBefore,
        `no runtime timer left: ${runtimeTimers()} > ${timersBefore}`,
      );
    }
  } finally {
    await Promise.all([left.close(), right.close()]);
    close();
  }
  assert.equal(timers.size, 0);
}
