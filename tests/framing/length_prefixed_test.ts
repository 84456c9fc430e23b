import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DEFAULT_MAX_FRAME_SIZE,
  LengthPrefixedCodec,
  type LengthPrefixedOptions,
} from "../../src/framing/length_prefixed.ts";
import { assertTooLarge, cut, decodeAll, pattern } from "./_helpers.ts";
import { FrameTooLargeError, ProtocolError } from "../../src/errors.ts";

/** Copies the parts of one encoded frame into one array. */
function frameBytes(codec: LengthPrefixedCodec, payload: Uint8Array): number[] {
  const parts = codec.encode([payload], payload.byteLength);
  return parts.flatMap((part) => [...part]);
}

/** Every header size, byte order and includeHeader combination. */
const CONFIGS: LengthPrefixedOptions[] = ([1, 2, 4, 8] as const).flatMap((
  headerSize,
) =>
  [false, true].flatMap((littleEndian) =>
    [false, true].map((includeHeader) => ({
      headerSize,
      littleEndian,
      includeHeader,
    }))
  )
);

describe("LengthPrefixedCodec encode", () => {
  it("LengthPrefixedCodec defaults to the Go seed's u32 big-endian header and 16 MiB limit", () => {
    const codec = new LengthPrefixedCodec();
    assert.equal(codec.headerSize, 4);
    assert.equal(codec.littleEndian, false);
    assert.equal(codec.includeHeader, false);
    assert.equal(codec.maxFrameSize, 16 * 1024 * 1024);
    assert.equal(DEFAULT_MAX_FRAME_SIZE, 16777216);
  });

  it("LengthPrefixedCodec.encode returns [header, ...payload] with exact header bytes", () => {
    const codec = new LengthPrefixedCodec();
    const a = new Uint8Array([1, 2, 3]);
    const b = new Uint8Array([4, 5]);
    const parts = codec.encode([a, b], 5);
    assert.equal(parts.length, 3);
    assert.deepEqual([...parts[0]], [0x00, 0x00, 0x00, 0x05]);
    assert.equal(parts[1], a, "payload parts are passed through uncopied");
    assert.equal(parts[2], b);

    const big = new Uint8Array(0x010203);
    const [header] = codec.encode([big], big.byteLength);
    assert.deepEqual([...header], [0x00, 0x01, 0x02, 0x03]);
    assert.deepEqual([...codec.encode([], 0)[0]], [0x00, 0x00, 0x00, 0x00]);
    assert.deepEqual(
      [...codec.encode([], 0x00ff_fffe)[0]],
      [0x00, 0xff, 0xff, 0xfe],
    );
  });

  it("LengthPrefixedCodec.encode throws FrameTooLargeError above maxFrameSize", () => {
    const codec = new LengthPrefixedCodec({ maxFrameSize: 100 });
    assert.equal(codec.encode([new Uint8Array(100)], 100).length, 2);
    assert.throws(
      () => codec.encode([new Uint8Array(101)], 101),
      (error) => assertTooLarge(error, 101, 100, "encode"),
    );
    assert.throws(
      () => new LengthPrefixedCodec().encode([], DEFAULT_MAX_FRAME_SIZE + 1),
      (error) =>
        assertTooLarge(
          error,
          DEFAULT_MAX_FRAME_SIZE + 1,
          DEFAULT_MAX_FRAME_SIZE,
          "encode",
        ),
    );
  });

  it("LengthPrefixedCodec writes 1-, 2- and 8-byte headers in either byte order", () => {
    const cases: [LengthPrefixedOptions, number, number[]][] = [
      [{ headerSize: 1 }, 200, [0xc8]],
      [{ headerSize: 2 }, 0x1234, [0x12, 0x34]],
      [{ headerSize: 2, littleEndian: true }, 0x1234, [0x34, 0x12]],
      [{ headerSize: 4, littleEndian: true }, 0x010203, [3, 2, 1, 0]],
      [{ headerSize: 8 }, 0x010203, [0, 0, 0, 0, 0, 1, 2, 3]],
      [
        { headerSize: 8, littleEndian: true },
        0x010203,
        [3, 2, 1, 0, 0, 0, 0, 0],
      ],
      [{ headerSize: 4, includeHeader: true }, 0, [0, 0, 0, 4]],
      [{ headerSize: 2, includeHeader: true }, 300, [0x01, 0x2e]],
      [{ headerSize: 1, includeHeader: true }, 254, [0xff]],
    ];
    for (const [options, length, header] of cases) {
      const codec = new LengthPrefixedCodec(options);
      const [bytes] = codec.encode([new Uint8Array(length)], length);
      assert.deepEqual([...bytes], header, JSON.stringify(options));
    }
  });
});

describe("LengthPrefixedCodec decode", () => {
  it("FrameDecoder decodes many frames in one chunk, each a view of the chunk", () => {
    const codec = new LengthPrefixedCodec();
    const payloads = [[1], [2, 3], [], [4, 5, 6], [7]];
    const chunk = new Uint8Array(
      payloads.flatMap((p) => frameBytes(codec, new Uint8Array(p))),
    );
    const frames: Uint8Array[] = [];
    codec.createDecoder().decode(chunk, (frame) => frames.push(frame));
    assert.deepEqual(frames.map((f) => [...f]), payloads);
    for (const frame of frames) {
      assert.equal(frame.buffer, chunk.buffer, "no copy: a view of the chunk");
    }
    assert.equal(frames[3].byteOffset, 4 + 1 + 4 + 2 + 4 + 4);
  });

  it("FrameDecoder joins a frame split across three chunks", () => {
    const codec = new LengthPrefixedCodec();
    const payload = pattern(1000);
    const bytes = new Uint8Array(frameBytes(codec, payload));
    const decoder = codec.createDecoder();
    const frames: Uint8Array[] = [];
    const onFrame = (frame: Uint8Array) => frames.push(frame);
    decoder.decode(bytes.slice(0, 300), onFrame);
    assert.equal(frames.length, 0);
    assert.equal(decoder.bufferedBytes, 296);
    decoder.decode(bytes.slice(300, 700), onFrame);
    assert.equal(frames.length, 0);
    assert.equal(decoder.bufferedBytes, 696);
    decoder.decode(bytes.slice(700), onFrame);
    assert.equal(frames.length, 1);
    assert.deepEqual(frames[0], payload);
    assert.equal(decoder.bufferedBytes, 0);
  });

  it("FrameDecoder decodes frames fed one byte at a time, including a 100 KiB frame", () => {
    const codec = new LengthPrefixedCodec();
    const payloads = [pattern(5), new Uint8Array(0), pattern(100 * 1024, 7)];
    const bytes = new Uint8Array(
      payloads.flatMap((p) => frameBytes(codec, p)),
    );
    const decoder = codec.createDecoder();
    const frames: Uint8Array[] = [];
    for (let i = 0; i < bytes.byteLength; i++) {
      decoder.decode(bytes.subarray(i, i + 1), (frame) => frames.push(frame));
    }
    assert.equal(frames.length, 3);
    for (let i = 0; i < 3; i++) assert.deepEqual(frames[i], payloads[i]);
    assert.equal(decoder.bufferedBytes, 0);
  });

  it("FrameDecoder decodes zero-length frames, alone, in a row and after a split header", () => {
    const codec = new LengthPrefixedCodec();
    assert.deepEqual(
      decodeAll(codec.createDecoder(), [new Uint8Array(12)]),
      [[], [], []],
    );
    const decoder = codec.createDecoder();
    assert.deepEqual(decodeAll(decoder, [new Uint8Array(2)]), []);
    assert.equal(decoder.bufferedBytes, 2);
    assert.deepEqual(decodeAll(decoder, [new Uint8Array(2)]), [[]]);
    assert.equal(decoder.bufferedBytes, 0);
  });

  it("FrameDecoder joins a header split across chunks", () => {
    const codec = new LengthPrefixedCodec();
    const bytes = new Uint8Array([
      ...frameBytes(codec, new Uint8Array([9, 8, 7])),
      ...frameBytes(codec, new Uint8Array([6])),
    ]);
    // [0, 0, 0, 3, 9, 8, 7, 0, 0, 0, 1, 6]: cut inside both headers.
    const decoder = codec.createDecoder();
    const frames = decodeAll(decoder, [
      bytes.slice(0, 1),
      bytes.slice(1, 3),
      bytes.slice(3, 9),
      bytes.slice(9),
    ]);
    assert.deepEqual(frames, [[9, 8, 7], [6]]);
  });

  it("FrameDecoder passes a payload that arrives whole after its header as a view", () => {
    const codec = new LengthPrefixedCodec();
    const decoder = codec.createDecoder();
    const frames: Uint8Array[] = [];
    decoder.decode(new Uint8Array([0, 0, 0, 3]), (f) => frames.push(f));
    const body = new Uint8Array([1, 2, 3, 0, 0]);
    decoder.decode(body, (f) => frames.push(f));
    assert.deepEqual([...frames[0]], [1, 2, 3]);
    assert.equal(frames[0].buffer, body.buffer);
    assert.equal(decoder.bufferedBytes, 2);
  });

  it("FrameDecoder throws FrameTooLargeError for a length one over maxFrameSize before buffering any payload", () => {
    const codec = new LengthPrefixedCodec({ maxFrameSize: 1024 });
    // At the limit: accepted.
    const ok = codec.createDecoder();
    ok.decode(new Uint8Array([0, 0, 0x04, 0x00, 1, 2]), () => {});
    assert.equal(ok.bufferedBytes, 2);

    // One over, with payload bytes in the same chunk.
    const chunk = new Uint8Array(4 + 512);
    chunk.set([0, 0, 0x04, 0x01]);
    const decoder = codec.createDecoder();
    assert.throws(
      () => decoder.decode(chunk, () => assert.fail("no frame")),
      (error) => assertTooLarge(error, 1025, 1024),
    );
    assert.ok(decoder.bufferedBytes <= 4, `${decoder.bufferedBytes} buffered`);

    // One over, the header fed one byte at a time: the 4th byte throws.
    const byByte = codec.createDecoder();
    for (const byte of [0, 0, 0x04]) {
      byByte.decode(new Uint8Array([byte]), () => {});
    }
    assert.equal(byByte.bufferedBytes, 3);
    assert.throws(
      () => byByte.decode(new Uint8Array([0x01]), () => {}),
      (error) => assertTooLarge(error, 1025, 1024),
    );
    assert.ok(byByte.bufferedBytes <= 4);
  });

  it("FrameDecoder rejects a 4 GiB length field (0xFFFFFFFF) at once", () => {
    const decoder = new LengthPrefixedCodec().createDecoder();
    assert.throws(
      () =>
        decoder.decode(new Uint8Array([0xff, 0xff, 0xff, 0xff, 1]), () => {}),
      (error) => assertTooLarge(error, 0xffff_ffff, DEFAULT_MAX_FRAME_SIZE),
    );
    assert.ok(decoder.bufferedBytes <= 4);
  });

  it("FrameDecoder rejects an 8-byte length above 2^53 as too large", () => {
    const decoder = new LengthPrefixedCodec({ headerSize: 8 }).createDecoder();
    assert.throws(
      () => decoder.decode(new Uint8Array(8).fill(0xff), () => {}),
      (error) =>
        error instanceof FrameTooLargeError &&
        error.maxFrameSize === DEFAULT_MAX_FRAME_SIZE,
    );
  });

  it("FrameDecoder reads 1-, 2- and 8-byte headers in either byte order", () => {
    const cases: [LengthPrefixedOptions, number[]][] = [
      [{ headerSize: 1 }, [2, 0xaa, 0xbb]],
      [{ headerSize: 2 }, [0, 2, 0xaa, 0xbb]],
      [{ headerSize: 2, littleEndian: true }, [2, 0, 0xaa, 0xbb]],
      [{ headerSize: 4, littleEndian: true }, [2, 0, 0, 0, 0xaa, 0xbb]],
      [{ headerSize: 8 }, [0, 0, 0, 0, 0, 0, 0, 2, 0xaa, 0xbb]],
      [
        { headerSize: 8, littleEndian: true },
        [2, 0, 0, 0, 0, 0, 0, 0, 0xaa, 0xbb],
      ],
      [{ headerSize: 1, includeHeader: true }, [3, 0xaa, 0xbb]],
      [{ headerSize: 4, includeHeader: true }, [0, 0, 0, 6, 0xaa, 0xbb]],
    ];
    for (const [options, bytes] of cases) {
      const decoder = new LengthPrefixedCodec(options).createDecoder();
      assert.deepEqual(
        decodeAll(decoder, [new Uint8Array(bytes)]),
        [[0xaa, 0xbb]],
        JSON.stringify(options),
      );
    }
  });

  it("FrameDecoder with includeHeader rejects a length smaller than the header with ProtocolError", () => {
    const codec = new LengthPrefixedCodec({ includeHeader: true });
    assert.deepEqual(
      decodeAll(codec.createDecoder(), [new Uint8Array([0, 0, 0, 4])]),
      [[]],
      "a length equal to the header is an empty frame",
    );
    const decoder = codec.createDecoder();
    assert.throws(
      () => decoder.decode(new Uint8Array([0, 0, 0, 3]), () => {}),
      (error) =>
        error instanceof ProtocolError &&
        !(error instanceof FrameTooLargeError) &&
        error.code === "ERR_PROTOCOL" &&
        error.message ===
          "Cannot decode frame: length 3 is smaller than its 4-byte header",
    );
    assert.throws(
      () =>
        new LengthPrefixedCodec({ headerSize: 1, includeHeader: true })
          .createDecoder().decode(new Uint8Array([0]), () => {}),
      ProtocolError,
    );
  });

  it("FrameDecoder with includeHeader checks maxFrameSize against the payload length", () => {
    const codec = new LengthPrefixedCodec({
      includeHeader: true,
      maxFrameSize: 10,
    });
    assert.deepEqual(
      decodeAll(codec.createDecoder(), [
        new Uint8Array([0, 0, 0, 14, ...new Uint8Array(10)]),
      ]).map((f) => f.length),
      [10],
    );
    assert.throws(
      () =>
        codec.createDecoder().decode(new Uint8Array([0, 0, 0, 15]), () => {}),
      (error) => assertTooLarge(error, 11, 10),
    );
  });
});

describe("LengthPrefixedCodec options", () => {
  it("LengthPrefixedCodec defaults maxFrameSize to what the header can hold", () => {
    assert.equal(new LengthPrefixedCodec({ headerSize: 1 }).maxFrameSize, 255);
    assert.equal(
      new LengthPrefixedCodec({ headerSize: 1, includeHeader: true })
        .maxFrameSize,
      254,
    );
    assert.equal(
      new LengthPrefixedCodec({ headerSize: 2 }).maxFrameSize,
      65535,
    );
    assert.equal(
      new LengthPrefixedCodec({ headerSize: 8 }).maxFrameSize,
      DEFAULT_MAX_FRAME_SIZE,
    );
  });

  it("LengthPrefixedCodec rejects out-of-range options with RangeError", () => {
    const bad: LengthPrefixedOptions[] = [
      { headerSize: 3 as 4 },
      { headerSize: 0 as 4 },
      { maxFrameSize: -1 },
      { maxFrameSize: 1.5 },
      { maxFrameSize: NaN },
      { maxFrameSize: Infinity },
      { headerSize: 4, maxFrameSize: 2 ** 32 },
      { headerSize: 4, includeHeader: true, maxFrameSize: 2 ** 32 - 4 },
      { headerSize: 2, maxFrameSize: 65536 },
      { headerSize: 1, maxFrameSize: 256 },
      { headerSize: 1, includeHeader: true, maxFrameSize: 255 },
      { headerSize: 8, maxFrameSize: Number.MAX_SAFE_INTEGER + 1 },
    ];
    for (const options of bad) {
      assert.throws(
        () => new LengthPrefixedCodec(options),
        RangeError,
        JSON.stringify(options),
      );
    }
    assert.throws(
      () => new LengthPrefixedCodec({ headerSize: 3 as 4 }),
      { message: "headerSize must be 1, 2, 4 or 8, got 3" },
    );
    assert.equal(new LengthPrefixedCodec({ maxFrameSize: 0 }).maxFrameSize, 0);
    assert.equal(
      new LengthPrefixedCodec({ headerSize: 4, maxFrameSize: 2 ** 32 - 1 })
        .maxFrameSize,
      2 ** 32 - 1,
    );
  });
});

describe("LengthPrefixedCodec properties", () => {
  it(
    "LengthPrefixedCodec round-trips any payloads cut into any chunks, in every configuration",
    { timeout: 30_000 },
    () => {
      for (const options of CONFIGS) {
        const codec = new LengthPrefixedCodec(options);
        const maxLength = Math.min(2000, codec.maxFrameSize);
        fc.assert(
          fc.property(
            fc.array(fc.uint8Array({ maxLength, size: "max" }), {
              maxLength: 12,
            }),
            fc.array(fc.nat(), { maxLength: 30 }),
            (payloads, points) => {
              const bytes = new Uint8Array(
                payloads.flatMap((p) => frameBytes(codec, p)),
              );
              const chunks = cut(
                bytes,
                points.map((p) => p % (bytes.length + 1)),
              );
              const decoder = codec.createDecoder();
              const frames = decodeAll(decoder, chunks);
              assert.deepEqual(frames, payloads.map((p) => [...p]));
              assert.equal(decoder.bufferedBytes, 0);
            },
          ),
          { numRuns: 60 },
        );
      }
    },
  );

  it("FrameDecoder fed random bytes in random chunks throws nothing but ProtocolError", () => {
    for (const options of CONFIGS) {
      const codec = new LengthPrefixedCodec({ ...options, maxFrameSize: 64 });
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 600, size: "max" }),
          fc.array(fc.nat(), { maxLength: 20 }),
          (bytes, points) => {
            const decoder = codec.createDecoder();
            try {
              for (
                const chunk of cut(
                  bytes,
                  points.map((p) => p % (bytes.length + 1)),
                )
              ) {
                decoder.decode(chunk, (frame) => {
                  assert.ok(frame.byteLength <= 64);
                });
                assert.ok(decoder.bufferedBytes < codec.headerSize + 64);
              }
            } catch (error) {
              if (!(error instanceof ProtocolError)) throw error;
            }
          },
        ),
        { numRuns: 60 },
      );
    }
  });

  it("LengthPrefixedCodec.writeHeader writes encode's header, after headerLength checks the size", () => {
    for (const headerSize of [1, 2, 4, 8] as const) {
      for (const littleEndian of [false, true]) {
        for (const includeHeader of [false, true]) {
          const codec = new LengthPrefixedCodec({
            headerSize,
            littleEndian,
            includeHeader,
            maxFrameSize: 200,
          });
          for (const length of [0, 1, 77, 200]) {
            const [header] = codec.encode([new Uint8Array(length)], length);
            assert.equal(codec.headerLength(length), headerSize);
            const target = new Uint8Array(headerSize + 2).fill(0xee);
            codec.writeHeader(target, 1, length);
            assert.deepEqual(target.subarray(1, 1 + headerSize), header);
            assert.equal(target[0], 0xee);
            assert.equal(target[headerSize + 1], 0xee);
          }
          assert.throws(
            () => codec.headerLength(201),
            (error) => assertTooLarge(error, 201, 200, "encode"),
          );
        }
      }
    }
  });
});
