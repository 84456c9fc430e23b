/**
 * Ids are not reused while the peer may still answer them, a cancelled id
 * is free on the peer at once, and a peer that is gone does not pin its
 * handlers or its connection (issue 12, points 4 and 5). Over the in-memory
 * pipe, with the test playing one side in raw frames where it must control
 * exactly what is sent.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import {
  type Envelope,
  EnvelopeCodec,
  type EnvelopeKind,
} from "../../src/codec/envelope.ts";
import type {
  IdAllocator,
  MessageCodec,
} from "../../src/codec/message_codec.ts";
import { AbortedError, TimeoutError } from "../../src/errors.ts";
import type { RequestContext } from "../../src/transport/request_context.ts";
import { Transport } from "../../src/transport/transport.ts";
import { frameOf, FrameReader } from "../_conformance/_raw_frames.ts";
import { deferred, requestOf, sleep, until } from "../_helpers/pair.ts";

const codec = new EnvelopeCodec();
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const bytes = (value: string): Uint8Array => new TextEncoder().encode(value);

/** An allocator that hands out the lowest id not in use: it reuses ids as soon as it may. */
function lowestFree(): IdAllocator {
  return {
    next(inUse) {
      let id = 1;
      while (inUse(id)) id++;
      return id;
    },
  };
}

/** The envelope codec without ping and cancel: a protocol that has neither. */
function withoutPingAndCancel(): MessageCodec<Envelope> {
  const plain = new EnvelopeCodec();
  return {
    encode: (m) => plain.encode(m),
    decode: (p) => plain.decode(p),
    id: (m) => plain.id(m),
    withId: (m, id) => plain.withId(m, id),
    kind: (m) => plain.kind(m),
    errorReply: (id, info) => plain.errorReply(id, info),
    toError: (m) => plain.toError(m),
  };
}

/** Reads frames until one of `kind` arrives; returns it and those before it. */
async function readUntil(
  reader: FrameReader,
  kind: EnvelopeKind,
): Promise<{ found: Envelope; before: Envelope[] }> {
  const before: Envelope[] = [];
  for (;;) {
    const next = await reader.next();
    assert.ok(next, `the stream ended before a ${kind} frame`);
    if (next.kind === kind) return { found: next, before };
    before.push(next);
  }
}

describe("Transport ids: a late reply never reaches another request", () => {
  it("an id that timed out is not reused until a fence's pong shows the peer can no longer answer it", async () => {
    const [a, b] = createMemoryPipe();
    const client = new Transport<Envelope>(a, { codec, ids: lowestFree() });
    const reader = new FrameReader(b);
    const writer = b.writable.getWriter();

    const first = client.request(requestOf("slow", bytes("A")), {
      timeout: 30,
    });
    const a1 = await reader.next();
    assert.equal(a1?.kind, "request");
    assert.equal(a1?.id, 1);
    assert.ok((await first.catch((e) => e)) instanceof TimeoutError);
    // The client tells the peer, then asks for a fence.
    const { found: fence, before } = await readUntil(reader, "ping");
    assert.deepEqual(before.map((m) => [m.kind, m.id]), [["cancel", 1]]);

    // A new request now must not take id 1: its reply may still come.
    const second = client.request(requestOf("fast", bytes("B")));
    const b1 = await reader.next();
    assert.equal(b1?.kind, "request");
    assert.notEqual(b1?.id, 1);
    assert.notEqual(b1?.id, fence.id);

    // The late reply of the first request arrives first: it is dropped.
    await writer.write(frameOf({ ...a1!, kind: "reply", body: bytes("A") }));
    await writer.write(frameOf({ ...b1!, kind: "reply", body: bytes("B") }));
    assert.equal(text((await second).body), "B");
    assert.equal(client.stats.lateReplies, 1);

    // Once the pong is back, id 1 is free again.
    await writer.write(frameOf({ ...fence, kind: "pong" }));
    await until(() => client.stats.pending === 0, 5000, "the pong");
    const third = client.request(requestOf("fast", bytes("C")));
    const c1 = await reader.next();
    assert.equal(c1?.id, 1);
    await writer.write(frameOf({ ...c1!, kind: "reply", body: bytes("C") }));
    assert.equal(text((await third).body), "C");
    // The fence is the transport's own: the counters show the user's requests.
    assert.equal(client.stats.requestsSent, 3);
    assert.equal(client.stats.repliesReceived, 2);
    reader.release();
    await client.close();
  });

  it("an aborted request's id is reserved too, and a protocol without ping keeps it until its late reply", async () => {
    const [a, b] = createMemoryPipe();
    const client = new Transport<Envelope>(a, {
      codec: withoutPingAndCancel(),
      ids: lowestFree(),
    });
    const reader = new FrameReader(b);
    const writer = b.writable.getWriter();
    const controller = new AbortController();
    const first = client.request(requestOf("slow", bytes("A")), {
      signal: controller.signal,
    });
    const a1 = await reader.next();
    controller.abort();
    assert.ok((await first.catch((e) => e)) instanceof AbortedError);

    const second = client.request(requestOf("fast", bytes("B")));
    const b1 = await reader.next();
    assert.equal(b1?.kind, "request", "no cancel and no ping: neither exists");
    assert.equal(b1?.id, 2);
    await writer.write(frameOf({ ...a1!, kind: "reply", body: bytes("A") }));
    await writer.write(frameOf({ ...b1!, kind: "reply", body: bytes("B") }));
    assert.equal(text((await second).body), "B");
    // The late reply released id 1.
    const third = client.request(requestOf("fast", bytes("C")));
    const c1 = await reader.next();
    assert.equal(c1?.id, 1);
    await writer.write(frameOf({ ...c1!, kind: "reply", body: bytes("C") }));
    assert.equal(text((await third).body), "C");
    reader.release();
    await client.close();
  });

  it("end to end: requests that time out while their replies are on the way never get another request's reply", async () => {
    const [a, b] = createMemoryPipe();
    const server = new Transport<Envelope>(a, {
      codec,
      handler: async (m) => {
        // "slow" answers after its caller gave up, ignoring the cancel.
        if (m.route === "slow") await sleep(60);
        return { kind: "reply", id: 0, route: "", body: m.body };
      },
    });
    const client = new Transport<Envelope>(b, { codec, ids: lowestFree() });
    for (let i = 0; i < 5; i++) {
      const slow = client.request(requestOf("slow", bytes(`slow ${i}`)), {
        timeout: 20,
      });
      assert.ok((await slow.catch((e) => e)) instanceof TimeoutError);
      const replies = await Promise.all(
        [0, 1, 2].map((j) =>
          client.request(requestOf("fast", bytes(`fast ${i}.${j}`)))
        ),
      );
      assert.deepEqual(
        replies.map((r) => text(r.body)),
        [0, 1, 2].map((j) => `fast ${i}.${j}`),
      );
    }
    await client.close();
    await server.close();
  });
});

describe("Transport: a cancelled request's id is free on the peer at once", () => {
  it("a request that reuses the id of one just cancelled is handled, not refused as DUPLICATE_ID", async () => {
    const [a, b] = createMemoryPipe();
    const stuck = deferred();
    const server = new Transport<Envelope>(a, {
      codec,
      handler: async (m) => {
        // Ignores its signal: it settles only when the test says so.
        if (m.route === "stuck") await stuck.promise;
        return { kind: "reply", id: 0, route: "", body: m.body };
      },
    });
    const reader = new FrameReader(b);
    const writer = b.writable.getWriter();
    await writer.write(
      frameOf({ kind: "request", id: 7, route: "stuck", body: bytes("1") }),
    );
    await until(() => server.stats.handling === 1, 5000, "the handler");
    await writer.write(
      frameOf({ kind: "cancel", id: 7, route: "", body: new Uint8Array() }),
    );
    await writer.write(
      frameOf({ kind: "request", id: 7, route: "echo", body: bytes("2") }),
    );
    const reply = await reader.next();
    assert.equal(reply?.kind, "reply", text(reply?.body ?? new Uint8Array()));
    assert.equal(reply?.id, 7);
    assert.equal(text(reply!.body), "2");
    stuck.resolve();
    await sleep(10);
    // The cancelled handler's result goes nowhere.
    await writer.close();
    assert.deepEqual(await reader.rest(), []);
    await server.closed;
  });
});

describe("Transport: a peer that is gone does not pin handlers or the connection", () => {
  for (const how of ["closes its channel", "is closed by its transport"]) {
    it(`when the caller ${how}, the handlers waiting on ctx.signal are aborted and the connection closes`, async () => {
      const [a, b] = createMemoryPipe();
      const signals: AbortSignal[] = [];
      const server = new Transport<Envelope>(a, {
        codec,
        // A dead peer must be noticed without this, but the test must not
        // wait the default 5 s.
        closeTimeout: how === "closes its channel" ? 200 : 60_000,
        handler: (_m, ctx: RequestContext<Envelope>) => {
          signals.push(ctx.signal);
          return new Promise((_, reject) =>
            ctx.signal.addEventListener(
              "abort",
              () => reject(ctx.signal.reason),
            )
          );
        },
      });
      const client = new Transport<Envelope>(b, { codec, timeout: 0 });
      const requests = Array.from(
        { length: 50 },
        () =>
          client.request(requestOf("wait", new Uint8Array())).catch((e) => e),
      );
      await until(() => signals.length === 50, 5000, "50 handlers");
      if (how === "closes its channel") b.close(); // no cancel sent
      else await client.close();
      await until(
        () => signals.every((s) => s.aborted),
        5000,
        "every handler's signal to abort",
      );
      await server.closed;
      if (how === "is closed by its transport") {
        // It told the server: nothing waited for closeTimeout.
        assert.equal(server.stats.cancelsReceived, 50);
      }
      for (const error of await Promise.all(requests)) {
        assert.ok(error instanceof Error);
      }
    });
  }
});
