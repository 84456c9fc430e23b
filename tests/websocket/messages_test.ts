/**
 * How the WebSocket channel puts bytes into messages: a `writev()` is one
 * DATA message (a frame's header and its body arrive together, so the
 * peer's frame decoder passes a view instead of joining a copy), a write
 * short of credit waits for a whole piece instead of sending a sliver, and
 * a sink whose `send` copies gets every message in one reused buffer, which
 * the runtime's sockets must then not keep (checked over real sockets on
 * the runtime running the test, both directions).
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  INITIAL_WINDOW,
  MessageChannel,
  type MessageSink,
} from "../../src/channel/_websocket_core.ts";
import type { Channel } from "../../src/channel/channel.ts";
import {
  dialWebSocket,
  type WebSocketConstructor,
} from "../../src/channel/websocket_channel.ts";
import { detectRuntime } from "../../adapters/runtime.ts";
import { startWsHttp } from "./_ws_http.ts";

const MiB = 1024 * 1024;
/** Window and high-water mark: so large that every write sends at once. */
const ROOMY = { window: 32 * MiB, highWaterMark: 32 * MiB };

/** The WebSocket class the runtime's adapter dials with. */
async function adapterSocketClass(): Promise<WebSocketConstructor> {
  if (detectRuntime() === "deno") {
    const { denoWebSocketClass } = await import(
      "../../adapters/_deno_ws_client.ts"
    );
    return denoWebSocketClass({ maxMessageSize: MiB });
  }
  return (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ??
    (await import("ws")).WebSocket as unknown as WebSocketConstructor;
}

const addr = { transport: "ws", hostname: "", port: 0 } as const;

/** A channel whose sink records what it sends (views as given). */
function recorded(copies: boolean, window = INITIAL_WINDOW) {
  const sent: Uint8Array[] = [];
  const sink: MessageSink = {
    send: (message) => void sent.push(message),
    bufferedAmount: () => 0,
    close() {},
    copies,
  };
  const limits = { maxMessageSize: 1 << 20, highWaterMark: 1 << 20, window };
  const channel = new MessageChannel(sink, limits, addr, addr);
  channel.opened();
  return { channel, sent };
}

const bytes = (length: number, seed: number) =>
  Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);

/** Writes `count` chunks of `size` bytes, chunk i filled with i, at once where it can. */
async function writeAll(channel: Channel, count: number, size: number) {
  const chunk = new Uint8Array(size);
  for (let i = 0; i < count; i++) {
    // The same array each time: the channel must copy it before it returns.
    chunk.fill(i & 0xff);
    const written = channel.io!.write(chunk);
    if (written !== undefined) await written;
  }
}

/** Reads `count * size` bytes and checks that byte k is (k / size) & 0xff. */
async function readAll(channel: Channel, count: number, size: number) {
  let at = 0;
  const held: Uint8Array[] = [];
  while (at < count * size) {
    const chunk = await channel.io!.read();
    assert.ok(chunk !== null, `ended after ${at} bytes`);
    held.push(chunk);
    at += chunk.length;
  }
  // Checked once everything arrived: a chunk must keep its bytes meanwhile.
  let k = 0;
  for (const chunk of held) {
    for (const byte of chunk) {
      if (byte !== (Math.floor(k / size) & 0xff)) {
        assert.fail(`byte ${k} is ${byte}, expected ${Math.floor(k / size)}`);
      }
      k++;
    }
  }
  assert.equal(k, count * size);
}

describe("WebSocket channel messages", () => {
  it("writev() sends its chunks as one DATA message", () => {
    const { channel, sent } = recorded(false);
    const header = bytes(20, 1);
    const body = bytes(65536, 2);
    assert.equal(channel.writev([header, body]), undefined);
    assert.equal(sent.length, 1);
    assert.equal(sent[0].length, 1 + 20 + 65536);
    assert.equal(sent[0][0], 0);
    assert.deepEqual(sent[0].subarray(1, 21), header);
    assert.deepEqual(sent[0].subarray(21), body);
    channel.close();
  });

  it("a write short of credit waits for a whole piece, not a sliver", async () => {
    const { channel, sent } = recorded(false);
    assert.equal(channel.write(bytes(INITIAL_WINDOW - 10, 3)), undefined);
    const body = bytes(100_000, 4);
    const written = channel.write(body);
    assert.ok(written instanceof Promise);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // 10 bytes of credit left: nothing sent yet.
    assert.equal(sent.length, 1);
    const credit = new Uint8Array(5);
    credit[0] = 1;
    new DataView(credit.buffer).setUint32(1, INITIAL_WINDOW);
    channel.received(credit);
    await written;
    assert.equal(sent.length, 2);
    assert.deepEqual(sent[1].subarray(1), body);
    channel.close();
  });

  it("a sink that copies gets every message in one reused buffer; others get new ones", () => {
    for (const copies of [true, false]) {
      const { channel, sent } = recorded(copies);
      channel.write(bytes(2000, 5));
      channel.write(bytes(1000, 6));
      assert.equal(sent.length, 2);
      assert.equal(sent[0].buffer === sent[1].buffer, copies);
      // What the second send found is right, whatever became of the first.
      assert.deepEqual(sent[1].subarray(1), bytes(1000, 6));
      channel.close();
    }
  });

  it(
    "over the runtime's sockets, a burst of messages sent at once arrives intact both ways",
    {
      timeout: 60_000,
    },
    async () => {
      // 8 MB at once, more than the kernel's socket buffers take: a socket
      // that kept the bytes to write later (ws on Node) would send the
      // reused buffer's later contents.
      const http = await startWsHttp(ROOMY);
      const accepted = http.listener[Symbol.asyncIterator]().next();
      const url = `${http.origin.replace("http", "ws")}/rpc?token=secret`;
      const client = await dialWebSocket(url, {
        ...ROOMY,
        WebSocket: await adapterSocketClass(),
      });
      const server = (await accepted).value as Channel;
      try {
        const count = 120;
        const size = 70_000;
        await Promise.all([
          writeAll(client, count, size),
          writeAll(server, count, size),
          readAll(server, count, size),
          readAll(client, count, size),
        ]);
      } finally {
        client.close();
        server.close();
        await http.close();
      }
    },
  );
});
