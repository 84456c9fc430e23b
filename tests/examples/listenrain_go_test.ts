/**
 * The Go seed's wire format (examples/listenrain_go/): checked against frames
 * written out by hand from the seed's description, "4-byte big-endian
 * length, then a 36-byte ASCII message id, then the payload".
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type Channel,
  CodecError,
  Connection,
  ConnectionClosedError,
  ProtocolError,
  Router,
} from "../../mod.ts";
import { createMemoryPipe } from "../../testing.ts";
import {
  SEED_ID_SIZE,
  SeedIds,
  SeedMessageCodec,
  seedPacketCodec,
} from "../../examples/listenrain_go/codec.ts";
import {
  SEED_ROUTE,
  seedProtocol,
} from "../../examples/listenrain_go/protocol.ts";
import { main } from "../../examples/listenrain_go/main.ts";

const ID = "123e4567-e89b-12d3-a456-426614174000";
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** "ping" with id ID, written out by hand. */
// deno-fmt-ignore
const PING_FRAME = [
  0x00, 0x00, 0x00, 0x28,                               // length 40 = 36 (id) + 4 (payload)
  0x31, 0x32, 0x33, 0x65, 0x34, 0x35, 0x36, 0x37, 0x2d, // "123e4567-"
  0x65, 0x38, 0x39, 0x62, 0x2d,                         // "e89b-"
  0x31, 0x32, 0x64, 0x33, 0x2d,                         // "12d3-"
  0x61, 0x34, 0x35, 0x36, 0x2d,                         // "a456-"
  0x34, 0x32, 0x36, 0x36, 0x31, 0x34,                   // "426614"
  0x31, 0x37, 0x34, 0x30, 0x30, 0x30,                   // "174000"
  0x70, 0x69, 0x6e, 0x67,                               // payload "ping"
];

/** An empty payload: the frame is the length and the id. */
const EMPTY_FRAME = [0x00, 0x00, 0x00, 0x24, ...ascii(ID)];

/** Encodes one message into its frame's bytes with the codec pair. */
function frame(id: string, payload: Uint8Array): number[] {
  const body = new SeedMessageCodec().encode({ id, payload });
  const length = body.reduce((n, p) => n + p.byteLength, 0);
  return seedPacketCodec().encode(body, length).flatMap((p) => [...p]);
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

async function writeBytes(channel: Channel, ...chunks: number[][]) {
  const writer = channel.writable.getWriter();
  for (const chunk of chunks) await writer.write(new Uint8Array(chunk));
  writer.releaseLock();
}

describe("examples/listenrain_go: the Go seed's wire format", () => {
  it("encodes a message to exactly the hand-written frame", () => {
    assert.deepEqual(frame(ID, new TextEncoder().encode("ping")), PING_FRAME);
    assert.deepEqual(frame(ID, new Uint8Array(0)), EMPTY_FRAME);
  });

  it("decodes the hand-written frame to the message, its payload a view", () => {
    const bytes = new Uint8Array(PING_FRAME);
    const messages: { id: string; payload: number[] }[] = [];
    seedPacketCodec().createDecoder().decode(bytes, (payload) => {
      const message = new SeedMessageCodec().decode(payload);
      assert.equal(message.payload.buffer, bytes.buffer);
      messages.push({ id: message.id, payload: [...message.payload] });
    });
    assert.deepEqual(messages, [{ id: ID, payload: ascii("ping") }]);
  });

  it("rejects ids that are not 36 ASCII characters, and payloads shorter than the id", () => {
    const codec = new SeedMessageCodec();
    assert.throws(
      () => codec.encode({ id: "short", payload: new Uint8Array() }),
      {
        name: "CodecError",
      },
    );
    assert.throws(
      () => codec.encode({ id: "é".repeat(36), payload: new Uint8Array() }),
      { name: "CodecError" },
    );
    assert.throws(() => codec.decode(new Uint8Array(35)), {
      name: "ProtocolError",
      message: "Cannot decode message: 35 bytes is shorter than the 36-byte id",
    });
    const bad = new Uint8Array(36).fill(0x61);
    bad[3] = 0xff;
    assert.throws(() => codec.decode(bad), ProtocolError);
  });

  it("SeedIds makes unique 36-character ASCII ids shaped like UUIDs", () => {
    const ids = new SeedIds();
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = ids.next((candidate) => candidate === [...seen].at(-1));
      assert.equal(id.length, SEED_ID_SIZE);
      assert.match(
        id,
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
      assert.ok(!seen.has(id));
      seen.add(id);
    }
  });

  it("a client request goes out as a seed frame and a hand-built reply frame settles it", async () => {
    const [ours, goSide] = createMemoryPipe();
    const client = new Connection(ours, {
      protocol: seedProtocol({ role: "client" }),
      timeout: 5000,
    });
    try {
      const pending = client.request(
        SEED_ROUTE,
        new TextEncoder().encode("ping"),
      );
      const sent = await readBytes(goSide, 44);
      assert.deepEqual(sent.slice(0, 4), [0, 0, 0, 0x28]);
      const id = String.fromCharCode(...sent.slice(4, 40));
      assert.match(id, /^[\x21-\x7e]{36}$/);
      assert.deepEqual(sent.slice(40), ascii("ping"));
      // A reply with another id settles nothing: it is dropped and counted.
      await writeBytes(goSide, [0, 0, 0, 0x28, ...ascii(ID), ...ascii("nope")]);
      // The "Go server" answers "pong" with the same id, in three pieces.
      const reply = [0, 0, 0, 0x28, ...ascii(id), ...ascii("pong")];
      await writeBytes(
        goSide,
        reply.slice(0, 2),
        reply.slice(2, 30),
        reply.slice(30),
      );
      const payload: Uint8Array = await pending;
      assert.equal(new TextDecoder().decode(payload), "pong");
      assert.equal(client.stats.lateReplies, 1, "the other id was dropped");
      assert.equal(client.stats.repliesReceived, 1);
    } finally {
      await client.close();
      goSide.close();
    }
  });

  it("seedProtocol has one route and no notifications", async () => {
    const [ours, goSide] = createMemoryPipe();
    const client = new Connection(ours, {
      protocol: seedProtocol({ role: "client" }),
    });
    try {
      await assert.rejects(
        client.request("other", new Uint8Array(1)),
        CodecError,
      );
      assert.throws(
        () => client.notify(SEED_ROUTE, new Uint8Array(1)),
        CodecError,
      );
      assert.throws(
        () => seedProtocol({ role: "boss" as "peer" }),
        RangeError,
      );
      assert.equal(client.stats.framesOut, 0);
    } finally {
      await client.close();
      goSide.close();
    }
  });

  it("a hand-written request frame to an echo server comes back as exactly the same bytes", async () => {
    const [ours, goSide] = createMemoryPipe();
    const server = new Connection(ours, {
      protocol: seedProtocol({ role: "server" }),
      router: new Router().handle(SEED_ROUTE, (payload: Uint8Array) => payload),
    });
    try {
      // Two requests in one write, as a batching Go client sends them.
      const other = [0, 0, 0, 0x25, ...ascii(ID.replace("1", "9")), 0x2a];
      await writeBytes(goSide, [...PING_FRAME, ...other]);
      const echoed = await readBytes(goSide, PING_FRAME.length + other.length);
      assert.deepEqual(echoed, [...PING_FRAME, ...other]);
    } finally {
      await server.close();
      goSide.close();
    }
  });

  it("a frame shorter than the id closes only that connection with a ProtocolError", async () => {
    const [ours, goSide] = createMemoryPipe();
    const errors: unknown[] = [];
    const server = new Connection(ours, {
      protocol: seedProtocol({ role: "server" }),
      router: new Router().handle(SEED_ROUTE, (payload: Uint8Array) => payload),
      onError: (error) => errors.push(error),
    });
    await writeBytes(goSide, [0, 0, 0, 3, 0x61, 0x62, 0x63]);
    await server.closed;
    assert.ok(server.closedReason instanceof ConnectionClosedError);
    assert.ok(errors.some((e) => e instanceof ProtocolError));
    goSide.close();
  });

  it("main() runs an echo server and a client over TCP on this runtime", async () => {
    const lines: string[] = [];
    await main([], (line) => lines.push(line));
    assert.match(lines[0], /^echo server on tcp:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(lines.at(-1), 'replies: ["hello","rain"]');
    const frames = lines.filter((line) => line.startsWith("frame: "));
    assert.equal(frames.length, 2);
    assert.match(
      frames[0],
      /^frame: 00 00 00 29( [0-9a-f]{2}){36} 68 65 6c 6c 6f$/,
    );
  });
});
