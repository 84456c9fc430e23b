/**
 * The Node adapter's wait for a TLS 1.3 server's verdict on the client
 * (`adapters/_node_tls.ts`), on a socket that reads by `onread`: data the
 * {@linkcode OnreadSource} reads accepts, and stays for the channel; an
 * error, the end or the close refuses; silence for the grace time accepts.
 * Driven with a fake socket, as Node drives `onread`. Runtime-neutral.
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type * as tls from "node:tls";
import { OnreadSource } from "../../adapters/_onread_source.ts";
import { verdict } from "../../adapters/_node_tls.ts";
import { settled, stillPending, within } from "../_conformance/_helpers.ts";

/** Longer than any test: a verdict that waits for it was not decided. */
const NEVER_MS = 60_000;

/** A dialed TLS socket (its events and protocol) and its `onread` source. */
function dialed(protocol = "TLSv1.3") {
  const socket = Object.assign(new EventEmitter(), {
    getProtocol: () => protocol,
  });
  const source = new OnreadSource();
  source.attach({ pause() {}, resume() {} });
  let bound = source.onread.buffer();
  return {
    socket: socket as unknown as tls.TLSSocket & EventEmitter,
    source,
    /** A read of `bytes`, as Node makes it. */
    read(bytes: number[]): void {
      bound.set(bytes);
      source.onread.callback(bytes.length, bound);
      bound = source.onread.buffer();
    },
    /** The listeners `verdict` may have left on the socket. */
    listeners: () =>
      ["data", "error", "end", "close"].reduce(
        (sum, event) => sum + socket.listenerCount(event),
        0,
      ),
  };
}

describe("verdict (Node TLS dial)", () => {
  it("accepts once the source reads the first bytes, and leaves them, in order, to the channel", async () => {
    const { socket, source, read, listeners } = dialed();
    const waiting = verdict(socket, source, NEVER_MS);
    assert.equal(await stillPending(waiting, 20), true, "no word yet");
    read([1, 2, 3]);
    read([4, 5]);
    await within(5_000, "the verdict", waiting);
    assert.equal(listeners(), 0, "no listener left on the socket");
    const target = new Uint8Array(5);
    assert.equal(await source.readInto(target), 5);
    assert.deepEqual([...target], [1, 2, 3, 4, 5]);
  });

  it("accepts at once when the bytes came before the wait began", async () => {
    const { socket, source, read } = dialed();
    read([7]);
    await within(5_000, "the verdict", verdict(socket, source, NEVER_MS));
    assert.deepEqual([...(await source.read())!], [7]);
  });

  it("accepts bytes that come in the same turn as the end (the server answered, then closed)", async () => {
    const { socket, source, read } = dialed();
    const waiting = verdict(socket, source, NEVER_MS);
    read([1]);
    socket.emit("end");
    socket.emit("close");
    await within(5_000, "the verdict", waiting);
  });

  it("refuses when the end, the close or an error comes first", async () => {
    for (const event of ["end", "close", "error"]) {
      const { socket, source, read, listeners } = dialed();
      const waiting = verdict(socket, source, NEVER_MS);
      const failure = new Error("alert: certificate required");
      socket.emit(event, failure);
      await assert.rejects(
        waiting,
        event === "error"
          ? failure
          : /closed the connection right after the TLS handshake/,
      );
      assert.equal(listeners(), 0, `no listener left after ${event}`);
      read([1]); // later bytes: the source's listener was removed too
      assert.deepEqual([...(await source.read())!], [1]);
    }
  });

  it("accepts a server that says nothing within the grace time", async () => {
    const { socket, source, listeners } = dialed();
    const waiting = verdict(socket, source, 10);
    assert.equal(
      await within(5_000, "the grace", settled(waiting)),
      "resolved",
    );
    assert.equal(listeners(), 0);
  });

  it("does not wait before TLS 1.3 (the handshake covered the verdict)", async () => {
    const { socket, source, listeners } = dialed("TLSv1.2");
    await within(5_000, "the verdict", verdict(socket, source, NEVER_MS));
    assert.equal(listeners(), 0);
  });
});
