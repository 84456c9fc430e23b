import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import { type Envelope, EnvelopeCodec } from "../../src/codec/envelope.ts";
import {
  type IdAllocator,
  type MessageId,
  SequentialIds,
} from "../../src/codec/message_codec.ts";
import {
  AbortedError,
  ConnectionClosedError,
  FrameTooLargeError,
  ProtocolError,
  QueueFullError,
  RemoteError,
  TimeoutError,
  TooManyPendingError,
} from "../../src/errors.ts";
import { BoundedExecutor } from "../../src/executor/executor.ts";
import { DelimitedCodec } from "../../src/framing/delimited.ts";
import { LengthPrefixedCodec } from "../../src/framing/length_prefixed.ts";
import type { HandlerFailure } from "../../src/transport/handler_failure.ts";
import type { RequestContext } from "../../src/transport/request_context.ts";
import { Transport } from "../../src/transport/transport.ts";
import {
  deferred,
  replyOf,
  requestOf,
  sleep,
  transports,
  until,
} from "../_helpers/pair.ts";
import { readU32, u32 } from "../_helpers/bytes.ts";

const echo = (m: Envelope): Envelope => replyOf(m.body);

describe("Transport", () => {
  it("resolves 10,000 concurrent requests that are answered out of order", {
    timeout: 30_000,
  }, async () => {
    const { client, close } = transports({
      handler: async (m) => {
        await sleep(Math.floor(Math.random() * 20));
        return replyOf(m.body);
      },
    });
    const count = 10_000;
    const replies = await Promise.all(
      Array.from(
        { length: count },
        (_, i) => client.request(requestOf("echo", u32(i))),
      ),
    );
    replies.forEach((reply, i) => assert.equal(readU32(reply.body), i));
    assert.equal(client.stats.repliesReceived, count);
    assert.equal(client.stats.pending, 0);
    await close();
  });

  it("matches replies that come back in reverse order", async () => {
    const held: { m: Envelope; done: (r: Envelope) => void }[] = [];
    const all = deferred();
    const { client, close } = transports({
      handler: (m) =>
        new Promise<Envelope>((resolve) => {
          held.push({ m, done: resolve });
          if (held.length === 100) all.resolve();
        }),
    });
    const requests = Array.from(
      { length: 100 },
      (_, i) => client.request(requestOf("echo", u32(i))),
    );
    await all.promise;
    for (const { m, done } of held.reverse()) done(replyOf(m.body));
    const replies = await Promise.all(requests);
    replies.forEach((reply, i) => assert.equal(readU32(reply.body), i));
    await close();
  });

  it("carries requests in both directions on one channel", async () => {
    const tag = (side: number) => (m: Envelope) =>
      replyOf(new Uint8Array([side, ...m.body]));
    const { client, server, close } = transports(
      { handler: tag(1) },
      { handler: tag(2) },
    );
    const [fromServer, fromClient] = await Promise.all([
      client.request(requestOf("x", new Uint8Array([9]))),
      server.request(requestOf("x", new Uint8Array([8]))),
    ]);
    assert.deepEqual([...fromServer.body], [1, 9]);
    assert.deepEqual([...fromClient.body], [2, 8]);
    await close();
  });

  it("delivers notifications without a reply", async () => {
    const got = deferred<Envelope>();
    const { client, server, close } = transports({
      handler: (m, ctx) => {
        assert.equal(ctx.expectsReply, false);
        got.resolve(m);
        return undefined;
      },
    });
    client.notify({ kind: "notify", id: 0, route: "tick", body: u32(5) });
    const message = await got.promise;
    assert.equal(message.route, "tick");
    assert.equal(readU32(message.body), 5);
    await sleep(5);
    assert.equal(server.stats.repliesSent, 0);
    assert.equal(server.stats.notifiesReceived, 1);
    await close();
  });

  it("reads frames that arrive one byte at a time", async () => {
    const { client, close } = transports({ handler: echo }, {}, {
      chunkSize: 1,
    });
    const body = new Uint8Array(300).map((_, i) => i & 0xff);
    const replies = await Promise.all(
      [1, 2, 3].map(() => client.request(requestOf("echo", body))),
    );
    for (const reply of replies) assert.deepEqual(reply.body, body);
    await close();
  });

  it("counts frames and bytes both ways", async () => {
    const { client, server, close } = transports({ handler: echo });
    await client.request(requestOf("echo", new Uint8Array(10)));
    const c = client.stats;
    const s = server.stats;
    assert.equal(c.framesOut, 1);
    assert.equal(c.requestsSent, 1);
    assert.equal(s.framesIn, 1);
    assert.equal(s.requestsReceived, 1);
    assert.equal(c.bytesOut, s.bytesIn);
    assert.equal(c.bytesOut, 4 + 7 + 4 + "echo".length + 10);
    assert.equal(s.repliesSent, 1);
    await close();
  });
});

describe("Transport settles every request exactly once", () => {
  it("rejects with TimeoutError, tells the peer, and drops the late reply", async () => {
    const handlerSignal = deferred<AbortSignal>();
    const release = deferred();
    const { client, server, close } = transports({
      handler: async (m, ctx) => {
        handlerSignal.resolve(ctx.signal);
        await release.promise;
        return replyOf(m.body);
      },
    });
    const error = await client.request(requestOf("slow", u32(1)), {
      timeout: 20,
    }).then(() => undefined, (e) => e);
    assert.ok(error instanceof TimeoutError);
    assert.equal(error.code, "ERR_TIMEOUT");
    assert.match(error.message, /timed out after 20 ms/);
    const signal = await handlerSignal.promise;
    await until(() => signal.aborted, 5000, "the cancel to reach the handler");
    // The cancel aborts it, or the deadline that travelled with the request
    // passed on the server first (both sides share the process's timer heap).
    assert.ok(
      signal.reason instanceof AbortedError ||
        signal.reason instanceof TimeoutError,
      String(signal.reason),
    );
    await until(
      () => server.stats.cancelsReceived === 1,
      5000,
      "the cancel to arrive",
    );
    release.resolve();
    await sleep(10);
    // The handler's reply after cancel is not sent; nothing is delivered twice.
    assert.equal(client.stats.timeouts, 1);
    assert.equal(client.stats.repliesReceived, 0);
    assert.equal(client.stats.pending, 0);
    await close();
  });

  it("counts a reply that arrives after the timeout as late", async () => {
    const codec = new EnvelopeCodec();
    const [a, b] = createMemoryPipe();
    const client = new Transport<Envelope>(b, { codec });
    // A raw peer that ignores cancels and answers late.
    const reader = a.readable.getReader();
    const writer = a.writable.getWriter();
    const framing = new LengthPrefixedCodec();
    const outcome = client.request(requestOf("x", u32(1)), { timeout: 10 })
      .then(() => "replied", (e) => e);
    const { value } = await reader.read();
    const id = new DataView(value!.buffer, value!.byteOffset).getUint32(6);
    assert.ok((await outcome) instanceof TimeoutError);
    const [reply] = codec.encode({ ...replyOf(new Uint8Array()), id });
    for (const part of framing.encode([reply], reply.byteLength)) {
      await writer.write(part.slice());
    }
    await until(() => client.stats.lateReplies === 1, 5000, "a late reply");
    assert.equal(client.stats.repliesReceived, 0);
    await client.close();
    a.close();
  });

  it("rejects with AbortedError when the signal aborts, and the handler's signal aborts", async () => {
    const handlerSignal = deferred<AbortSignal>();
    const { client, close } = transports({
      handler: (_m, ctx) => {
        handlerSignal.resolve(ctx.signal);
        return new Promise<Envelope>(() => {});
      },
    });
    const controller = new AbortController();
    const pending = client.request(requestOf("x", u32(1)), {
      signal: controller.signal,
    });
    const signal = await handlerSignal.promise;
    controller.abort("user left");
    const error = await pending.then(() => undefined, (e) => e);
    assert.ok(error instanceof AbortedError);
    assert.equal(error.cause, "user left");
    await until(() => signal.aborted, 5000, "the handler's signal to abort");
    assert.equal(client.stats.aborts, 1);
    await close();
  });

  it("rejects at once, sending nothing, when the signal is already aborted", async () => {
    const { client, server, close } = transports({ handler: echo });
    const error = await client.request(requestOf("x", u32(1)), {
      signal: AbortSignal.abort("no"),
    }).then(() => undefined, (e) => e);
    assert.ok(error instanceof AbortedError);
    await sleep(5);
    assert.equal(server.stats.framesIn, 0);
    await close();
  });

  it("rejects everything pending with ConnectionClosedError on close", async () => {
    const { client, close } = transports({
      handler: () => new Promise<Envelope>(() => {}),
    });
    const pending = Array.from(
      { length: 50 },
      () => client.request(requestOf("x", u32(0))),
    );
    await sleep(5);
    const closing = client.close();
    const results = await Promise.allSettled(pending);
    for (const result of results) {
      assert.equal(result.status, "rejected");
      assert.ok(result.reason instanceof ConnectionClosedError);
    }
    await closing;
    const after = await client.request(requestOf("x", u32(0))).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(after instanceof ConnectionClosedError);
    assert.equal(client.stats.closedWhilePending, 50);
    await close();
  });

  it("rejects pending requests when the peer closes", async () => {
    const { client, server } = transports({
      handler: () => new Promise<Envelope>(() => {}),
    });
    const pending = client.request(requestOf("x", u32(0)));
    await until(() => server.stats.requestsReceived === 1);
    await server.close();
    const error = await pending.then(() => undefined, (e) => e);
    assert.ok(error instanceof ConnectionClosedError);
    await client.closed;
    assert.ok(client.closedReason instanceof ConnectionClosedError);
  });

  it("calls exactly one state machine callback per request", async () => {
    const { client, close } = transports({
      handler: (m) => {
        if (m.route === "fail") throw new Error("boom");
        if (m.route === "hang") return new Promise<Envelope>(() => {});
        return replyOf(m.body);
      },
    });
    const calls: string[] = [];
    const done = deferred();
    const machine = (name: string) => ({
      onMessage: (r: Envelope) => {
        calls.push(`${name}:message:${readU32(r.body)}`);
        if (calls.length === 4) done.resolve();
      },
      onTimeout: (e: TimeoutError) => {
        calls.push(`${name}:timeout:${e.code}`);
        if (calls.length === 4) done.resolve();
      },
      onError: (e: Error) => {
        calls.push(`${name}:error:${e.name}`);
        if (calls.length === 4) done.resolve();
      },
    });
    const id = client.call(requestOf("ok", u32(7)), machine("ok"));
    assert.equal(typeof id, "number");
    client.call(requestOf("fail", u32(0)), machine("fail"));
    client.call(requestOf("hang", u32(0)), machine("hang"), { timeout: 10 });
    client.call(requestOf("hang", u32(0)), {
      onMessage: () => calls.push("bare:message"),
      onError: (e) => {
        calls.push(`bare:error:${e.name}`);
        if (calls.length === 4) done.resolve();
      },
    }, { timeout: 10 });
    await done.promise;
    await sleep(20);
    assert.deepEqual(calls.sort(), [
      "bare:error:TimeoutError",
      "fail:error:RemoteError",
      "hang:timeout:ERR_TIMEOUT",
      "ok:message:7",
    ]);
    await close();
  });

  it("reports a state machine callback that throws and keeps going", async () => {
    const errors: unknown[] = [];
    const { client, close } = transports({ handler: echo }, {
      onError: (e) => errors.push(e),
    });
    const done = deferred();
    client.call(requestOf("x", u32(1)), {
      onMessage: () => {
        done.resolve();
        throw new Error("callback bug");
      },
    });
    await done.promise;
    assert.equal((errors[0] as Error).message, "callback bug");
    const reply = await client.request(requestOf("x", u32(2)));
    assert.equal(readU32(reply.body), 2);
    await close();
  });
});

describe("Transport errors", () => {
  it("turns a handler's throw or rejection into a RemoteError; only a RemoteError's message reaches the caller", async () => {
    const failures: HandlerFailure<Envelope>[] = [];
    const { client, close } = transports({
      handler: (m) => {
        if (m.route === "throw") throw new Error("bad thing");
        return Promise.reject(new RemoteError("NOT_ALLOWED", "go away"));
      },
      onHandlerError: (failure) => failures.push(failure),
    });
    const thrown = await client.request(requestOf("throw", u32(0))).catch((
      e,
    ) => e);
    assert.ok(thrown instanceof RemoteError);
    assert.equal(thrown.remoteCode, "HANDLER_ERROR");
    assert.doesNotMatch(thrown.message, /bad thing/);
    assert.equal(failures.length, 1);
    assert.equal(failures[0].error.message, "bad thing");
    assert.equal(failures[0].context.message.route, "throw");
    assert.match(failures[0].errorId, /^[0-9a-f]{8}$/);
    assert.equal(
      thrown.message,
      `The handler failed (error id ${failures[0].errorId})`,
    );
    assert.deepEqual(failures[0].reply, {
      code: "HANDLER_ERROR",
      message: thrown.message,
    });
    const rejected = await client.request(requestOf("reject", u32(0))).catch((
      e,
    ) => e);
    assert.equal(rejected.remoteCode, "NOT_ALLOWED");
    const reply = await client.request(requestOf("throw", u32(0))).catch((
      e,
    ) => e);
    assert.ok(reply instanceof RemoteError, "the connection stays up");
    await close();
  });

  it("answers NO_HANDLER when this side serves nothing", async () => {
    const { server, close } = transports();
    const error = await server.request(requestOf("x", u32(0))).catch((e) => e);
    assert.equal(error.remoteCode, "NO_HANDLER");
    await close();
  });

  it("answers NO_REPLY when a handler returns nothing for a request", async () => {
    const { client, close } = transports({ handler: () => undefined });
    const error = await client.request(requestOf("x", u32(0))).catch((e) => e);
    assert.equal(error.remoteCode, "NO_REPLY");
    await close();
  });

  it("closes only the transport that received a malformed frame, with a ProtocolError", async () => {
    const errors: unknown[] = [];
    const codec = new EnvelopeCodec();
    const [a, b] = createMemoryPipe();
    const victim = new Transport<Envelope>(a, {
      codec,
      handler: echo,
      onError: (e) => errors.push(e),
    });
    const { client: bystander, close } = transports({ handler: echo });
    const writer = b.writable.getWriter();
    await writer.write(new Uint8Array([0, 0, 0, 7, 99, 0, 0, 0, 0, 1, 0]));
    await victim.closed;
    assert.ok(victim.closedReason instanceof ConnectionClosedError);
    assert.ok(victim.closedReason.cause instanceof ProtocolError);
    assert.match(victim.closedReason.message, /unknown kind 99/);
    assert.ok(errors[0] instanceof ProtocolError);
    const reply = await bystander.request(requestOf("echo", u32(3)));
    assert.equal(readU32(reply.body), 3);
    await close();
    b.close();
  });

  it("closes on a frame longer than maxFrameSize before reading its payload", async () => {
    const codec = new EnvelopeCodec();
    const [a, b] = createMemoryPipe();
    const victim = new Transport<Envelope>(a, {
      codec,
      packetCodec: new LengthPrefixedCodec({ maxFrameSize: 1024 }),
    });
    const writer = b.writable.getWriter();
    await writer.write(new Uint8Array([0, 0, 4, 1]));
    await victim.closed;
    assert.ok(victim.closedReason?.cause instanceof FrameTooLargeError);
    b.close();
  });

  it("closes when the stream ends inside a frame", async () => {
    const codec = new EnvelopeCodec();
    const [a, b] = createMemoryPipe();
    const victim = new Transport<Envelope>(a, { codec });
    const writer = b.writable.getWriter();
    await writer.write(new Uint8Array([0, 0, 0, 20, 1, 0]));
    await writer.close();
    await victim.closed;
    assert.ok(victim.closedReason?.cause instanceof ProtocolError);
    assert.match(victim.closedReason!.message, /inside a frame/);
  });

  it("rejects a request larger than maxFrameSize without closing", async () => {
    const { client, close } = transports({ handler: echo }, {
      packetCodec: new LengthPrefixedCodec({ maxFrameSize: 100 }),
    });
    const error = await client.request(requestOf("x", new Uint8Array(200)))
      .catch((e) => e);
    assert.ok(error instanceof FrameTooLargeError);
    assert.equal(client.stats.pending, 0);
    const reply = await client.request(requestOf("x", new Uint8Array(10)));
    assert.equal(reply.body.byteLength, 10);
    await close();
  });

  it("answers REPLY_TOO_LARGE when a reply exceeds the peer's maxFrameSize", async () => {
    const { client, close } = transports({
      handler: (m) => replyOf(new Uint8Array(m.route === "big" ? 500 : 150)),
      packetCodec: new LengthPrefixedCodec({ maxFrameSize: 200 }),
    });
    const error = await client.request(requestOf("big", u32(0))).catch((e) =>
      e
    );
    assert.equal(error.remoteCode, "REPLY_TOO_LARGE");
    assert.match(error.message, /exceeds maxFrameSize 200/);
    const tight = transports({
      handler: () => replyOf(new Uint8Array(500)),
      packetCodec: new LengthPrefixedCodec({ maxFrameSize: 60 }),
    });
    const bare = await tight.client.request(requestOf("x", u32(0))).catch((
      e,
    ) => e);
    assert.equal(bare.remoteCode, "REPLY_TOO_LARGE");
    assert.equal(
      bare.message,
      "",
      "the code alone when the message does not fit",
    );
    await tight.close();
    await close();
  });

  it("answers REPLY_ENCODE_ERROR when the reply cannot be framed", async () => {
    // Newline-delimited framing cannot carry a payload holding a newline.
    const framing = () => new DelimitedCodec({ delimiter: "\n" });
    const { client, close } = transports({
      handler: (m) => replyOf(new Uint8Array([...m.body, 0x0a])),
      packetCodec: framing(),
    }, { packetCodec: framing() });
    const error = await client.request(requestOf("x", u32(0x41424344)))
      .catch((e) => e);
    assert.ok(error instanceof RemoteError);
    assert.equal(error.remoteCode, "REPLY_ENCODE_ERROR");
    await close();
  });

  it("fails with TooManyPendingError past maxPendingRequests", async () => {
    const { client, close } = transports({
      handler: () => new Promise<Envelope>(() => {}),
    }, { maxPendingRequests: 3 });
    const held = [1, 2, 3].map(() =>
      client.request(requestOf("x", u32(0))).catch((e) => e)
    );
    const error = await client.request(requestOf("x", u32(0))).catch((e) => e);
    assert.ok(error instanceof TooManyPendingError);
    await close();
    for (const e of await Promise.all(held)) {
      assert.ok(e instanceof ConnectionClosedError);
    }
  });

  it("fails with QueueFullError when the queue is full and overflow is error", async () => {
    const { client, close } = transports({ handler: echo }, {
      queue: { maxQueueBytes: 1024, overflow: "error" },
    }, { highWaterMark: 1024 });
    const results = await Promise.allSettled(
      Array.from(
        { length: 20 },
        () => client.request(requestOf("x", new Uint8Array(512))),
      ),
    );
    const full = results.filter((r) =>
      r.status === "rejected" && r.reason instanceof QueueFullError
    );
    assert.ok(full.length > 0, "some requests found the queue full");
    assert.ok(results.some((r) => r.status === "fulfilled"));
    await close();
  });

  it("answers DUPLICATE_ID when a peer reuses an id still in flight", async () => {
    const codec = new EnvelopeCodec();
    const framing = new LengthPrefixedCodec();
    const [a, b] = createMemoryPipe();
    const server = new Transport<Envelope>(a, {
      codec,
      handler: () => new Promise<Envelope>(() => {}),
    });
    const writer = b.writable.getWriter();
    const [payload] = codec.encode({ ...requestOf("x", u32(0)), id: 5 });
    const frame = framing.encode([payload], payload.byteLength);
    const bytes = new Uint8Array([...frame[0], ...frame[1]]);
    await writer.write(bytes);
    await writer.write(bytes);
    const reader = b.readable.getReader();
    const replies: Envelope[] = [];
    const decoder = framing.createDecoder();
    while (replies.length === 0) {
      const { value } = await reader.read();
      decoder.decode(value!, (f) => replies.push(codec.decode(f.slice())));
    }
    assert.equal(replies[0].kind, "error");
    assert.equal(replies[0].id, 5);
    assert.match(new TextDecoder().decode(replies[0].body), /DUPLICATE_ID/);
    assert.equal(
      server.stats.handling,
      1,
      "the first request is still handled",
    );
    await server.close();
    b.close();
  });
});

describe("Transport ids and deadlines", () => {
  it("wraps message ids past 2^32 with requests still in flight", async () => {
    const seen: MessageId[] = [];
    const held: (() => void)[] = [];
    const { client, close } = transports({
      handler: (m, ctx) =>
        new Promise<Envelope>((resolve) => {
          seen.push(ctx.id);
          held.push(() => resolve(replyOf(m.body)));
        }),
    }, { ids: new SequentialIds({ start: 0xffff_fffd }) });
    const requests = Array.from(
      { length: 6 },
      (_, i) => client.request(requestOf("x", u32(i))),
    );
    await until(() => held.length === 6);
    assert.deepEqual(seen, [0xffff_fffd, 0xffff_fffe, 0xffff_ffff, 1, 2, 3]);
    for (const release of held.reverse()) release();
    const replies = await Promise.all(requests);
    replies.forEach((r, i) => assert.equal(readU32(r.body), i));
    await close();
  });

  it("never reuses an id while its request is in flight", async () => {
    let counter = 0;
    const tiny: IdAllocator = {
      next(inUse) {
        for (;;) {
          const id = (counter++ % 4) + 1;
          if (!inUse(id)) return id;
        }
      },
    };
    const held = new Map<MessageId, () => void>();
    const { client, close } = transports({
      handler: (m, ctx) =>
        new Promise<Envelope>((resolve) => {
          assert.ok(!held.has(ctx.id), `id ${ctx.id} reused while in flight`);
          held.set(ctx.id, () => resolve(replyOf(m.body)));
        }),
    }, { ids: tiny });
    const first = client.request(requestOf("x", u32(100)));
    const second = client.request(requestOf("x", u32(200)));
    await until(() => held.size === 2);
    held.get(2)!();
    held.delete(2);
    assert.equal(readU32((await second).body), 200);
    const more = [3, 4, 5].map((i) => client.request(requestOf("x", u32(i))));
    await until(() => held.size === 4);
    assert.deepEqual([...held.keys()].sort(), [1, 2, 3, 4]);
    for (const [, release] of held) release();
    assert.equal(readU32((await first).body), 100);
    for (const [i, r] of (await Promise.all(more)).entries()) {
      assert.equal(readU32(r.body), i + 3);
    }
    await close();
  });

  it("sends the deadline with the request and aborts the handler when it passes", async () => {
    const seen = deferred<RequestContext<Envelope>>();
    const { client, close } = transports({
      handler: (_m, ctx) => {
        seen.resolve(ctx);
        return new Promise<Envelope>(() => {});
      },
    });
    const pending = client.request(requestOf("x", u32(0)), { timeout: 30 })
      .catch((e) => e);
    const ctx = await seen.promise;
    assert.equal(ctx.timeout, 30);
    await until(() => ctx.signal.aborted, 5000, "the deadline to abort");
    assert.ok(await pending instanceof TimeoutError);
    await close();
  });

  it("measures a round trip with ping", async () => {
    const { client, close } = transports();
    const rtt = await client.ping();
    assert.ok(rtt >= 0);
    await close();
  });
});

describe("Transport lifecycle", () => {
  it("refuses new requests after the peer's goaway and finishes those in flight", async () => {
    const release = deferred();
    const gone = deferred<string>();
    const { client, server, close } = transports({
      handler: async (m) => {
        await release.promise;
        return replyOf(m.body);
      },
    }, { onGoaway: (reason) => gone.resolve(reason) });
    const inFlight = client.request(requestOf("x", u32(1)));
    await until(() => server.stats.requestsReceived === 1);
    server.goaway("restarting");
    assert.equal(await gone.promise, "restarting");
    const refused = await client.request(requestOf("x", u32(2))).catch((e) =>
      e
    );
    assert.ok(refused instanceof ConnectionClosedError);
    assert.match(refused.message, /restarting/);
    release.resolve();
    assert.equal(readU32((await inFlight).body), 1);
    await close();
  });

  it("finishes handlers and flushes their replies when the peer half-closes", async () => {
    const codec = new EnvelopeCodec();
    const framing = new LengthPrefixedCodec();
    const [a, b] = createMemoryPipe();
    const server = new Transport<Envelope>(a, {
      codec,
      handler: async (m) => {
        await sleep(10);
        return replyOf(m.body);
      },
    });
    const writer = b.writable.getWriter();
    const [payload] = codec.encode({ ...requestOf("x", u32(42)), id: 9 });
    for (const part of framing.encode([payload], payload.byteLength)) {
      await writer.write(part.slice());
    }
    await writer.close();
    const frames: Uint8Array[] = [];
    const decoder = framing.createDecoder();
    for await (const chunk of b.readable) {
      decoder.decode(chunk, (f) => frames.push(f.slice()));
    }
    assert.equal(frames.length, 1);
    const reply = codec.decode(frames[0]);
    assert.equal(reply.kind, "reply");
    assert.equal(reply.id, 9);
    assert.equal(readU32(reply.body), 42);
    await server.closed;
  });

  it("bounds handler concurrency with its executor and holds further requests until it has room", async () => {
    let active = 0;
    let most = 0;
    const { client, close } = transports({
      executor: new BoundedExecutor({ concurrency: 2, maxQueue: 3 }),
      handler: async (m) => {
        active++;
        most = Math.max(most, active);
        await sleep(5);
        active--;
        return replyOf(m.body);
      },
    });
    const results = await Promise.allSettled(
      Array.from(
        { length: 10 },
        (_, i) => client.request(requestOf("x", u32(i))),
      ),
    );
    assert.ok(most <= 2, `at most 2 handlers ran at once, saw ${most}`);
    // Past the executor's queue, reading waits: nobody is turned away.
    assert.deepEqual(
      results.map((r) => r.status === "fulfilled" && readU32(r.value.body)),
      Array.from({ length: 10 }, (_, i) => i),
    );
    await close();
  });
});
