import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { jsonBody, rawBody, textBody } from "../../src/codec/body_codec.ts";
import { CodecError } from "../../src/errors.ts";

function isCodecError(prefix: string): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof CodecError, String(error));
    assert.equal(error.code, "ERR_CODEC");
    assert.equal(error.name, "CodecError");
    assert.ok(
      error.message.startsWith(prefix),
      `"${error.message}" starts with "${prefix}"`,
    );
    return true;
  };
}

describe("rawBody", () => {
  it("rawBody passes bytes through as the same object both ways", () => {
    assert.equal(rawBody.name, "raw");
    const bytes = new Uint8Array([1, 2, 3]);
    assert.equal(rawBody.encode(bytes), bytes);
    assert.equal(rawBody.decode(bytes), bytes);
    const empty = new Uint8Array(0);
    assert.equal(rawBody.decode(rawBody.encode(empty)), empty);
  });

  it("rawBody.encode rejects a value that is not a Uint8Array with CodecError", () => {
    for (const value of ["text", [1, 2], new ArrayBuffer(2), null]) {
      assert.throws(
        () => rawBody.encode(value as unknown as Uint8Array),
        isCodecError("Cannot encode raw body"),
      );
    }
  });
});

describe("textBody", () => {
  it("textBody round-trips UTF-8 text exactly", { timeout: 30_000 }, () => {
    assert.equal(textBody.name, "text");
    assert.deepEqual(
      [...textBody.encode("héllo")],
      [0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f],
    );
    for (const text of ["", "rain", "héllo", "日本語", "🌧️", "\uFEFFbom"]) {
      assert.equal(textBody.decode(textBody.encode(text)), text);
    }
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        assert.equal(textBody.decode(textBody.encode(text)), text);
      }),
    );
  });

  it("textBody.decode rejects invalid UTF-8 with CodecError", () => {
    for (
      const bytes of [[0xff], [0xc3], [0x61, 0xc3, 0x28], [0xed, 0xa0, 0x80]]
    ) {
      assert.throws(
        () => textBody.decode(new Uint8Array(bytes)),
        isCodecError("Cannot decode text body: invalid UTF-8"),
      );
    }
  });

  it("textBody.encode rejects a value that is not a string with CodecError", () => {
    assert.throws(
      () => textBody.encode(42 as unknown as string),
      isCodecError("Cannot encode text body"),
    );
  });
});

describe("jsonBody", () => {
  it("jsonBody round-trips JSON values", () => {
    assert.equal(jsonBody.name, "json");
    assert.equal(
      new TextDecoder().decode(jsonBody.encode({ hi: "rain", n: [1, 2] })),
      '{"hi":"rain","n":[1,2]}',
    );
    for (
      const value of [{ hi: "rain" }, [1, "two", null], "s", 0, true, null]
    ) {
      assert.deepEqual(jsonBody.decode(jsonBody.encode(value)), value);
    }
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        // JSON has no -0: it round-trips as 0.
        const expected = JSON.parse(JSON.stringify(value));
        assert.deepEqual(jsonBody.decode(jsonBody.encode(value)), expected);
      }),
    );
  });

  it("jsonBody maps undefined to an empty body and an empty body to undefined", () => {
    const empty = jsonBody.encode(undefined);
    assert.ok(empty instanceof Uint8Array);
    assert.equal(empty.byteLength, 0);
    assert.equal(jsonBody.decode(new Uint8Array(0)), undefined);
  });

  it("jsonBody.decode rejects invalid JSON and invalid UTF-8 with CodecError", () => {
    const utf8 = new TextEncoder();
    for (const text of ["{", "undefined", "{'a':1}", "1 2", " "]) {
      assert.throws(
        () => jsonBody.decode(utf8.encode(text)),
        isCodecError("Cannot decode JSON body: "),
      );
    }
    assert.throws(
      () => jsonBody.decode(new Uint8Array([0x22, 0xff, 0x22])),
      (error) =>
        isCodecError("Cannot decode JSON body: ")(error) &&
        (error as CodecError).cause instanceof TypeError,
    );
  });

  it("jsonBody.encode rejects BigInt, circular and non-JSON values with CodecError", () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const value of [10n, { n: 1n }, circular]) {
      assert.throws(
        () => jsonBody.encode(value),
        (error) =>
          isCodecError("Cannot encode JSON body: ")(error) &&
          (error as CodecError).cause instanceof TypeError,
      );
    }
    for (const value of [() => 1, Symbol("s")]) {
      assert.throws(
        () => jsonBody.encode(value),
        isCodecError("Cannot encode JSON body: "),
      );
    }
  });
});
