/**
 * The Go seed's behaviour, as the seed has it (examples/listenrain_go/):
 * request or reply by the connection's role, not by the pending table; and a
 * frame limit that can be raised past 16 MiB, since the seed has none.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type Channel,
  Connection,
  ConnectionClosedError,
  FrameTooLargeError,
  type RouteHandler,
  Router,
  TimeoutError,
} from "../../mod.ts";
import { createMemoryPipe } from "../../testing.ts";
import { DEFAULT_MAX_FRAME_SIZE } from "../../src/framing/length_prefixed.ts";
import {
  SEED_DEFAULT_MAX_FRAME_SIZE,
  type SeedMessage,
  SeedMessageCodec,
  type SeedRole,
} from "../../examples/listenrain_go/codec.ts";
import {
  SEED_ROUTE,
  seedProtocol,
} from "../../examples/listenrain_go/protocol.ts";

const ID = "123e4567-e89b-12d3-a456-426614174000";
const text = (s: string) => new TextEncoder().encode(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `done()` holds, for at most `ms`. */
async function until(done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) assert.fail(`condition not met within ${ms} ms`);
    await sleep(5);
  }
}

/** Reads raw bytes from a channel until `count` have arrived. */
async function readBytes(channel: Channel, count: number): Promise<number[]> {
  const reader = channel.readable.getReader();
  const bytes: number[] = [];
  try {
    while (bytes.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes.push(...value);
    }
  } finally {
    reader.releaseLock();
  }
  return bytes;
}

/** A connection speaking the seed's protocol in `role`, serving `handler` on its one route. */
function seedConnection(
  channel: Channel,
  options: {
    role: SeedRole;
    maxFrameSize?: number;
    handler?: RouteHandler<Uint8Array, Uint8Array>;
    timeout?: number;
    onError?: (error: unknown) => void;
  },
): Connection {
  const { role, maxFrameSize, handler, ...rest } = options;
  return new Connection(channel, {
    ...rest,
    protocol: seedProtocol({ role, maxFrameSize }),
    router: handler && new Router().handle(SEED_ROUTE, handler),
  });
}

async function writeBytes(channel: Channel, bytes: Uint8Array) {
  const writer = channel.writable.getWriter();
  await writer.write(bytes);
  writer.releaseLock();
}

describe("examples/listenrain_go: request or reply by the connection's role", () => {
  it("a client-role codec reads every frame as a reply, a server-role one as a request, a peer by the pending table", () => {
    const message: SeedMessage = { id: ID, payload: text("x") };
    assert.equal(new SeedMessageCodec({ role: "client" }).kind(), "reply");
    assert.equal(new SeedMessageCodec({ role: "server" }).kind(), "request");
    assert.equal(new SeedMessageCodec({ role: "peer" }).kind(), "message");
    assert.equal(new SeedMessageCodec().kind(), "message");
    assert.equal(new SeedMessageCodec({ role: "client" }).role, "client");
    // The role changes nothing on the wire.
    assert.deepEqual(
      new SeedMessageCodec({ role: "client" }).encode(message),
      new SeedMessageCodec({ role: "server" }).encode(message),
    );
    assert.throws(
      () => new SeedMessageCodec({ role: "boss" as "peer" }),
      RangeError,
    );
  });

  it(
    "a client with a handler drops a late reply from an echo server (counted), answers nothing, and no echo ping-pong follows",
    {
      timeout: 20_000,
    },
    async () => {
      const [ours, theirs] = createMemoryPipe();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => release = resolve);
      let served = 0;
      // The seed's echo server, slow to answer the first request.
      const server = seedConnection(theirs, {
        role: "server",
        handler: async (payload) => {
          served++;
          await gate;
          await sleep(1); // a ping-pong, if any, paced by timers
          return payload;
        },
      });
      const handled: Uint8Array[] = [];
      const client = seedConnection(ours, {
        role: "client",
        timeout: 50,
        handler: (payload) => {
          handled.push(payload);
          return payload; // what a symmetric peer would send back
        },
      });
      try {
        await assert.rejects(
          client.request(SEED_ROUTE, text("ping")),
          TimeoutError,
        );
        release(); // the echo comes back after the request timed out
        await until(() => client.stats.framesIn >= 1, 10_000);
        // Time for a ping-pong to show: a frame each way every few ms.
        await sleep(300);
        assert.equal(handled.length, 0);
        assert.equal(client.stats.requestsReceived, 0);
        assert.equal(client.stats.lateReplies, 1);
        assert.equal(client.stats.framesIn, 1);
        assert.equal(server.stats.framesIn, 1);
        assert.equal(served, 1);
      } finally {
        await client.close();
        await server.close();
      }
    },
  );

  it(
    "a client with a handler drops a frame whose id it never sent (counted) and writes nothing back",
    {
      timeout: 20_000,
    },
    async () => {
      const [ours, goSide] = createMemoryPipe();
      const handled: Uint8Array[] = [];
      const client = seedConnection(ours, {
        role: "client",
        handler: (payload) => {
          handled.push(payload);
          return payload;
        },
      });
      try {
        const frame = new Uint8Array(4 + 36 + 4);
        new DataView(frame.buffer).setUint32(0, 40);
        frame.set(text(ID + "pong"), 4);
        await writeBytes(goSide, frame);
        await until(() => client.stats.framesIn === 1, 10_000);
        await sleep(100);
        assert.equal(client.stats.lateReplies, 1);
        assert.equal(handled.length, 0);
        assert.equal(client.stats.requestsReceived, 0);
        assert.equal(client.stats.framesOut, 0);
      } finally {
        await client.close();
        goSide.close();
      }
    },
  );

  it(
    "a server-role connection handles a frame with its own pending id as a request, as the seed does",
    {
      timeout: 20_000,
    },
    async () => {
      const [ours, goSide] = createMemoryPipe();
      const handled: string[] = [];
      const server = seedConnection(ours, {
        role: "server",
        timeout: 10_000,
        handler: (payload) => {
          handled.push(new TextDecoder().decode(payload));
          return text("handled");
        },
      });
      try {
        const pending = server.request(SEED_ROUTE, text("push"));
        pending.catch(() => {});
        const sent = await readBytes(goSide, 4 + 36 + 4);
        const id = String.fromCharCode(...sent.slice(4, 40));
        // The other side answers with the same id: to a server, a request.
        await writeBytes(goSide, new Uint8Array(sent));
        await until(() => handled.length === 1, 10_000);
        assert.deepEqual(handled, ["push"]);
        // Its reply goes out with that id: the request's own id, answered.
        const answer = await readBytes(goSide, 4 + 36 + 7);
        assert.equal(String.fromCharCode(...answer.slice(4, 40)), id);
        assert.deepEqual(answer.slice(40), [...text("handled")]);
        assert.equal(server.stats.repliesReceived, 0);
        assert.equal(server.inFlight, 1, "the request is still pending");
        await server.close();
        await assert.rejects(pending, ConnectionClosedError);
      } finally {
        await server.close();
        goSide.close();
      }
    },
  );

  it("two peer-role connections (the pending table decides) call each other", {
    timeout: 20_000,
  }, async () => {
    const [a, b] = createMemoryPipe();
    const echo = (payload: Uint8Array) => payload;
    const left = seedConnection(a, { role: "peer", handler: echo });
    const right = seedConnection(b, { role: "peer", handler: echo });
    try {
      const [x, y]: Uint8Array[] = await Promise.all([
        left.request(SEED_ROUTE, text("from left")),
        right.request(SEED_ROUTE, text("from right")),
      ]);
      assert.equal(new TextDecoder().decode(x), "from left");
      assert.equal(new TextDecoder().decode(y), "from right");
    } finally {
      await left.close();
      await right.close();
    }
  });
});

describe("examples/listenrain_go: the frame limit", () => {
  it("is listenrain's default unless raised", () => {
    assert.equal(SEED_DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_FRAME_SIZE);
  });

  const LARGE = DEFAULT_MAX_FRAME_SIZE + 1024 * 1024; // 17 MiB of payload

  it(
    "a frame larger than 16 MiB goes through when both sides raise maxFrameSize",
    {
      timeout: 60_000,
    },
    async () => {
      const [ours, theirs] = createMemoryPipe();
      const maxFrameSize = 32 * 1024 * 1024;
      const server = seedConnection(theirs, {
        role: "server",
        maxFrameSize,
        handler: (payload) => payload,
      });
      const client = seedConnection(ours, {
        role: "client",
        maxFrameSize,
        timeout: 50_000,
      });
      try {
        const payload = new Uint8Array(LARGE);
        for (let i = 0; i < payload.length; i += 4096) payload[i] = i / 4096;
        const reply: Uint8Array = await client.request(SEED_ROUTE, payload);
        assert.equal(reply.byteLength, LARGE);
        assert.deepEqual(reply.subarray(0, 8192), payload.subarray(0, 8192));
        assert.equal(reply[LARGE - 4096], payload[LARGE - 4096]);
      } finally {
        await client.close();
        await server.close();
      }
    },
  );

  it(
    "over the default 16 MiB: sending rejects that request, receiving closes the connection",
    {
      timeout: 20_000,
    },
    async () => {
      const [ours, theirs] = createMemoryPipe();
      const errors: unknown[] = [];
      const server = seedConnection(theirs, {
        role: "server",
        handler: (payload) => payload,
        onError: (error) => errors.push(error),
      });
      const client = seedConnection(ours, { role: "client", timeout: 5000 });
      try {
        await assert.rejects(
          client.request(SEED_ROUTE, new Uint8Array(LARGE)),
          FrameTooLargeError,
        );
        assert.ok(client.canRequest, "the client's connection stays open");
      } finally {
        await client.close();
        await server.close();
      }
      // A Go client's frame announcing 16 MiB + 1 bytes: the server closes.
      const [raw, seen] = createMemoryPipe();
      const strict = seedConnection(seen, {
        role: "server",
        handler: (payload) => payload,
        onError: (error) => errors.push(error),
      });
      const header = new Uint8Array(4);
      new DataView(header.buffer).setUint32(0, DEFAULT_MAX_FRAME_SIZE + 1);
      await writeBytes(raw, header);
      await strict.closed;
      assert.ok(strict.closedReason instanceof ConnectionClosedError);
      assert.ok(errors.some((e) => e instanceof FrameTooLargeError));
      raw.close();
    },
  );
});
