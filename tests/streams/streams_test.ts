/**
 * Streams end to end over an in-memory pipe: the three shapes, their
 * errors, cancellation from either side, deadlines, metadata, the
 * ReadableStream forms, and a connection that closes mid-stream.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AbortedError,
  ConnectionClosedError,
  jsonBody,
  Metadata,
  RemoteError,
  Router,
  TimeoutError,
} from "../../mod.ts";
import type { RequestContext } from "../../mod.ts";
import { peers } from "../_helpers/pair.ts";
import { jsonRpcProtocol } from "../../examples/json_rpc/protocol.ts";

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise and its resolve, without Promise.withResolvers (Node 20). */
function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
} {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

function router() {
  return new Router()
    .handle("echo", (s: string) => s)
    .serverStream("count", async function* (n: number) {
      for (let i = 0; i < n; i++) yield i;
    })
    .clientStream("sum", async (numbers: AsyncIterable<number>) => {
      let total = 0;
      for await (const n of numbers) total += n;
      return total;
    })
    .bidiStream("shout", async function* (lines: AsyncIterable<string>) {
      for await (const line of lines) yield line.toUpperCase();
    });
}

function pair<R extends Router>(r: R, serverOptions = {}) {
  const { server, client, close } = peers(
    { router: r, body: jsonBody, ...serverOptions },
    { body: jsonBody },
  );
  return {
    server,
    client: client as typeof client,
    close,
  };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

describe("streams: the three shapes", () => {
  it("a server stream delivers every reply in order, past many credits", async () => {
    const { client, close } = pair(router());
    const values = await collect(client.serverStream("count", 1000));
    assert.deepEqual(values, Array.from({ length: 1000 }, (_, i) => i));
    await close();
  });

  it("a client stream sends every request and resolves with the one reply", async () => {
    const { client, close } = pair(router());
    async function* numbers() {
      for (let i = 1; i <= 500; i++) yield i;
    }
    assert.equal(await client.clientStream("sum", numbers()), 125250);
    assert.equal(await client.clientStream("sum", []), 0);
    await close();
  });

  it("a bidirectional stream answers as the requests arrive", async () => {
    const { client, close } = pair(router());
    // The next line is sent only after the reply to the previous one came:
    // the two directions really interleave.
    const replies: string[] = [];
    const next = deferred<void>();
    let answered = next;
    async function* lines() {
      for (const line of ["a", "b", "c"]) {
        yield line;
        await answered.promise;
      }
    }
    for await (const reply of client.bidiStream("shout", lines())) {
      replies.push(reply);
      const done = answered;
      answered = deferred<void>();
      done.resolve();
    }
    assert.deepEqual(replies, ["A", "B", "C"]);
    await close();
  });

  it("many streams and requests share one connection, each matched", async () => {
    const { client, close } = pair(router());
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) {
      work.push(
        collect(client.serverStream("count", i % 7)).then((v) => {
          assert.deepEqual(v, Array.from({ length: i % 7 }, (_, k) => k));
        }),
      );
      work.push(
        client.clientStream("sum", [i, 1]).then((v) => {
          assert.equal(v, i + 1);
        }),
      );
      work.push(
        client.request("echo", `r${i}`).then((v) => {
          assert.equal(v, `r${i}`);
        }),
      );
    }
    await Promise.all(work);
    assert.equal(client.inFlight, 0);
    await close();
  });

  it("sources may be arrays, sync generators and ReadableStreams; replies a ReadableStream", async () => {
    const { client, close } = pair(router());
    function* sync() {
      yield 1;
      yield 2;
    }
    assert.equal(await client.clientStream("sum", sync()), 3);
    const readable = new ReadableStream<number>({
      start(controller) {
        for (const n of [4, 5, 6]) controller.enqueue(n);
        controller.close();
      },
    });
    assert.equal(await client.clientStream("sum", readable), 15);
    const piped = client.bidiStream("shout", ["x", "y"]).toReadableStream()
      .pipeThrough(
        new TransformStream<string, string>({
          transform: (s, out) => out.enqueue(`${s}!`),
        }),
      );
    const reader = piped.getReader();
    const got: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      got.push(value);
    }
    assert.deepEqual(got, ["X!", "Y!"]);
    await close();
  });
});

describe("streams: errors", () => {
  it("a handler that throws ends the stream with RemoteError after the replies it sent", async () => {
    const r = new Router().serverStream("fail", async function* () {
      yield 1;
      yield 2;
      throw new RemoteError("BROKEN", "the disk is gone");
    });
    const { client, close } = pair(r);
    const seen: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const v of client.serverStream("fail", undefined)) {
          seen.push(v as number);
        }
      })(),
      (e: unknown) => e instanceof RemoteError && e.remoteCode === "BROKEN",
    );
    assert.deepEqual(seen, [1, 2]);
    await close();
  });

  it("calling a stream route with the wrong shape, or a request route as a stream, is WRONG_SHAPE", async () => {
    const { client, close } = pair(router());
    const wrong = (e: unknown) =>
      e instanceof RemoteError && e.remoteCode === "WRONG_SHAPE";
    await assert.rejects(client.request("count" as never, 1 as never), wrong);
    await assert.rejects(
      collect(client.serverStream("echo" as never, "x" as never)),
      wrong,
    );
    await assert.rejects(client.clientStream("count" as never, []), wrong);
    await assert.rejects(collect(client.bidiStream("sum" as never, [])), wrong);
    await assert.rejects(
      collect(client.serverStream("nope" as never, 1 as never)),
      (e: unknown) =>
        e instanceof RemoteError && e.remoteCode === "UNKNOWN_ROUTE",
    );
    await close();
  });

  it("a source that throws fails the call with its error, and the handler sees the cancel", async () => {
    const aborted = deferred<unknown>();
    const r = new Router().clientStream(
      "sum",
      async (numbers: AsyncIterable<number>, ctx: RequestContext) => {
        ctx.signal.addEventListener(
          "abort",
          () => aborted.resolve(ctx.signal.reason),
        );
        let total = 0;
        for await (const n of numbers) total += n;
        return total;
      },
    );
    const { client, close } = pair(r);
    async function* broken() {
      yield 1;
      await tick();
      throw new Error("the source broke");
    }
    await assert.rejects(
      client.clientStream("sum", broken()),
      /the source broke/,
    );
    assert.ok(await aborted.promise instanceof AbortedError);
    await close();
  });

  it("a protocol without streams refuses stream calls with a TypeError", async () => {
    const { client, close } = peers(
      { protocol: jsonRpcProtocol(), router: new Router() },
      { protocol: jsonRpcProtocol() },
    );
    await assert.rejects(
      collect(client.serverStream("x" as never, undefined as never)),
      TypeError,
    );
    await close();
  });
});

describe("streams: cancel, deadlines, close", () => {
  it("leaving a for-await loop cancels the handler (its signal aborts) and frees the stream", async () => {
    const aborted = deferred<void>();
    let produced = 0;
    const r = new Router().handle("echo", (s: string) => s).serverStream(
      "forever",
      async function* (_: unknown, ctx: RequestContext) {
        ctx.signal.addEventListener("abort", () => aborted.resolve());
        while (!ctx.signal.aborted) {
          produced++;
          yield produced;
        }
      },
    );
    const { client, server, close } = pair(r, { streamWindow: 8 });
    let read = 0;
    for await (const _ of client.serverStream("forever", undefined)) {
      if (++read === 20) break;
    }
    await aborted.promise;
    for (let i = 0; i < 100 && server.stats.handling > 0; i++) await tick();
    assert.equal(server.stats.handling, 0);
    assert.equal(client.inFlight, 0);
    // The producer ran at most a window (and one message) ahead of the reader.
    assert.ok(
      produced <= read + 8 + 2,
      `produced ${produced} for ${read} read`,
    );
    assert.equal(await client.request("echo", "still"), "still");
    await close();
  });

  it("aborting the signal ends the reader with AbortedError and cancels the handler", async () => {
    const aborted = deferred<void>();
    const r = new Router().serverStream(
      "wait",
      async function* (_: unknown, ctx: RequestContext) {
        yield "first";
        await new Promise((resolve) =>
          ctx.signal.addEventListener("abort", resolve)
        );
        aborted.resolve();
      },
    );
    const { client, close } = pair(r);
    const controller = new AbortController();
    const replies = client.serverStream("wait", undefined, {
      signal: controller.signal,
    });
    const iterator = replies[Symbol.asyncIterator]();
    assert.deepEqual(await iterator.next(), { value: "first", done: false });
    controller.abort(new Error("user left"));
    await assert.rejects(iterator.next(), AbortedError);
    await aborted.promise;
    await close();
  });

  it("a deadline ends the stream with TimeoutError here and aborts the handler there", async () => {
    const reason = deferred<unknown>();
    const r = new Router().bidiStream(
      "slow",
      async function* (_: AsyncIterable<unknown>, ctx: RequestContext) {
        ctx.signal.addEventListener(
          "abort",
          () => reason.resolve(ctx.signal.reason),
        );
        yield "hello";
        await new Promise(() => {}); // never yields again
      },
    );
    const { client, close } = pair(r);
    const seen: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const v of client.bidiStream("slow", [], { timeout: 100 })) {
          seen.push(v);
        }
      })(),
      TimeoutError,
    );
    assert.deepEqual(seen, ["hello"]);
    // The handler's own copy of the deadline and the caller's cancel (sent
    // when its deadline passed) race: either ends it.
    const why = await reason.promise;
    assert.ok(
      why instanceof TimeoutError || why instanceof AbortedError,
      String(why),
    );
    await close();
  });

  it("streams have no deadline by default: a stream outlives the connection's request timeout", async () => {
    const r = new Router().serverStream("late", async function* () {
      await tick(150);
      yield "late";
    });
    const { server, client, close } = peers(
      { router: r, body: jsonBody },
      { body: jsonBody, timeout: 50 },
    );
    assert.deepEqual(await collect(client.serverStream("late", undefined)), [
      "late",
    ]);
    void server;
    await close();
  });

  it("a connection that closes mid-stream ends both sides once: ConnectionClosedError here, abort there", async () => {
    const aborted = deferred<void>();
    const started = deferred<void>();
    const r = new Router().bidiStream(
      "hold",
      async function* (_: AsyncIterable<unknown>, ctx: RequestContext) {
        ctx.signal.addEventListener("abort", () => aborted.resolve());
        started.resolve();
        yield 1;
        await new Promise(() => {});
      },
    );
    const { client, server, close } = pair(r);
    let errors = 0;
    let ends = 0;
    const reading = (async () => {
      try {
        for await (const _ of client.bidiStream("hold", [])) { /* read */ }
        ends++;
      } catch (error) {
        assert.ok(error instanceof ConnectionClosedError);
        errors++;
      }
    })();
    await started.promise;
    await server.close();
    await reading;
    await aborted.promise;
    assert.equal(errors + ends, 1);
    assert.equal(errors, 1);
    await close();
  });
});

describe("streams: metadata and interceptors", () => {
  it("metadata goes with the opening request; the handler's reply metadata arrives at the end", async () => {
    const r = new Router().serverStream(
      "who",
      async function* (_: unknown, ctx: RequestContext) {
        yield ctx.metadata.get("user");
        ctx.replyMetadata.set("served-by", "a");
      },
    );
    const { client, close } = pair(r);
    const replies = client.serverStream("who", undefined, {
      metadata: { user: "rain" },
    });
    const trailers = () => replies.metadata;
    assert.equal(trailers(), undefined);
    assert.deepEqual(await collect(replies), ["rain"]);
    assert.ok(trailers() instanceof Metadata);
    assert.equal(trailers()?.get("served-by"), "a");
    await close();
  });

  it("a server interceptor that refuses a stream fails it; a client interceptor adds metadata and sees the shape", async () => {
    const shapes: unknown[] = [];
    const r = router().use(async (ctx, next) => {
      if (ctx.metadata.get("token") !== "ok") {
        throw new RemoteError("UNAUTHENTICATED", "no token");
      }
      return await next();
    });
    const { server, client, close } = peers(
      { router: r, body: jsonBody },
      {
        body: jsonBody,
        interceptors: [{
          request: (req, next) => {
            shapes.push(req.stream);
            if (req.route !== "sum") req.metadata.set("token", "ok");
            return next(req);
          },
        }],
      },
    );
    assert.deepEqual(await collect(client.serverStream("count", 3)), [0, 1, 2]);
    await assert.rejects(
      client.clientStream("sum", [1, 2]),
      (e: unknown) =>
        e instanceof RemoteError && e.remoteCode === "UNAUTHENTICATED",
    );
    assert.deepEqual(await collect(client.bidiStream("shout", ["a"])), ["A"]);
    assert.deepEqual(shapes, ["server", "client", "bidi"]);
    void server;
    await close();
  });
});
