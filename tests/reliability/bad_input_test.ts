/**
 * Bad input from a peer, over TCP on 127.0.0.1 and over the memory network:
 * garbage bytes, a 4 GiB length field, a frame one byte over maxFrameSize, an
 * unknown message kind, a reply to an id never sent, a body that does not
 * decode, a handler that throws, a handler that never returns. Each gets the
 * error the README documents, the process stays up, and a second client
 * keeps completing requests on its own connection throughout.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Channel, Listener } from "../../src/channel/channel.ts";
import { MemoryNetwork } from "../../src/channel/memory_network.ts";
import { Client } from "../../src/client/client.ts";
import type { DialFunction } from "../../src/client/dialers.ts";
import { TransportKey } from "../../src/channel/transport_key.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import {
  ConnectionClosedError,
  FrameTooLargeError,
  ProtocolError,
  RemoteError,
  TimeoutError,
} from "../../src/errors.ts";
import { LengthPrefixedCodec } from "../../src/framing/length_prefixed.ts";
import { Server } from "../../src/server/server.ts";
import type { RequestContext } from "../../src/transport/request_context.ts";
import { Router } from "../../src/transport/router.ts";
import type { Envelope } from "../../src/codec/envelope.ts";
import {
  frameOf,
  FrameReader,
  KiB,
  lengthPrefixed,
  randomBytes,
  rawFrame,
  readToEnd,
  sleep,
  tcpAdapter,
  until,
  within,
  writeRaw,
} from "./_helpers.ts";

const tcp = await tcpAdapter();
const MAX_FRAME = 64 * KiB;
const encoder = new TextEncoder();

interface Net {
  listen(): Promise<{ listener: Listener; key: string }>;
  dial: DialFunction;
}

const networks: Record<string, () => Net> = {
  "TCP on 127.0.0.1": () => ({
    async listen() {
      const listener = await tcp.listen("tcp://127.0.0.1:0");
      const port = (listener.addr as { port: number }).port;
      return { listener, key: `tcp://127.0.0.1:${port}` };
    },
    dial: tcp.dial,
  }),
  "the memory network": () => {
    const network = new MemoryNetwork();
    let n = 0;
    return {
      async listen() {
        const key = `mem://bad-${++n}`;
        return { listener: await network.listen(key), key };
      },
      dial: (key, options) => network.dial(key, options),
    };
  },
};

/** The server under attack, its error log, and a client that must not notice. */
async function setup(net: Net) {
  const errors: unknown[] = [];
  const aborted: unknown[] = [];
  const router = new Router()
    .handle("echo", (body: unknown) => body)
    .handle("throws", () => {
      throw new Error("handler failed on purpose");
    })
    .handle(
      "never",
      (_body: unknown, ctx: RequestContext<Envelope>) =>
        new Promise((_, reject) => {
          // Never returns on its own: only its signal ends it.
          ctx.signal.addEventListener("abort", () => {
            aborted.push(ctx.signal.reason);
            reject(ctx.signal.reason);
          }, { once: true });
        }),
    );
  const server = new Server({
    router,
    body: jsonBody,
    framing: new LengthPrefixedCodec({ maxFrameSize: MAX_FRAME }),
    onError: (error) => errors.push(error),
  });
  const { listener, key } = await net.listen();
  void server.serve(listener);
  const raw = () => net.dial(TransportKey.from(key), {});
  const client = new Client({
    endpoint: key,
    dial: net.dial,
    body: jsonBody,
  });
  // The bystander: its own connection, a request every few ms, all along.
  const bystander = new Client({
    endpoint: key,
    dial: net.dial,
    body: jsonBody,
  });
  let running = true;
  let completed = 0;
  const failures: string[] = [];
  const loop = (async () => {
    for (let i = 0; running && i < 100_000; i++) {
      try {
        if (await bystander.request("echo", i) !== i) failures.push("wrong");
        else completed++;
      } catch (error) {
        failures.push(String(error));
      }
      await sleep(1);
    }
  })();
  return {
    server,
    client,
    raw,
    errors,
    aborted,
    /**
     * Stops the bystander and closes everything; then checks the bystander
     * kept completing requests after `before` and never failed.
     */
    async finish(before: number) {
      let stalled: unknown;
      try {
        await until(() => completed > before + 3, 5000, "bystander progress");
      } catch (error) {
        stalled = error;
      }
      running = false;
      await loop;
      await Promise.all([client.close(), bystander.close()]);
      await server.close({ deadline: 500 });
      if (stalled) throw stalled;
      assert.deepEqual(failures, [], "the bystander never failed");
    },
    get completed() {
      return completed;
    },
  };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** Runs `body` against a fresh server with a bystander, and cleans up. */
async function attack(
  makeNet: () => Net,
  body: (s: Setup) => Promise<void>,
): Promise<void> {
  const s = await setup(makeNet());
  const before = s.completed;
  try {
    await body(s);
  } finally {
    await s.finish(before);
  }
}

/** Sends `bytes` on a fresh raw connection; resolves once the server closed it. */
async function closedBy(s: Setup, ...bytes: Uint8Array[]): Promise<void> {
  const channel = await s.raw();
  const reading = readToEnd(channel);
  await writeRaw(channel, ...bytes);
  const { bytes: got } = await within(5000, "the server closes", reading);
  assert.equal(got, 0, "no reply of any kind to a broken stream");
  channel.close();
}

/** The last error the server reported, once there is one more than `n`. */
async function nextError(s: Setup, n: number): Promise<unknown> {
  await until(() => s.errors.length > n, 5000, "the server's onError");
  return s.errors[s.errors.length - 1];
}

async function request(
  channel: Channel,
  reader: FrameReader,
  message: Envelope,
): Promise<Envelope | undefined> {
  await writeRaw(channel, frameOf(message));
  return await reader.next();
}

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
        await closedBy(s, rawFrame(9, 1));
        const error = await nextError(s, 0);
        assert.ok(error instanceof ProtocolError, String(error));
        assert.equal(error.code, "ERR_PROTOCOL");
        assert.match(error.message, /unknown kind 9/);
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
