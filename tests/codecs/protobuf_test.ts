import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create, createRegistry, equals, isMessage } from "@bufbuild/protobuf";
import {
  sizeDelimitedDecodeStream,
  sizeDelimitedEncode,
} from "@bufbuild/protobuf/wire";
import { protobufAnyBody, protobufBody } from "../../codecs/protobuf.ts";
import { CodecError, RemoteError } from "../../src/errors.ts";
import { VarintPrefixedCodec } from "../../src/framing/varint.ts";
import { Router } from "../../src/transport/router.ts";
import { peers } from "../_helpers/pair.ts";
import {
  type HelloReply,
  HelloReplySchema,
  type HelloRequest,
  HelloRequestSchema,
  type Order,
  OrderSchema,
  OrderStatus,
} from "../../proto/gen/listenrain/example/v1/example_pb.ts";
import { bodyCodecSuite } from "./_body_suite.ts";

const order: Order = create(OrderSchema, {
  id: "ord-1",
  createdAtMs: 1_700_000_000_000n,
  customer: {
    id: 42,
    name: "Ada",
    email: "ada@example.com",
    address: { city: "London", country: "GB" },
  },
  items: [{ sku: "A1", title: "Umbrella", quantity: 2, unitPrice: 12.5 }],
  tags: ["rain", "gift"],
  status: OrderStatus.PAID,
  total: 25,
  currency: "EUR",
});

const equalMessages = <T extends HelloRequest | HelloReply | Order>(
  actual: T,
  expected: T,
) => {
  assert.deepEqual(actual, expected);
};

describe("protobufBody", () => {
  bodyCodecSuite<HelloRequest>("protobufBody", {
    codec: protobufBody(HelloRequestSchema),
    values: [
      create(HelloRequestSchema, { name: "rain" }),
      create(HelloRequestSchema),
      create(HelloRequestSchema, { name: "é".repeat(300) }),
    ],
    garbage: [
      new Uint8Array([0x0a, 0x05, 0x61]), // field 1, 5 bytes, only 1 there
      new Uint8Array([0x0f]), // wire type 7 does not exist
      new Uint8Array([0x08, 0xff]), // a varint that never ends
    ],
    emptyIsUndefined: false,
    request: create(HelloRequestSchema, { name: "rain" }),
    handle: (m) => create(HelloRequestSchema, { name: m.name.toUpperCase() }),
    reply: create(HelloRequestSchema, { name: "RAIN" }),
    equal: equalMessages,
  });

  it("protobufBody writes the Protocol Buffers wire format", () => {
    const body = protobufBody(HelloRequestSchema);
    assert.deepEqual(
      [...body.encode(create(HelloRequestSchema, { name: "rain" }))],
      [0x0a, 0x04, 0x72, 0x61, 0x69, 0x6e],
    );
    assert.equal(body.encode(create(HelloRequestSchema)).byteLength, 0);
    assert.equal(body.name, "protobuf:listenrain.example.v1.HelloRequest");
  });

  it("protobufBody round-trips a nested message with int64, enum and repeated fields", () => {
    const body = protobufBody(OrderSchema);
    const decoded = body.decode(body.encode(order));
    assert.ok(equals(OrderSchema, decoded, order));
    assert.equal(decoded.createdAtMs, 1_700_000_000_000n);
    assert.equal(decoded.items[0].title, "Umbrella");
  });

  it("protobufBody encodes a plain init object through create(), and rejects another message type", () => {
    const body = protobufBody(HelloRequestSchema);
    const init = { name: "plain" } as unknown as HelloRequest;
    assert.equal(body.decode(body.encode(init)).name, "plain");
    const other = create(HelloReplySchema, { message: "hi" });
    assert.throws(
      () => body.encode(other as unknown as HelloRequest),
      (error) =>
        error instanceof CodecError &&
        error.message ===
          "Cannot encode Protocol Buffers body: expected listenrain.example.v1.HelloRequest, got listenrain.example.v1.HelloReply",
    );
  });

  it("protobufBody with VarintPrefixedCodec is Protocol Buffers' size-delimited stream format", async () => {
    const body = protobufBody(HelloRequestSchema);
    const framing = new VarintPrefixedCodec();
    const messages = ["a", "b".repeat(200), ""].map((name) =>
      create(HelloRequestSchema, { name })
    );
    // Ours → @bufbuild/protobuf's reader.
    const ours = messages.map((m) => {
      const payload = body.encode(m);
      const parts = framing.encode([payload], payload.byteLength);
      return new Uint8Array(parts.flatMap((p) => [...p]));
    });
    const theirs = messages.map((m) =>
      sizeDelimitedEncode(HelloRequestSchema, m)
    );
    assert.deepEqual(ours, theirs);
    async function* stream() {
      yield* ours;
    }
    const read: string[] = [];
    for await (
      const m of sizeDelimitedDecodeStream(HelloRequestSchema, stream())
    ) {
      read.push(m.name);
    }
    assert.deepEqual(read, messages.map((m) => m.name));
    // @bufbuild/protobuf's writer → our decoder.
    const decoder = framing.createDecoder();
    const names: string[] = [];
    const joined = new Uint8Array(theirs.flatMap((b) => [...b]));
    decoder.decode(joined, (frame) => names.push(body.decode(frame).name));
    assert.deepEqual(names, read);
  });
});

describe("protobufAnyBody", () => {
  const registry = createRegistry(HelloRequestSchema, HelloReplySchema);
  const body = protobufAnyBody(registry);

  it("protobufAnyBody carries messages of different types, wrapped in google.protobuf.Any", () => {
    const request = create(HelloRequestSchema, { name: "rain" });
    const bytes = body.encode(request);
    const typeUrl = "type.googleapis.com/listenrain.example.v1.HelloRequest";
    // Any: field 1 type_url (string), field 2 value (bytes).
    assert.deepEqual(
      [...bytes.subarray(0, 2 + typeUrl.length)],
      [0x0a, typeUrl.length, ...new TextEncoder().encode(typeUrl)],
    );
    const decoded = body.decode(bytes);
    assert.ok(isMessage(decoded, HelloRequestSchema));
    assert.equal(decoded.name, "rain");
  });

  it("protobufAnyBody serves a route whose request and reply are different messages", async () => {
    const router = new Router().handle("hello", (m) => {
      if (!isMessage(m, HelloRequestSchema)) {
        throw new RemoteError("BAD_TYPE", "expected a HelloRequest");
      }
      return create(HelloReplySchema, { message: `hi ${m.name}`, count: 1 });
    });
    const { client, close } = peers({ router, body }, { body });
    try {
      const reply = await client.request(
        "hello",
        create(HelloRequestSchema, { name: "rain" }),
      );
      assert.ok(isMessage(reply, HelloReplySchema));
      assert.equal(reply.message, "hi rain");
      const error = await client.request(
        "hello",
        create(HelloReplySchema, { message: "wrong way" }),
      ).catch((e) => e);
      assert.ok(error instanceof RemoteError);
      assert.equal(error.remoteCode, "BAD_TYPE");
    } finally {
      await close();
    }
  });

  it("protobufAnyBody rejects types outside the registry with CodecError, both ways", () => {
    const narrow = protobufAnyBody(createRegistry(HelloRequestSchema));
    assert.throws(
      () => narrow.encode(create(HelloReplySchema)),
      (error) =>
        error instanceof CodecError &&
        error.message ===
          "Cannot encode Protocol Buffers body: listenrain.example.v1.HelloReply is not a message type of the registry",
    );
    assert.throws(
      () => narrow.decode(body.encode(create(HelloReplySchema))),
      (error) =>
        error instanceof CodecError &&
        error.message ===
          'Cannot decode Protocol Buffers body: type "type.googleapis.com/listenrain.example.v1.HelloReply" is not in the registry',
    );
    assert.throws(
      () => body.decode(new Uint8Array([0x0a, 0x09, 0x61])),
      CodecError,
    );
  });
});
