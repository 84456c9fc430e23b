/**
 * Bad input from a peer, over TCP on 127.0.0.1 and over the memory network:
 * garbage bytes, a 4 GiB length field, a frame one byte over maxFrameSize, an
 * unknown message kind, a reply to an id never sent, a body that does not
 * decode, a handler that throws, a handler that never returns. Each gets the
 * error the README documents, the process stays up, and a second client
 * keeps completing requests on its own connection throughout. The harness is
 * in _attack.ts; bad metadata blocks are in bad_metadata_test.ts.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Channel } from "../../src/channel/channel.ts";
import { Client } from "../../src/client/client.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import {
  ConnectionClosedError,
  FrameTooLargeError,
  ProtocolError,
  RemoteError,
  TimeoutError,
} from "../../src/errors.ts";
import {
  attack,
  closedBy,
  MAX_FRAME,
  networks,
  nextError,
  request,
} from "./_attack.ts";
import {
  frameOf,
  FrameReader,
  lengthPrefixed,
  randomBytes,
  rawFrame,
  until,
  writeRaw,
} from "./_helpers.ts";

const encoder = new TextEncoder();

for (const [netName, makeNet] of Object.entries(networks)) {
  describe(`Bad input over ${netName}: typed errors, only that connection closes, others unaffected`, () => {
    it("garbage bytes (an HTTP request, random bytes): ProtocolError, that connection closes", async () => {
      await attack(makeNet, async (s) => {
        await closedBy(s, encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        const http = await nextError(s, 0);
        assert.ok(http instanceof FrameTooLargeError, String(http));
        assert.equal(http.length, 0x47455420); // "GET " as a length
        // Random bytes whose first length field fits but whose envelope does not.
        const garbage = randomBytes(2048, 7);
        garbage.set([0, 0, 0, 40], 0);
        garbage[4] = 0xee; // no such kind
        await closedBy(s, garbage);
        const random = await nextError(s, 1);
        assert.ok(random instanceof ProtocolError, String(random));
        assert.match((random as Error).message, /unknown kind 238/);
      });
    });

    it("a length field of 4 GiB: FrameTooLargeError at once, without waiting for the payload", async () => {
      await attack(makeNet, async (s) => {
        await closedBy(s, new Uint8Array([0xff, 0xff, 0xff, 0xff]));
        const error = await nextError(s, 0);
        assert.ok(error instanceof FrameTooLargeError, String(error));
        assert.equal(error.code, "ERR_FRAME_TOO_LARGE");
        assert.equal(error.length, 2 ** 32 - 1);
        assert.equal(
          error.message,
          `Cannot decode frame: length 4294967295 exceeds maxFrameSize ${MAX_FRAME}`,
        );
      });
    });

    it("a frame one byte over maxFrameSize is refused before its payload; one of exactly maxFrameSize is served", async () => {
      await attack(makeNet, async (s) => {
        // Exactly maxFrameSize: a request whose body pads the frame to the limit.
        const ok = await s.raw();
        const reader = new FrameReader(ok);
        const header = frameOf({
          kind: "request",
          id: 1,
          route: "echo",
          body: new Uint8Array(0),
        });
        const bodySize = MAX_FRAME - (header.byteLength - 4);
        const body = encoder.encode(`"${"x".repeat(bodySize - 2)}"`);
        const reply = await request(ok, reader, {
          kind: "request",
          id: 1,
          route: "echo",
          body,
        });
        assert.equal(reply?.kind, "reply");
        assert.equal(reply?.body.byteLength, bodySize);
        reader.release();
        ok.close();
        // One byte more: only the 4 header bytes are needed to refuse it.
        const over = new Uint8Array(4);
        new DataView(over.buffer).setUint32(0, MAX_FRAME + 1);
        await closedBy(s, over);
        const error = await nextError(s, 0);
        assert.ok(error instanceof FrameTooLargeError, String(error));
        assert.equal(error.length, MAX_FRAME + 1);
      });
    });

    it("an unknown message kind: ProtocolError, that connection closes", async () => {
      await attack(makeNet, async (s) => {
        await closedBy(s, rawFrame(14, 1));
        const error = await nextError(s, 0);
        assert.ok(error instanceof ProtocolError, String(error));
        assert.equal(error.code, "ERR_PROTOCOL");
        assert.match(error.message, /unknown kind 14/);
        // Also unknown flag bits and a route that runs past the frame.
        await closedBy(s, rawFrame(1, 2, new Uint8Array([0]), 0x80));
        await closedBy(s, rawFrame(1, 3, new Uint8Array([200, 0x61])));
        assert.equal(s.errors.length, 3);
        for (const e of s.errors) assert.ok(e instanceof ProtocolError);
      });
    });

    it("a reply to an id never sent is dropped and counted; the connection stays up", async () => {
      await attack(makeNet, async (s) => {
        const channel = await s.raw();
        const reader = new FrameReader(channel);
        await writeRaw(
          channel,
          frameOf({
            kind: "reply",
            id: 12345,
            route: "",
            body: new Uint8Array(3),
          }),
          frameOf({
            kind: "error",
            id: 777,
            route: "",
            body: new Uint8Array(0),
          }),
          frameOf({
            kind: "pong",
            id: 778,
            route: "",
            body: new Uint8Array(0),
          }),
          frameOf({
            kind: "cancel",
            id: 779,
            route: "",
            body: new Uint8Array(0),
          }),
        );
        const reply = await request(channel, reader, {
          kind: "request",
          id: 1,
          route: "echo",
          body: encoder.encode("5"),
        });
        assert.equal(reply?.kind, "reply");
        assert.equal(new TextDecoder().decode(reply!.body), "5");
        const late = s.server.connections.reduce(
          (n, t) => n + t.stats.lateReplies,
          0,
        );
        assert.equal(late, 3);
        assert.deepEqual(s.errors, []);
        reader.release();
        channel.close();
      });
    });

    it("a body that does not decode: an error reply CODEC_ERROR to that request; the connection stays up", async () => {
      await attack(makeNet, async (s) => {
        const channel = await s.raw();
        const reader = new FrameReader(channel);
        const reply = await request(channel, reader, {
          kind: "request",
          id: 41,
          route: "echo",
          body: encoder.encode("{not json"),
        });
        assert.equal(reply?.kind, "error");
        assert.equal(reply?.id, 41);
        const info = JSON.parse(new TextDecoder().decode(reply!.body));
        assert.equal(info.code, "CODEC_ERROR");
        const next = await request(channel, reader, {
          kind: "request",
          id: 42,
          route: "echo",
          body: encoder.encode("[1]"),
        });
        assert.equal(next?.kind, "reply");
        reader.release();
        channel.close();
      });
    });

    it("a handler that throws: the caller gets RemoteError HANDLER_ERROR and an error id, not the message; the server hears of it; the connection stays up", async () => {
      await attack(makeNet, async (s) => {
        for (let i = 0; i < 3; i++) {
          await assert.rejects(s.client.request("throws", i), (e: unknown) => {
            assert.ok(e instanceof RemoteError);
            assert.equal(e.code, "ERR_REMOTE");
            assert.equal(e.remoteCode, "HANDLER_ERROR");
            assert.match(e.message, /error id [0-9a-f]{8}/);
            assert.doesNotMatch(e.message, /on purpose/);
            return true;
          });
        }
        assert.equal(s.errors.length, 3);
        for (const e of s.errors) {
          assert.match((e as Error).message, /handler failed on purpose/);
        }
        assert.equal(await s.client.request("echo", "still up"), "still up");
        assert.equal(s.server.stats.accepted, 2, "no reconnect was needed");
      });
    });

    it("a handler that never returns: the caller gets TimeoutError at its deadline, the handler's signal aborts", async () => {
      await attack(makeNet, async (s) => {
        const started = performance.now();
        await assert.rejects(
          s.client.request("never", 1, { timeout: 100 }),
          TimeoutError,
        );
        const elapsed = performance.now() - started;
        assert.ok(elapsed >= 95 && elapsed < 3000, `${elapsed} ms`);
        await until(() => s.aborted.length === 1, 5000, "the handler's abort");
        await until(
          () => s.server.connections.every((t) => t.stats.handling === 0),
          5000,
          "no handler left",
        );
        assert.equal(await s.client.request("echo", "still up"), "still up");
      });
    });

    it("a server that sends garbage: the client's requests reject with ConnectionClosedError caused by ProtocolError", async () => {
      const net = makeNet();
      const { listener, key } = await net.listen();
      const accepted: Channel[] = [];
      const serving = (async () => {
        for await (const channel of listener) {
          accepted.push(channel);
          await writeRaw(
            channel,
            lengthPrefixed(new Uint8Array([0xee, 0, 0, 0, 0, 0, 0])),
          );
        }
      })();
      const client = new Client({
        endpoint: key,
        dial: net.dial,
        body: jsonBody,
        reconnect: false,
      });
      try {
        await assert.rejects(
          client.request("echo", 1, { timeout: 5000 }),
          (e: unknown) => {
            assert.ok(e instanceof ConnectionClosedError, String(e));
            // The cause, or the cause's cause (the pool names the transport
            // that closed as it opened), is the ProtocolError.
            let cause: unknown = e.cause;
            while (cause instanceof ConnectionClosedError) cause = cause.cause;
            assert.ok(cause instanceof ProtocolError, String(e.cause));
            return true;
          },
        );
      } finally {
        await client.close();
        listener.close();
        await serving;
        for (const channel of accepted) channel.close();
      }
    });
  });
}
