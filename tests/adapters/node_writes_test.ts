/**
 * The Node channel's writes, which share one completion callback: a write
 * to a full socket waits until it completed, a second write while one waits
 * settles both in order, and writes fail once the peer reset the
 * connection. Runs on Node only; skipped under Deno and Bun.
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { dial } from "../../adapters/node.ts";
import type { Channel } from "../../src/channel/channel.ts";

const isNode = !("Deno" in globalThis) && !("Bun" in globalThis);

/**
 * A channel dialed to a server whose one socket reads nothing until
 * `resume()`, written with `chunk` until a write waits (the socket is
 * full): that write is `waiting`.
 */
async function filledChannel() {
  let accepted!: (socket: net.Socket) => void;
  const socket = new Promise<net.Socket>((resolve) => accepted = resolve);
  const server = net.createServer({ pauseOnConnect: true }, accepted);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const channel = await dial(`tcp://127.0.0.1:${port}`);
  const peer = await socket;
  const chunk = new Uint8Array(256 * 1024);
  return { server, channel, peer, chunk, waiting: fill(channel, chunk) };
}

/** Writes `chunk` until a write waits (the socket is full); that write. */
function fill(channel: Channel, chunk: Uint8Array): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const waiting = channel.io!.write(chunk);
    if (waiting !== undefined) return waiting;
  }
  assert.fail("the socket never filled");
}

describe(
  "Node channel writes",
  { skip: !isNode && "runs on Node only" },
  () => {
    it("writes to a full socket wait; two waiting writes both settle, in order, once the peer reads", async () => {
      const { server, channel, peer, chunk, waiting } = await filledChannel();
      const order: string[] = [];
      const first = waiting.then(() => order.push("first"));
      const second = channel.io!.write(chunk);
      assert.ok(second, "a write behind a waiting one waits too");
      const both = Promise.all([
        first,
        second.then(() => order.push("second")),
      ]);
      let settled = false;
      void both.then(() => settled = true);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(settled, false, "settled while the peer read nothing");
      peer.on("data", () => {});
      peer.resume();
      await both;
      assert.deepEqual(order, ["first", "second"]);
      // Writes after it complete at once again (nothing left to wait for).
      let more = channel.io!.write(Uint8Array.of(1));
      for (let i = 0; i < 10 && more !== undefined; i++) {
        await more;
        more = channel.io!.write(Uint8Array.of(1));
      }
      assert.equal(more, undefined, "writes still wait once the peer reads");
      channel.close();
      peer.destroy();
      server.close();
    });

    it("a write waiting on a full socket fails when the peer resets the connection; later writes throw", async () => {
      const { server, channel, peer, chunk, waiting } = await filledChannel();
      peer.resetAndDestroy();
      await assert.rejects(waiting);
      await new Promise((resolve) => setTimeout(resolve, 10));
      assert.throws(() => channel.io!.write(chunk));
      channel.close();
      server.close();
    });
  },
);
