/**
 * The generic transport reads no envelope field (issue 13, point 2): the
 * goaway reason comes from the codec's `goawayReason`, and a handler that
 * fails with one of listenrain's own errors answers the code
 * `ERROR_REPLY_CODES` names for it.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Envelope, EnvelopeCodec } from "../../src/codec/envelope.ts";
import type { MessageCodec } from "../../src/codec/message_codec.ts";
import {
  AbortedError,
  AddressInUseError,
  CodecError,
  ConnectError,
  ConnectionClosedError,
  ERROR_REPLY_CODES,
  type ErrorCode,
  FrameTooLargeError,
  ListenRainError,
  ProtocolError,
  QueueFullError,
  RemoteError,
  TimeoutError,
  TooManyPendingError,
} from "../../src/errors.ts";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import { Transport } from "../../src/transport/transport.ts";
import { until } from "../_helpers/pair.ts";

const request: Envelope = {
  kind: "request",
  id: 0,
  route: "r",
  body: new Uint8Array(),
};

describe("Transport without envelope fields", () => {
  it("takes the goaway reason from the codec's goawayReason", async () => {
    const [a, b] = createMemoryPipe();
    const codec = new EnvelopeCodec();
    const reasons: string[] = [];
    // A codec of the same messages whose reason is not the body.
    const custom: MessageCodec<Envelope> = Object.assign(
      Object.create(codec) as EnvelopeCodec,
      { goawayReason: (m: Envelope) => `route ${m.route}` },
    );
    const server = new Transport<Envelope>(a, { codec });
    const client = new Transport<Envelope>(b, {
      codec: custom,
      onGoaway: (reason) => reasons.push(reason),
    });
    server.goaway("body text");
    await until(() => reasons.length === 1, 5000, "goaway received");
    assert.deepEqual(reasons, ["route "]);
    assert.match(String(client.refusal?.message), /going away \(route \)/);
    await Promise.all([client.close(), server.close()]);
  });

  it("EnvelopeCodec reads the body as UTF-8, bad bytes as U+FFFD", () => {
    const codec = new EnvelopeCodec();
    assert.equal(codec.goawayReason(codec.goaway("bye ✓")), "bye ✓");
    const bad: Envelope = { ...codec.goaway(""), body: new Uint8Array([0xff]) };
    assert.equal(codec.goawayReason(bad), "\ufffd");
  });

  it('a codec without goawayReason gives the reason "goaway"', async () => {
    const [a, b] = createMemoryPipe();
    const codec = new EnvelopeCodec();
    const plain = Object.assign(Object.create(codec) as EnvelopeCodec, {
      goawayReason: undefined,
    }) as MessageCodec<Envelope>;
    const reasons: string[] = [];
    const server = new Transport<Envelope>(a, { codec });
    const client = new Transport<Envelope>(b, {
      codec: plain,
      onGoaway: (reason) => reasons.push(reason),
    });
    server.goaway("body text");
    await until(() => reasons.length === 1, 5000, "goaway received");
    assert.deepEqual(reasons, ["goaway"]);
    await Promise.all([client.close(), server.close()]);
  });

  it("a handler's listenrain error answers the code ERROR_REPLY_CODES names", async () => {
    const errors: ListenRainError[] = [
      new ProtocolError("p"),
      new FrameTooLargeError(70_000, 65_536),
      new CodecError("c"),
      new ConnectionClosedError("cc"),
      new TimeoutError("t"),
      new AbortedError("a"),
      new QueueFullError(1),
      new TooManyPendingError(1),
      new ConnectError("co"),
      new AddressInUseError("in use"),
    ];
    const [a, b] = createMemoryPipe();
    const codec = new EnvelopeCodec();
    let next = 0;
    const server = new Transport<Envelope>(a, {
      codec,
      handler: () => {
        throw errors[next++];
      },
    });
    const client = new Transport<Envelope>(b, { codec });
    for (const error of errors) {
      const got = await client.request(request).catch((e) => e);
      assert.ok(got instanceof RemoteError);
      // The codes the caller got before the table: "ERR_" dropped, and
      // CODEC_ERROR for ERR_CODEC.
      const before = error.code === "ERR_CODEC"
        ? "CODEC_ERROR"
        : error.code.slice(4);
      assert.equal(got.remoteCode, before, error.name);
      assert.equal(got.remoteCode, ERROR_REPLY_CODES[error.code]);
    }
    const all = Object.keys(ERROR_REPLY_CODES) as ErrorCode[];
    for (const code of all) {
      const before = code === "ERR_CODEC" ? "CODEC_ERROR" : code.slice(4);
      assert.equal(ERROR_REPLY_CODES[code], before);
    }
    await Promise.all([client.close(), server.close()]);
  });
});
