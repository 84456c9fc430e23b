import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cborBody, createCborBody } from "../../codecs/cbor.ts";
import { CodecError } from "../../src/errors.ts";
import { bodyCodecSuite } from "./_body_suite.ts";

describe("cborBody", () => {
  bodyCodecSuite<unknown>("cborBody", {
    codec: cborBody,
    values: [
      { id: 7, name: "rain", tags: ["a", "b"], ok: true, ratio: 0.5 },
      [1, -1, 2 ** 40, null, "é", { nested: { deep: [] } }],
      "text",
      0,
      null,
      new Date(Date.UTC(2024, 1, 29, 12)),
      new Uint8Array([1, 2, 3]),
      2n ** 70n,
    ],
    garbage: [
      new Uint8Array([0x82, 0x01]),
      new Uint8Array([0x01, 0x02]),
      new Uint8Array([0x1c]),
      new Uint8Array([0x65, 0x61]),
    ],
    emptyIsUndefined: true,
    request: { numbers: [1, 2, 3] },
    handle: (value) => ({
      sum: (value as { numbers: number[] }).numbers.reduce((s, n) => s + n, 0),
    }),
    reply: { sum: 6 },
  });

  it("cborBody writes standard CBOR (RFC 8949 examples) and reads it back", () => {
    assert.deepEqual([...cborBody.encode([1, "a"])], [0x82, 0x01, 0x61, 0x61]);
    assert.deepEqual([...cborBody.encode(-1)], [0x20]);
    // {"a": 1, "b": [2, 3]} from RFC 8949, appendix A.
    assert.deepEqual(
      cborBody.decode(
        new Uint8Array([0xa2, 0x61, 0x61, 0x01, 0x61, 0x62, 0x82, 0x02, 0x03]),
      ),
      { a: 1, b: [2, 3] },
    );
  });

  it("cborBody wraps encode failures in CodecError with the cause", () => {
    assert.throws(
      () => cborBody.encode(Symbol("nope")),
      (error) =>
        error instanceof CodecError &&
        error.message.startsWith("Cannot encode CBOR body:") &&
        error.cause instanceof Error,
    );
  });

  it("createCborBody passes cbor-x options on", () => {
    const body = createCborBody({ mapsAsObjects: false });
    const map = body.decode(body.encode(new Map([[1, "one"]])));
    assert.ok(map instanceof Map);
    assert.equal(map.get(1), "one");
    assert.equal(body.name, "cbor");
  });
});
