/**
 * Body codecs on a realistic message: an order with a customer, an address,
 * five line items and tags. JSON (`jsonBody`, the built-in) is the baseline;
 * against it MessagePack (`msgpackBody`, msgpackr), CBOR (`cborBody`, cbor-x)
 * and Protocol Buffers (`protobufBody(OrderSchema)`, @bufbuild/protobuf, with
 * the message generated from proto/listenrain/example/v1/example.proto).
 * Prints each encoding's size, then encode and decode speed.
 *
 * Run: node --import tsx bench/body_codec_bench.ts
 *      deno run -A bench/body_codec_bench.ts
 *      bun bench/body_codec_bench.ts
 *
 * @module
 */

import { bench, do_not_optimize, group, run, summary } from "./_mitata.ts";
import { create } from "@bufbuild/protobuf";
import { cborBody } from "../codecs/cbor.ts";
import { msgpackBody } from "../codecs/msgpack.ts";
import { protobufBody } from "../codecs/protobuf.ts";
import type { BodyCodec } from "../src/codec/body_codec.ts";
import { jsonBody } from "../src/codec/body_codec.ts";
import {
  OrderSchema,
  OrderStatus,
} from "../proto/gen/listenrain/example/v1/example_pb.ts";

/** The order as a plain object, for the schemaless codecs. */
const order = {
  id: "ord_01HZX3K9Q2V7M4N8P6R5T1W0Y",
  createdAtMs: 1_718_000_000_123,
  customer: {
    id: 48_213,
    name: "Ada Lovelace",
    email: "ada.lovelace@example.com",
    address: {
      street: "12 St James's Square",
      city: "London",
      postalCode: "SW1Y 4JH",
      country: "GB",
    },
  },
  items: [
    {
      sku: "UMB-RED-L",
      title: "Umbrella, red, large",
      quantity: 2,
      unitPrice: 24.9,
    },
    {
      sku: "BOOT-42",
      title: "Rain boots, size 42",
      quantity: 1,
      unitPrice: 59.5,
    },
    {
      sku: "COAT-M",
      title: "Waterproof coat, medium",
      quantity: 1,
      unitPrice: 129,
    },
    {
      sku: "SOCK-3P",
      title: "Wool socks, pack of 3",
      quantity: 3,
      unitPrice: 12.75,
    },
    { sku: "GIFT-BOX", title: "Gift box", quantity: 1, unitPrice: 4.5 },
  ],
  tags: ["rain", "priority", "gift", "eu-warehouse"],
  status: 2,
  total: 335.55,
  currency: "EUR",
  gift: true,
  note: "Please leave the parcel with the concierge if nobody answers.",
};

/** The same order as a generated Protocol Buffers message. */
const orderMessage = create(OrderSchema, {
  ...order,
  createdAtMs: BigInt(order.createdAtMs),
  status: OrderStatus.PAID,
});

const orderPb = protobufBody(OrderSchema);
// deno-lint-ignore no-explicit-any
const codecs: [string, BodyCodec<any>, unknown][] = [
  ["json (built-in)", jsonBody, order],
  ["msgpack (msgpackr)", msgpackBody, order],
  ["cbor (cbor-x)", cborBody, order],
  ["protobuf (@bufbuild/protobuf)", orderPb, orderMessage],
];

const encoded = new Map<string, Uint8Array>();
for (const [name, codec, value] of codecs) {
  const bytes = codec.encode(value);
  encoded.set(name, bytes);
  // Check the round trip before timing anything.
  const back = JSON.stringify(
    codec.decode(bytes),
    (_, v) => typeof v === "bigint" ? Number(v) : v,
  );
  if (!back.includes("Ada Lovelace") || !back.includes("GIFT-BOX")) {
    throw new Error(`${name} does not round-trip the order`);
  }
}
console.log("encoded size of the order:");
for (const [name, bytes] of encoded) {
  console.log(`  ${name.padEnd(30)} ${String(bytes.byteLength).padStart(5)} B`);
}

group("encode the order", () => {
  summary(() => {
    for (const [name, codec, value] of codecs) {
      const b = bench(name, () => do_not_optimize(codec.encode(value)));
      if (codec === jsonBody) b.baseline(true);
    }
  });
});

group("decode the order", () => {
  summary(() => {
    for (const [name, codec] of codecs) {
      const bytes = encoded.get(name)!;
      const b = bench(name, () => do_not_optimize(codec.decode(bytes)));
      if (codec === jsonBody) b.baseline(true);
    }
  });
});

await run();
