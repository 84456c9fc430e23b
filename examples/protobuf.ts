/**
 * Protocol Buffers bodies: messages generated from
 * `proto/listenrain/example/v1/example.proto` by `@bufbuild/protoc-gen-es`
 * (`node scripts/gen_proto.mjs`), sent with `protobufAnyBody`, so requests
 * and replies of different types share one codec (each body is a
 * `google.protobuf.Any`). `hello` takes a `HelloRequest` and answers a
 * `HelloReply`; `order.total` takes an `Order` and answers it with its total.
 *
 * Needs `@bufbuild/protobuf` (a devDependency here; `npm install
 * @bufbuild/protobuf` in your project).
 *
 * Run (any runtime; the adapter is picked for it):
 *
 * ```sh
 * node --import tsx examples/protobuf.ts     # or: deno run -A examples/protobuf.ts, bun examples/protobuf.ts
 * ```
 *
 * @module
 */

import { create, createRegistry, isMessage } from "@bufbuild/protobuf";
import { loadAdapter } from "../adapters/runtime.ts";
import { protobufAnyBody } from "../codecs/protobuf.ts";
import { Client, RemoteError, Router, Server } from "../mod.ts";
import {
  type HelloReply,
  HelloReplySchema,
  HelloRequestSchema,
  type Order,
  OrderSchema,
  OrderStatus,
} from "../proto/gen/listenrain/example/v1/example_pb.ts";
import { isMain } from "./_main.ts";

/** Every message type that travels, for the `Any` wrapper. */
const body = protobufAnyBody(
  createRegistry(HelloRequestSchema, HelloReplySchema, OrderSchema),
);

/**
 * Serves `hello` and `order.total` over loopback TCP and calls both.
 *
 * @param log Where the lines go.
 * @returns The greeting and the order's total.
 */
export async function main(
  log: (line: string) => void = console.log,
): Promise<{ greeting: string; total: number; status: OrderStatus }> {
  const adapter = await loadAdapter(); // listenrain/adapters/{deno,bun,node}
  let greetings = 0;
  const router = new Router()
    .handle("hello", (request) => {
      if (!isMessage(request, HelloRequestSchema)) {
        throw new RemoteError("BAD_REQUEST", "hello takes a HelloRequest");
      }
      return create(HelloReplySchema, {
        message: `hi, ${request.name}`,
        count: ++greetings,
      });
    })
    .handle("order.total", (order) => {
      if (!isMessage(order, OrderSchema)) {
        throw new RemoteError("BAD_REQUEST", "order.total takes an Order");
      }
      const total = order.items.reduce(
        (sum, item) => sum + item.quantity * item.unitPrice,
        0,
      );
      return create(OrderSchema, { ...order, total, status: OrderStatus.PAID });
    });
  const server = new Server({ router, body });
  server.serve(await adapter.listen("tcp://127.0.0.1:0"));

  const client = new Client({
    endpoint: `tcp://127.0.0.1:${server.addrs[0].port}`,
    dial: (key) => adapter.dial(key.toString()),
    body,
  });
  const reply = await client.request(
    "hello",
    create(HelloRequestSchema, { name: "rain" }),
  ) as HelloReply;
  log(`hello: ${reply.message} (${reply.$typeName})`);

  const order = create(OrderSchema, {
    id: "ord-1",
    customer: { id: 42, name: "Ada" },
    items: [
      { sku: "U1", title: "Umbrella", quantity: 2, unitPrice: 12.5 },
      { sku: "B7", title: "Boots", quantity: 1, unitPrice: 40 },
    ],
    currency: "EUR",
  });
  const priced = await client.request("order.total", order) as Order;
  log(
    `order.total: ${priced.id} ${priced.total} ${priced.currency}, ` +
      `status ${OrderStatus[priced.status]} (${
        body.encode(priced).byteLength
      } bytes on the wire)`,
  );
  await client.close();
  await server.close();
  return {
    greeting: reply.message,
    total: priced.total,
    status: priced.status,
  };
}

if (isMain(import.meta)) await main();
