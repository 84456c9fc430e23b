import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DelimitedCodec } from "../../src/framing/delimited.ts";
import { DEFAULT_MAX_FRAME_SIZE } from "../../src/framing/length_prefixed.ts";
import { FrameTooLargeError, ProtocolError } from "../../src/errors.ts";
import { assertTooLarge, cut, decodeAll } from "./_helpers.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const lines = (frames: number[][]): string[] =>
  frames.map((f) => new TextDecoder().decode(new Uint8Array(f)));

describe("DelimitedCodec encode", () => {
  it("DelimitedCodec defaults to \\n and appends its delimiter to the payload parts", () => {
    const codec = new DelimitedCodec();
    assert.deepEqual([...codec.delimiter], [10]);
    assert.equal(codec.maxFrameSize, DEFAULT_MAX_FRAME_SIZE);
    const a = text("ab");
    const b = text("c");
    const parts = codec.encode([a, b], 3);
    assert.equal(parts.length, 3);
    assert.equal(parts[0], a);
    assert.equal(parts[1], b);
    assert.deepEqual([...parts[2]], [10]);
  });

  it("DelimitedCodec takes a string delimiter as UTF-8 and a byte delimiter as a copy", () => {
    assert.deepEqual([...new DelimitedCodec({ delimiter: "\r\n" }).delimiter], [
      13,
      10,
    ]);
    assert.deepEqual([...new DelimitedCodec({ delimiter: "¶" }).delimiter], [
      0xc2,
      0xb6,
    ]);
    const bytes = new Uint8Array([0, 0xff]);
    const codec = new DelimitedCodec({ delimiter: bytes });
    bytes[0] = 7;
    assert.deepEqual([...codec.delimiter], [0, 0xff]);
  });

  it("DelimitedCodec.encode rejects a payload that contains the delimiter, also across parts", () => {
    const codec = new DelimitedCodec({ delimiter: "\r\n" });
    assert.throws(
      () => codec.encode([text("a\r\nb")], 4),
      (error) =>
        error instanceof ProtocolError &&
        error.message ===
          "Cannot encode frame: the payload contains the delimiter (ending at byte 3)",
    );
    assert.throws(() => codec.encode([text("a\r"), text("\nb")], 4), {
      message:
        "Cannot encode frame: the payload contains the delimiter (ending at byte 3)",
    });
    // A trailing "\r" is fine: the receiver finds "\r\n" one byte later.
    assert.equal(codec.encode([text("a\r")], 2).length, 2);
    assert.throws(
      () => new DelimitedCodec().encode([text("x\ny")], 3),
      ProtocolError,
    );
  });

  it("DelimitedCodec.encode rejects a payload whose end runs into the delimiter", () => {
    // "ab" + "aba" = "ababa": the receiver would find "aba" at byte 0.
    const codec = new DelimitedCodec({ delimiter: "aba" });
    assert.throws(() => codec.encode([text("ab")], 2), {
      name: "ProtocolError",
      message:
        "Cannot encode frame: the payload ends with bytes that run into the delimiter",
    });
    assert.equal(codec.encode([text("abb")], 3).length, 2);
  });

  it("DelimitedCodec.encode skips the check with checkPayload: false, and enforces maxFrameSize", () => {
    const unchecked = new DelimitedCodec({ checkPayload: false });
    assert.equal(unchecked.encode([text("a\nb")], 3).length, 2);
    const small = new DelimitedCodec({ maxFrameSize: 4 });
    assert.equal(small.encode([text("abcd")], 4).length, 2);
    assert.throws(
      () => small.encode([text("abcde")], 5),
      (error) => assertTooLarge(error, 5, 4, "encode"),
    );
  });

  it("DelimitedCodec rejects an empty delimiter and a bad maxFrameSize with RangeError", () => {
    assert.throws(() => new DelimitedCodec({ delimiter: "" }), RangeError);
    assert.throws(
      () => new DelimitedCodec({ delimiter: new Uint8Array(0) }),
      RangeError,
    );
    for (const maxFrameSize of [-1, 0.5, NaN, Infinity]) {
      assert.throws(() => new DelimitedCodec({ maxFrameSize }), RangeError);
    }
  });
});

describe("DelimitedCodec decode", () => {
  it("DelimitedCodec decoder passes lines inside one chunk as views, empty lines too", () => {
    const chunk = text("one\n\ntwo\nthr");
    const decoder = new DelimitedCodec().createDecoder();
    const frames: Uint8Array[] = [];
    decoder.decode(chunk, (frame) => frames.push(frame));
    assert.deepEqual(lines(frames.map((f) => [...f])), ["one", "", "two"]);
    for (const frame of frames) assert.equal(frame.buffer, chunk.buffer);
    assert.equal(decoder.bufferedBytes, 3);
    const rest: number[][] = [];
    decoder.decode(text("ee\n"), (frame) => rest.push([...frame]));
    assert.deepEqual(lines(rest), ["three"]);
    assert.equal(decoder.bufferedBytes, 0);
  });

  it("DelimitedCodec decoder drops empty frames with skipEmpty", () => {
    const decoder = new DelimitedCodec({ skipEmpty: true, delimiter: "\r\n" })
      .createDecoder();
    assert.deepEqual(
      lines(decodeAll(decoder, [text("\r\na\r\n\r\n\r"), text("\nb\r\n")])),
      ["a", "b"],
    );
  });

  it("DelimitedCodec decoder finds \\r\\n split between chunks, and keeps a lone \\r", () => {
    const decoder = new DelimitedCodec({ delimiter: "\r\n" }).createDecoder();
    const frames = decodeAll(decoder, [
      text("a\rb\r"),
      text("\nc\r"),
      text("\r"),
      text("\n"),
    ]);
    assert.deepEqual(lines(frames), ["a\rb", "c\r"]);
    assert.equal(decoder.bufferedBytes, 0);
  });

  it("DelimitedCodec decoder handles self-overlapping delimiters (Knuth–Morris–Pratt)", () => {
    const cases: [string, string, string[]][] = [
      ["aab", "aaab", ["a"]],
      ["abab", "abaabababab", ["aba", ""]],
      ["abcabd", "abcabcabdX", ["abc"]],
      ["aaa", "aaaaaaaa", ["", ""]],
    ];
    for (const [delimiter, input, expected] of cases) {
      const codec = new DelimitedCodec({ delimiter });
      // Whole, and fed one byte at a time.
      assert.deepEqual(
        lines(decodeAll(codec.createDecoder(), [text(input)])),
        expected,
        `${delimiter} in ${input}`,
      );
      const bytes = text(input);
      const oneByOne = cut(bytes, [...bytes.keys()]);
      assert.deepEqual(
        lines(decodeAll(codec.createDecoder(), oneByOne)),
        expected,
        `${delimiter} in ${input}, byte by byte`,
      );
    }
  });

  it("DelimitedCodec decoder passes a line whose delimiter arrives in the next chunk as a view", () => {
    const decoder = new DelimitedCodec({ delimiter: "\r\n" }).createDecoder();
    const first = text("hello\r");
    const frames: Uint8Array[] = [];
    decoder.decode(first, (frame) => frames.push(frame));
    decoder.decode(text("\n"), (frame) => frames.push(frame));
    assert.equal(new TextDecoder().decode(frames[0]), "hello");
    assert.equal(frames[0].buffer, first.buffer);
  });

  it("DelimitedCodec decoder throws FrameTooLargeError for a line over maxFrameSize before buffering it", () => {
    const codec = new DelimitedCodec({ maxFrameSize: 10 });
    // Exactly 10 bytes: fine, in pieces too.
    assert.deepEqual(
      lines(decodeAll(codec.createDecoder(), [text("01234"), text("56789\n")])),
      ["0123456789"],
    );
    // 11 bytes and no newline yet: rejected without keeping them.
    const decoder = codec.createDecoder();
    decoder.decode(text("0123456"), () => {});
    assert.equal(decoder.bufferedBytes, 7);
    assert.throws(
      () => decoder.decode(text("7890"), () => {}),
      (error) => assertTooLarge(error, 11, 10),
    );
    assert.equal(decoder.bufferedBytes, 7, "the chunk was not kept");
    // An overlong line that ends inside the chunk.
    assert.throws(
      () => codec.createDecoder().decode(text("0123456789A\n"), () => {}),
      (error) => assertTooLarge(error, 11, 10),
    );
  });

  it("DelimitedCodec decoder lets a partial delimiter sit past maxFrameSize", () => {
    // 10 bytes then "\r": the "\r" may start the delimiter, so it waits.
    const codec = new DelimitedCodec({ maxFrameSize: 10, delimiter: "\r\n" });
    const decoder = codec.createDecoder();
    decoder.decode(text("0123456789\r"), () => assert.fail("no frame yet"));
    assert.equal(decoder.bufferedBytes, 11);
    assert.deepEqual(lines(decodeAll(decoder, [text("\n")])), ["0123456789"]);
    const over = codec.createDecoder();
    over.decode(text("0123456789\r"), () => {});
    assert.throws(() => over.decode(text("x"), () => {}), FrameTooLargeError);
  });

  it("DelimitedCodec decoder with a one-byte delimiter of any value", () => {
    const decoder = new DelimitedCodec({ delimiter: new Uint8Array([0]) })
      .createDecoder();
    assert.deepEqual(
      decodeAll(decoder, [
        new Uint8Array([1, 2, 0, 0, 3]),
        new Uint8Array([0]),
      ]),
      [[1, 2], [], [3]],
    );
  });
});
