/**
 * The first examples a newcomer runs (examples/echo.ts, sayhi.ts,
 * protobuf.ts, msgpack.ts), each over loopback TCP with this runtime's
 * adapter, exactly as `node --import tsx examples/<name>.ts` (or `deno run
 * -A`, `bun`) runs them.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { main as echo } from "../../examples/echo.ts";
import { main as msgpack } from "../../examples/msgpack.ts";
import { main as protobuf } from "../../examples/protobuf.ts";
import { main as sayhi } from "../../examples/sayhi.ts";
import { OrderStatus } from "../../proto/gen/listenrain/example/v1/example_pb.ts";
import { within } from "../lifecycle/_helpers.ts";

const lines = () => {
  const logged: string[] = [];
  return { logged, log: (line: string) => void logged.push(line) };
};

describe("examples: echo, sayhi, protobuf, msgpack", () => {
  it("echo: four requests at once come back matched, over one connection", async () => {
    const { logged, log } = lines();
    const { replies, connections } = await within(
      20_000,
      "example",
      echo(log),
    );
    assert.deepEqual(replies, [
      "full-duplex",
      "multiplexed",
      "any order",
      "one connection",
    ]);
    assert.equal(connections, 1);
    assert.match(logged[0], /^echo server on tcp:\/\/127\.0\.0\.1:\d+$/);
  });

  it("sayhi: request, call (a state machine), notify and an error reply", async () => {
    const { logged, log } = lines();
    const result = await within(20_000, "example", sayhi(log));
    assert.deepEqual(result.sync, { message: "hi, rain", count: 1 });
    assert.deepEqual(result.async, { message: "hi, cloud", count: 2 });
    assert.deepEqual(result.visits, ["rain", "cloud"]);
    assert.equal(result.errorCode, "BAD_NAME");
    assert.ok(logged.includes("request: hi, rain (#1)"), logged.join("\n"));
  });

  it("protobuf: HelloRequest to HelloReply, and an Order priced", async () => {
    const { logged, log } = lines();
    const result = await within(20_000, "example", protobuf(log));
    assert.deepEqual(result, {
      greeting: "hi, rain",
      total: 65,
      status: OrderStatus.PAID,
    });
    assert.match(logged[0], /listenrain\.example\.v1\.HelloReply/);
  });

  it("msgpack: a Date, bytes and a 64-bit bigint survive the trip", async () => {
    const { receipt, bytes } = await within(
      20_000,
      "example",
      msgpack(() => {}),
    );
    assert.ok(receipt.storedAt instanceof Date);
    assert.equal(receipt.storedAt.toISOString(), "2024-06-01T12:00:00.001Z");
    assert.equal(receipt.sum, 31);
    assert.equal(typeof receipt.next, "bigint");
    assert.equal(receipt.next, 2n ** 53n + 8n);
    assert.equal(receipt.labels, 2);
    assert.ok(bytes > 0 && bytes < 120, `${bytes} bytes`);
  });
});
