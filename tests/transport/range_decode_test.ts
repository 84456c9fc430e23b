/**
 * The read path decodes by range (no view per frame) where the codecs can:
 * every message read in a chunk goes through `EnvelopeCodec[DECODE_RANGE]`
 * and none through `decode`; a codec made from an EnvelopeCodec that
 * changes `decode` still has its `decode` used; and requests that wait in
 * the backlog are decoded again from their place in the chunk, in order.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DECODE_RANGE } from "../../src/codec/_decode_range.ts";
import { type Envelope, EnvelopeCodec } from "../../src/codec/envelope.ts";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import { BoundedExecutor } from "../../src/executor/executor.ts";
import { Transport } from "../../src/transport/transport.ts";
import { replyOf, requestOf, sleep, transports } from "../_helpers/pair.ts";
import { readU32, u32 } from "../_helpers/bytes.ts";

describe("Reading by range", () => {
  it("decodes the messages of a chunk by range, none with decode()", async () => {
    const prototype = EnvelopeCodec.prototype;
    const decode = prototype.decode;
    const byRange = prototype[DECODE_RANGE];
    let views = 0;
    let ranges = 0;
    prototype.decode = function (payload) {
      views++;
      return decode.call(this, payload);
    };
    prototype[DECODE_RANGE] = function (bytes, start, end) {
      ranges++;
      return byRange.call(this, bytes, start, end);
    };
    try {
      const { client, close } = transports({ handler: (m) => replyOf(m.body) });
      const replies = await Promise.all(
        Array.from(
          { length: 100 },
          (_, i) => client.request(requestOf("echo", u32(i))),
        ),
      );
      assert.deepEqual(replies.map((r) => readU32(r.body)), [
        ...Array(100).keys(),
      ]);
      await close();
    } finally {
      prototype.decode = decode;
      prototype[DECODE_RANGE] = byRange;
    }
    assert.equal(views, 0);
    assert.equal(ranges, 200); // 100 requests and 100 replies
  });

  it("uses the decode() of a codec made from an EnvelopeCodec", async () => {
    const codec = new EnvelopeCodec();
    const marking = Object.assign(Object.create(codec) as EnvelopeCodec, {
      decode: (payload: Uint8Array) => ({
        ...codec.decode(payload),
        route: "marked",
      }),
    });
    const [a, b] = createMemoryPipe();
    const routes: (string | number)[] = [];
    const server = new Transport<Envelope>(a, {
      codec: marking,
      handler: (m) => {
        routes.push(m.route);
        return replyOf(m.body);
      },
    });
    const client = new Transport<Envelope>(b, { codec });
    await client.request(requestOf("echo", u32(1)));
    assert.deepEqual(routes, ["marked"]);
    await Promise.all([client.close(), server.close()]);
  });

  it(
    "takes requests that waited in the backlog from their place in the chunk, in order",
    {
      timeout: 30_000,
    },
    async () => {
      const seen: number[] = [];
      const { client, close } = transports({
        // One at a time, four queued: the rest of a chunk waits in the backlog.
        executor: new BoundedExecutor({ concurrency: 1, maxQueue: 4 }),
        handler: async (m) => {
          seen.push(readU32(m.body));
          await sleep(1);
          return replyOf(m.body);
        },
      });
      const count = 60;
      const replies = await Promise.all(
        Array.from(
          { length: count },
          (_, i) => client.request(requestOf(`r${i % 3}`, u32(i))),
        ),
      );
      assert.deepEqual(
        replies.map((r) => readU32(r.body)),
        [...Array(count).keys()],
      );
      assert.deepEqual(seen, [...Array(count).keys()]);
      await close();
    },
  );
});
