import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createMsgpackBody, msgpackBody } from "../../codecs/msgpack.ts";
import { CodecError } from "../../src/errors.ts";
import { bodyCodecSuite } from "./_body_suite.ts";

describe("msgpackBody", () => {
  bodyCodecSuite<unknown>("msgpackBody", {
    codec: msgpackBody,
    values: [
      { id: 7, name: "rain", tags: ["a", "b"], ok: true, ratio: 0.5 },
      [1, -1, 2 ** 40, null, "é", { nested: { deep: [] } }],
      "text",
      0,
      null,
      new Uint8Array([1, 2, 3]),
    ],
    garbage: [
      new Uint8Array([0xc1]),
      new Uint8Array([0x92, 0x01]),
      new Uint8Array([0x01, 0x02]),
      new Uint8Array([0xa5, 0x61]),
    ],
    emptyIsUndefined: true,
    request: { numbers: [1, 2, 3] },
    handle: (value) => ({
      sum: (value as { numbers: number[] }).numbers.reduce((s, n) => s + n, 0),
    }),
    reply: { sum: 6 },
  });

  it("msgpackBody writes standard MessagePack (no msgpackr records) and reads another encoder's maps", () => {
    assert.deepEqual(
      [...msgpackBody.encode([1, "a", null, true])],
      [0x94, 0x01, 0xa1, 0x61, 0xc0, 0xc3],
    );
    // {"a": 1} as a fixmap, as most MessagePack libraries write it.
    assert.deepEqual(
      msgpackBody.decode(new Uint8Array([0x81, 0xa1, 0x61, 0x01])),
      { a: 1 },
    );
    const bytes = msgpackBody.encode({ a: 1 });
    assert.notEqual(bytes[0], 0xd4, "not a msgpackr record extension");
  });

  it("msgpackBody wraps encode failures in CodecError with the cause", () => {
    assert.throws(
      () => msgpackBody.encode(10n ** 30n),
      (error) =>
        error instanceof CodecError &&
        error.message.startsWith("Cannot encode MessagePack body:") &&
        error.cause instanceof Error,
    );
  });

  it("createMsgpackBody passes msgpackr options on", () => {
    const body = createMsgpackBody({ int64AsType: "string" });
    assert.equal(body.decode(body.encode(2n ** 60n)), String(2n ** 60n));
    assert.equal(body.name, "msgpack");
  });
});
