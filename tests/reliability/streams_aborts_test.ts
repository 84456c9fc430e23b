/**
 * Streams ended at random, over TCP on 127.0.0.1: thousands of server,
 * client and bidirectional streams, mixed, some completed, some whose
 * handler throws, some aborted by their signal (before they open, or while
 * they run), left by `break`, or past their deadline. Every stream ends
 * exactly once on the caller's side, with the one outcome its plan allows;
 * every handler that started ends once (finished, threw, or saw
 * `ctx.signal` abort); nothing is left: the server's `stats.handling` and
 * the client's `inFlight` are 0, and every source the client streamed from
 * was closed.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TransportKey } from "../../src/channel/transport_key.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { Connection } from "../../src/connection/connection.ts";
import { Server } from "../../src/server/server.ts";
import {
  Ledger,
  nameOf,
  prng,
  sleep,
  stress,
  tcpAdapter,
  until,
  within,
} from "./_helpers.ts";
import {
  HandlerLedger,
  planMetadata,
  planRoutes,
  readStream,
  type StreamPlan,
} from "./_streams.ts";

const tcp = await tcpAdapter();

/** Streams per run, and how many are open at once. */
const COUNT = stress() ? 30_000 : 3_000;
const CONCURRENCY = 50;
/** Generous for a loaded 2-core machine; a run takes 1–4 s alone. */
const BUDGET_MS = 120_000;

type Mode =
  | "complete"
  | "throw"
  | "signal"
  | "preaborted"
  | "break"
  | "deadline";
type Shape = "down" | "up" | "both";

interface Case extends StreamPlan {
  shape: Shape;
  mode: Mode;
  /** signal: abort after this many ms; deadline: the timeout; break: after this many values. */
  param: number;
}

/** The outcomes a stream's plan allows (each stream must end with one). */
function allowed(c: Case): string[] {
  switch (c.mode) {
    case "complete":
      return ["ok"];
    case "throw":
      return ["RemoteError:BOOM"];
    case "preaborted":
      return ["AbortedError"];
    case "signal":
    case "break":
      return ["ok", "AbortedError"];
    case "deadline":
      return ["ok", "TimeoutError"];
  }
}

function plan(random: () => number, sid: number): Case {
  const pick = <T>(items: readonly T[]): T =>
    items[Math.floor(random() * items.length)];
  const shape = pick(["down", "up", "both"] as const);
  let mode = pick(
    [
      "complete",
      "complete",
      "throw",
      "signal",
      "signal",
      "preaborted",
      "break",
      "break",
      "deadline",
      "deadline",
    ] as const,
  );
  if (mode === "break" && shape === "up") mode = "signal"; // no loop to leave
  const n = 1 + Math.floor(random() * 40);
  const slow = mode === "signal" || mode === "deadline";
  return {
    sid,
    shape,
    mode,
    n,
    throwAt: mode === "throw" ? Math.floor(random() * n) : -1,
    delay: slow ? Math.floor(random() * 3) : 0,
    param: mode === "signal"
      ? Math.floor(random() * 15)
      : mode === "deadline"
      ? 1 + Math.floor(random() * 25)
      : mode === "break"
      ? 1 + Math.floor(random() * n)
      : 0,
  };
}

/** What the client streams up (up, both): 0..n-1, now and then after a macrotask. */
function source(c: Case, random: () => number, open: { count: number }) {
  return (async function* () {
    open.count++;
    try {
      for (let i = 0; i < c.n; i++) {
        if (random() < 0.2) await new Promise((r) => setTimeout(r, 0));
        yield i;
      }
    } finally {
      open.count--;
    }
  })();
}

function expectedValues(c: Case): number[] {
  return Array.from({ length: c.n }, (_, i) => c.shape === "both" ? i * 2 : i);
}

async function run(window: number | undefined, seed: number): Promise<void> {
  const handlers = new HandlerLedger();
  const server = new Server({
    router: planRoutes(handlers),
    body: jsonBody,
    onHandlerError: () => {}, // the planned throws
    ...(window === undefined ? {} : { streamWindow: window }),
  });
  const listener = await tcp.listen("tcp://127.0.0.1:0");
  const serving = server.serve(listener);
  const key = `tcp://127.0.0.1:${(listener.addr as { port: number }).port}`;
  const client = new Connection<ReturnType<typeof planRoutes>>(
    await tcp.dial(TransportKey.from(key), {}),
    {
      body: jsonBody,
      ...(window === undefined ? {} : { streamWindow: window }),
    },
  );
  const random = prng(seed);
  const callers = new Ledger();
  const cases: Case[] = [];
  const outcomes: string[] = [];
  const wrong: string[] = [];
  const sources = { count: 0 };

  const one = async (c: Case): Promise<void> => {
    const id = callers.open();
    const controller = new AbortController();
    if (c.mode === "preaborted") controller.abort(new Error("before"));
    const timer = c.mode === "signal"
      ? setTimeout(() => controller.abort(new Error("mid")), c.param)
      : undefined;
    const options = {
      metadata: planMetadata(c),
      signal: controller.signal,
      timeout: c.mode === "deadline" ? c.param : 0,
    };
    let outcome: string;
    let values: unknown[] = [];
    try {
      if (c.shape === "up") {
        try {
          const reply = await client.clientStream(
            "up",
            source(c, random, sources),
            options,
          );
          outcome = "ok";
          values = [reply];
        } catch (error) {
          outcome = nameOf(error);
        }
      } else {
        const replies = c.shape === "down"
          ? client.serverStream("down", undefined, options)
          : client.bidiStream("both", source(c, random, sources), options);
        const end = await readStream(
          replies,
          c.mode === "break" ? c.param : Infinity,
        );
        outcome = end.outcome;
        values = end.values;
      }
    } finally {
      clearTimeout(timer);
    }
    outcomes[c.sid] = outcome;
    callers.settle(id, outcome);
    if (!allowed(c).includes(outcome)) {
      wrong.push(`${JSON.stringify(c)} ended with ${outcome}`);
    } else if (outcome === "ok" && c.mode !== "break") {
      const expected = c.shape === "up" ? [c.n] : expectedValues(c);
      if (JSON.stringify(values) !== JSON.stringify(expected)) {
        wrong.push(`${JSON.stringify(c)} delivered ${JSON.stringify(values)}`);
      }
    }
  };

  try {
    let next = 0;
    const worker = async () => {
      while (next < COUNT) {
        const c = plan(random, next++);
        cases.push(c);
        await one(c);
      }
    };
    await within(
      BUDGET_MS - 20_000,
      "every stream ends",
      Promise.all(Array.from({ length: CONCURRENCY }, worker)),
    );

    // The caller's side: each stream ended once, as its plan allows.
    callers.assertExactlyOnce([
      "ok",
      "RemoteError:BOOM",
      "AbortedError",
      "TimeoutError",
    ]);
    assert.equal(callers.size, COUNT);
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} streams wrong`);

    // The server's side: every handler that started ends, once.
    await until(() => handlers.ledger.unsettled().length === 0, 10_000)
      .catch(() => {});
    assert.deepEqual(handlers.doubles, [], "a handler started twice");
    handlers.ledger.assertExactlyOnce(["finished", "threw", "aborted"]);
    // Both sides agree where they can: a stream that completed had its
    // handler finish; one that failed with BOOM had it throw; one aborted
    // before it opened never reached a handler.
    for (const c of cases) {
      const end = handlers.ends.get(c.sid);
      const outcome = outcomes[c.sid];
      if (outcome === "ok") assert.equal(end, "finished", JSON.stringify(c));
      if (outcome === "RemoteError:BOOM") {
        assert.equal(end, "threw", JSON.stringify(c));
      }
      if (c.mode === "preaborted") assert.equal(end, undefined);
    }

    // Nothing leaks: no stream still handled, pending, or streaming up.
    const serverSide = server.connections[0];
    await until(
      () =>
        serverSide.stats.handling === 0 && client.inFlight === 0 &&
        sources.count === 0,
      10_000,
    ).catch(() => {});
    assert.equal(serverSide.stats.handling, 0, "server stats.handling");
    assert.equal(serverSide.stats.handlingBytes, 0, "server handlingBytes");
    assert.equal(client.inFlight, 0, "client inFlight");
    assert.equal(client.stats.pending, 0, "client stats.pending");
    assert.equal(sources.count, 0, "client sources left open");
    // Each kind of ending happened (the seed is fixed; 3,000 streams).
    const counts = callers.summary();
    for (
      const outcome of [
        "ok",
        "RemoteError:BOOM",
        "AbortedError",
        "TimeoutError",
      ]
    ) {
      assert.ok(
        (counts[outcome] ?? 0) > 0,
        `no ${outcome}: ${JSON.stringify(counts)}`,
      );
    }
    const serverCounts = handlers.ledger.summary();
    assert.ok((serverCounts.aborted ?? 0) > 0, JSON.stringify(serverCounts));
    // The connection still serves a whole stream after all that.
    const after = await readStream(
      client.serverStream("down", undefined, {
        metadata: planMetadata({ sid: -1, n: 3, throwAt: -1, delay: 0 }),
      }),
    );
    assert.deepEqual(after, { outcome: "ok", values: [0, 1, 2] });
  } finally {
    await client.close();
    await server.close();
    await serving.catch(() => {});
    await sleep(0);
  }
}

describe("Streams aborted at random, over TCP: each ends exactly once on both sides", () => {
  it(
    `${COUNT} streams (server, client, bidi; completed, handler throws, signal, break, deadline), default streamWindow`,
    { timeout: BUDGET_MS },
    () => run(undefined, 0x5eed_0001),
  );
  it(
    `${COUNT} streams as above with streamWindow 2 (the smallest credit: each message waits for it)`,
    { timeout: BUDGET_MS },
    () => run(2, 0x5eed_0002),
  );
});
