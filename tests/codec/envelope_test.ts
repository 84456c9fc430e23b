import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Envelope,
  ENVELOPE_KINDS,
  ENVELOPE_MIN_SIZE,
  EnvelopeCodec,
  type EnvelopeKind,
  FLAG_METADATA,
  FLAG_NUMERIC_ROUTE,
  FLAG_STREAM,
  FLAG_TIMEOUT,
} from "../../src/codec/envelope.ts";
import { LengthPrefixedCodec } from "../../src/framing/length_prefixed.ts";
import { ProtocolError, RemoteError } from "../../src/errors.ts";
import { concat, hex } from "../_helpers/bytes.ts";

const codec = new EnvelopeCodec();
const utf8 = new TextEncoder();

function encode(message: Envelope): Uint8Array {
  return concat(codec.encode(message));
}

/** An envelope framed the default way, as it goes on the wire. */
function wire(message: Envelope): Uint8Array {
  const payload = codec.encode(message);
  const length = payload.reduce((n, p) => n + p.byteLength, 0);
  return concat(new LengthPrefixedCodec().encode(payload, length));
}

function assertProtocolError(bytes: Uint8Array, message: string): void {
  assert.throws(
    () => codec.decode(bytes),
    (error) =>
      error instanceof ProtocolError && error.code === "ERR_PROTOCOL" &&
      error.message === message,
  );
}

describe("EnvelopeCodec wire format", () => {
  it("EnvelopeCodec has the documented constants", () => {
    assert.deepEqual(ENVELOPE_KINDS, {
      request: 1,
      reply: 2,
      error: 3,
      notify: 4,
      cancel: 5,
      ping: 6,
      pong: 7,
      goaway: 8,
      stream: 9,
      stream_end: 10,
      stream_credit: 11,
      stream_reply: 12,
      reply_credit: 13,
    });
    assert.equal(FLAG_NUMERIC_ROUTE, 0x01);
    assert.equal(FLAG_TIMEOUT, 0x02);
    assert.equal(FLAG_METADATA, 0x04);
    assert.equal(FLAG_STREAM, 0x08);
    assert.equal(ENVELOPE_MIN_SIZE, 7);
  });

  it("EnvelopeCodec encodes a request with a route name byte for byte", () => {
    const bytes = encode({
      kind: "request",
      id: 7,
      route: "echo",
      body: new Uint8Array([0x2a]),
    });
    assert.deepEqual(bytes, hex("01 00 00000007 04 6563686f 2a"));
  });

  it("EnvelopeCodec encodes a request with a numeric route byte for byte", () => {
    const bytes = encode({
      kind: "request",
      id: 0x01020304,
      route: 0xa0b0c0d,
      body: new Uint8Array([0xff, 0xee]),
    });
    assert.deepEqual(bytes, hex("01 01 01020304 0a0b0c0d ffee"));
    assert.deepEqual(
      encode({ kind: "notify", id: 0, route: 0, body: new Uint8Array(0) }),
      hex("04 01 00000000 00000000"),
    );
  });

  it("EnvelopeCodec encodes a timeout after the route, rounded up and clamped to a u32", () => {
    const named = { kind: "request", id: 1, route: "a" } as const;
    assert.deepEqual(
      encode({ ...named, timeout: 1500, body: new Uint8Array([9]) }),
      hex("01 02 00000001 01 61 000005dc 09"),
    );
    assert.deepEqual(
      encode({
        kind: "request",
        id: 2,
        route: 3,
        timeout: 30_000,
        body: new Uint8Array(0),
      }),
      hex("01 03 00000002 00000003 00007530"),
    );
    const timeoutBytes = (
      timeout: number,
    ) => [
      ...encode({ ...named, timeout, body: new Uint8Array(0) }).subarray(8),
    ];
    assert.deepEqual(timeoutBytes(1.2), [0, 0, 0, 2]);
    assert.deepEqual(timeoutBytes(0), [0, 0, 0, 0]);
    assert.deepEqual(timeoutBytes(-5), [0, 0, 0, 0]);
    assert.deepEqual(timeoutBytes(2 ** 40), [0xff, 0xff, 0xff, 0xff]);
  });

  it("EnvelopeCodec encodes a reply with the 7-byte header", () => {
    assert.deepEqual(
      encode({
        kind: "reply",
        id: 0xfffffffe,
        route: "",
        body: new Uint8Array([1, 2]),
      }),
      hex("02 00 fffffffe 00 0102"),
    );
    assert.deepEqual(
      encode({ kind: "reply", id: 3, route: "", body: new Uint8Array(0) })
        .length,
      ENVELOPE_MIN_SIZE,
    );
  });

  it("EnvelopeCodec.errorReply carries {code, message} JSON and toError reads it back", () => {
    const message = codec.errorReply(5, {
      code: "UNKNOWN_ROUTE",
      message: 'No handler for route "x"',
    });
    assert.equal(message.kind, "error");
    assert.equal(message.id, 5);
    const json =
      '{"code":"UNKNOWN_ROUTE","message":"No handler for route \\"x\\""}';
    assert.deepEqual(
      encode(message),
      concat([hex("03 00 00000005 00"), utf8.encode(json)]),
    );
    const error = codec.toError(codec.decode(encode(message)));
    assert.ok(error instanceof RemoteError);
    assert.equal(error.code, "ERR_REMOTE");
    assert.equal(error.remoteCode, "UNKNOWN_ROUTE");
    assert.equal(error.message, 'No handler for route "x"');
  });

  it("EnvelopeCodec encodes ping, pong, cancel and goaway byte for byte", () => {
    assert.deepEqual(encode(codec.ping(9, false)), hex("06 00 00000009 00"));
    assert.deepEqual(encode(codec.ping(9, true)), hex("07 00 00000009 00"));
    assert.deepEqual(encode(codec.cancel(9)), hex("05 00 00000009 00"));
    assert.deepEqual(
      encode(codec.goaway("bye")),
      hex("08 00 00000000 00 627965"),
    );
  });

  it("EnvelopeCodec frames the worked examples of docs/PROTOCOL.md byte for byte", () => {
    // A request to "echo" with body 0x2a, id 1, the default 30 s deadline.
    assert.deepEqual(
      wire({
        kind: "request",
        id: 1,
        route: "echo",
        timeout: 30_000,
        body: new Uint8Array([0x2a]),
      }),
      hex("00000010 01 02 00000001 04 6563686f 00007530 2a"),
    );
    // Its reply, echoing the body.
    assert.deepEqual(
      wire({ kind: "reply", id: 1, route: "", body: new Uint8Array([0x2a]) }),
      hex("00000008 02 00 00000001 00 2a"),
    );
    // An error reply: the handler threw new Error("boom").
    const error = wire(
      codec.errorReply(1, { code: "HANDLER_ERROR", message: "boom" }),
    );
    assert.deepEqual(
      error,
      hex(`00000030 03 00 00000001 00
        7b22636f6465223a2248414e444c45525f4552524f52222c
        226d657373616765223a22626f6f6d227d`),
    );
    assert.equal(
      new TextDecoder().decode(error.subarray(11)),
      '{"code":"HANDLER_ERROR","message":"boom"}',
    );
  });

  it("EnvelopeCodec returns a body over 4096 bytes as a second part, uncopied", () => {
    // A small body is copied in after the header: one part. (Where exactly
    // the cut lies up to 4096 bytes is the codec's business.)
    const small = new Uint8Array(100).fill(1);
    const smallParts = codec.encode({
      kind: "reply",
      id: 1,
      route: "",
      body: small,
    });
    assert.equal(smallParts.length, 1);
    assert.equal(smallParts[0].length, 7 + 100);

    const large = new Uint8Array(4097).fill(2);
    const parts = codec.encode({
      kind: "request",
      id: 1,
      route: "big",
      timeout: 10,
      body: large,
    });
    assert.equal(parts.length, 2);
    assert.equal(parts[1], large, "the body is the same object");
    assert.deepEqual(parts[0], hex("01 02 00000001 03 626967 0000000a"));
    const decoded = codec.decode(concat(parts));
    assert.deepEqual(decoded.body, large);
  });
});

describe("EnvelopeCodec decode", () => {
  it("EnvelopeCodec decodes what it encodes, with the body a view of the payload", () => {
    const messages: Envelope[] = [
      { kind: "request", id: 1, route: "user.get", body: new Uint8Array([1]) },
      {
        kind: "request",
        id: 2,
        route: 42,
        timeout: 100,
        body: new Uint8Array(0),
      },
      { kind: "reply", id: 2, route: "", body: utf8.encode("héllo") },
      { kind: "notify", id: 0, route: "événement", body: new Uint8Array(3) },
      codec.errorReply(7, { code: "X", message: "y" }),
      codec.cancel(8),
      codec.ping(9, false),
      codec.ping(9, true),
      codec.goaway("shutting down"),
    ];
    for (const message of messages) {
      const payload = encode(message);
      const decoded = codec.decode(payload);
      assert.deepEqual(decoded, message);
      assert.equal(decoded.body.buffer, payload.buffer);
      assert.equal(codec.kind(decoded), message.kind);
      assert.equal(codec.id(decoded), message.id);
      assert.equal(codec.timeoutOf(decoded), message.timeout);
    }
  });

  it("EnvelopeCodec keeps a leading U+FEFF in a route name", () => {
    const message: Envelope = {
      kind: "request",
      id: 1,
      route: "\uFEFFecho",
      body: new Uint8Array(0),
    };
    const bytes = encode(message);
    assert.deepEqual(bytes, hex("01 00 00000001 07 efbbbf 6563686f"));
    assert.equal(codec.decode(bytes).route, "\uFEFFecho");
  });

  it("EnvelopeCodec.decode rejects a payload shorter than 7 bytes", () => {
    for (let length = 0; length < 7; length++) {
      assertProtocolError(
        new Uint8Array(length).fill(1),
        `Cannot decode envelope: ${length} bytes is shorter than the 7-byte header`,
      );
    }
  });

  it("EnvelopeCodec.decode rejects unknown kinds 0 and 14", () => {
    for (const kind of [0, 14, 255]) {
      assertProtocolError(
        hex(`${kind.toString(16).padStart(2, "0")} 00 00000001 00`),
        `Cannot decode envelope: unknown kind ${kind}`,
      );
    }
  });

  it("EnvelopeCodec.decode rejects unknown flag bits (0x04 is metadata: envelope_metadata_test.ts, 0x08 streams: tests/streams)", () => {
    for (const flags of ["10", "80", "1f", "ff"]) {
      assertProtocolError(
        hex(`01 ${flags} 00000001 00 00000000`),
        `Cannot decode envelope: unknown flags 0x${
          parseInt(flags, 16).toString(16)
        }`,
      );
    }
  });

  it("EnvelopeCodec.decode rejects a route, command or timeout that runs past the end", () => {
    assertProtocolError(
      hex("01 00 00000001 05 616263"),
      "Cannot decode envelope: route runs past the end (10 bytes)",
    );
    assertProtocolError(
      hex("01 01 00000001 0000"),
      "Cannot decode envelope: route command runs past the end (8 bytes)",
    );
    assertProtocolError(
      hex("01 02 00000001 01 61 000075"),
      "Cannot decode envelope: timeout runs past the end (11 bytes)",
    );
    assertProtocolError(
      hex("01 03 00000001 00000001 00"),
      "Cannot decode envelope: timeout runs past the end (11 bytes)",
    );
  });

  it("EnvelopeCodec.decode rejects a route that is not UTF-8", () => {
    for (const route of ["ff", "c3", "6162c328", "eda080"]) {
      const bytes = hex(
        `01 00 00000001 ${
          (route.length / 2).toString(16).padStart(2, "0")
        } ${route}`,
      );
      assert.throws(
        () => codec.decode(bytes),
        (error) =>
          error instanceof ProtocolError &&
          error.message === "Cannot decode envelope: route is not UTF-8" &&
          error.cause !== undefined,
      );
    }
  });

  it("EnvelopeCodec.decode names each route right while routes share the decoder's cache of recent ones", () => {
    // More routes than the cache has slots, so they collide; routes of the
    // same length that differ in one byte; UTF-8 beyond ASCII; a route read
    // again after a buffer that held it was overwritten.
    const routes = Array.from({ length: 300 }, (_, i) => `route-${i}`);
    routes.push("échó", "路由", "a", "b", "ab", "ba", "x".repeat(255));
    for (let round = 0; round < 3; round++) {
      for (const [i, route] of routes.entries()) {
        const encoded = codec.encode({
          kind: "request",
          id: i + 1,
          route,
          body: new Uint8Array([round]),
        })[0];
        const decoded = codec.decode(encoded);
        assert.equal(decoded.route, route);
        encoded.fill(0x7a); // the read buffer is reused: the name stays
        assert.equal(decoded.route, route);
      }
    }
    const bytes = hex("01 00 00000001 02 6162");
    assert.equal(codec.decode(bytes).route, "ab");
    bytes[8] = 0x63; // "ac" in the same buffer
    assert.equal(codec.decode(bytes).route, "ac");
    bytes[8] = 0xff; // not UTF-8: still refused after a hit of its length
    assert.throws(() => codec.decode(bytes), ProtocolError);
  });

  it("EnvelopeCodec.toError gives RemoteError UNKNOWN for a malformed error body", () => {
    const bodies = [
      "",
      "not json",
      "null",
      "[]",
      '{"code":1,"message":"m"}',
      '{"code":"C"}',
      '{"message":"m"}',
    ].map((text) => utf8.encode(text));
    bodies.push(new Uint8Array([0xff, 0xfe]));
    for (const body of bodies) {
      const error = codec.toError({ kind: "error", id: 1, route: "", body });
      assert.ok(error instanceof RemoteError);
      assert.equal(error.remoteCode, "UNKNOWN");
      assert.equal(error.message, "The peer sent a malformed error reply");
    }
  });
});

describe("EnvelopeCodec encode errors", () => {
  const base = { kind: "request", id: 1, body: new Uint8Array(0) } as const;

  it("EnvelopeCodec.encode throws RangeError for a route over 255 UTF-8 bytes", () => {
    assert.equal(encode({ ...base, route: "r".repeat(255) }).length, 7 + 255);
    assert.throws(
      () => encode({ ...base, route: "r".repeat(256) }),
      {
        name: "RangeError",
        message: "route must be at most 255 UTF-8 bytes, got 256",
      },
    );
    // 86 three-byte characters: 86 code units, 258 bytes.
    assert.throws(() => encode({ ...base, route: "€".repeat(86) }), RangeError);
  });

  it("EnvelopeCodec.encode throws RangeError for an id or numeric route that is not a u32", () => {
    for (const bad of [-1, 1.5, 2 ** 32, NaN, Infinity]) {
      assert.throws(() => encode({ ...base, route: "a", id: bad }), RangeError);
      assert.throws(() => encode({ ...base, route: bad }), RangeError);
    }
    assert.throws(
      () => encode({ ...base, route: "a", id: 2 ** 32 }),
      { message: "id must be a u32, got 4294967296" },
    );
    assert.throws(
      () => encode({ ...base, route: -1 }),
      { message: "route command must be a u32, got -1" },
    );
    assert.deepEqual(
      encode({ ...base, id: 0xffffffff, route: 0xffffffff }),
      hex("01 01 ffffffff ffffffff"),
    );
  });

  it("EnvelopeCodec.encode throws RangeError for an unknown kind", () => {
    // Names found on every object are not kinds either.
    for (const kind of ["bogus", "toString", "constructor", "__proto__"]) {
      assert.throws(
        () => encode({ ...base, route: "", kind: kind as EnvelopeKind }),
        RangeError,
        kind,
      );
    }
  });
});

describe("EnvelopeCodec properties", () => {
  const kinds = Object.keys(ENVELOPE_KINDS) as EnvelopeKind[];
  const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
  const envelope: fc.Arbitrary<Envelope> = fc.record({
    kind: fc.constantFrom(...kinds),
    id: u32,
    // 60 code points of at most 4 UTF-8 bytes each fit the 255-byte limit.
    route: fc.oneof(fc.string({ unit: "binary", maxLength: 60 }), u32),
    timeout: fc.option(u32, { nil: undefined }),
    body: fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.uint8Array({ minLength: 4000, maxLength: 5000 }),
    ),
  }).map(({ timeout, ...rest }) =>
    // A plain object (fc.record's have a null prototype), without an
    // undefined `timeout` key, as decode returns it.
    timeout === undefined ? { ...rest } : { ...rest, timeout }
  );

  it("EnvelopeCodec round-trips random envelopes", () => {
    fc.assert(
      fc.property(envelope, (message) => {
        const decoded = codec.decode(encode(message));
        assert.deepEqual(decoded, message);
      }),
      { numRuns: 300 },
    );
  });

  it("EnvelopeCodec.encodeInto writes encode's bytes, in encodedLength bytes, at any offset", () => {
    fc.assert(
      fc.property(envelope, fc.nat(16), (message, offset) => {
        const expected = encode(message);
        const length = codec.encodedLength(message);
        assert.equal(length, expected.byteLength);
        const target = new Uint8Array(offset + length + 3).fill(0xee);
        codec.encodeInto(message, target, offset);
        assert.deepEqual(target.subarray(offset, offset + length), expected);
        assert.ok(target.subarray(0, offset).every((b) => b === 0xee));
        assert.ok(target.subarray(offset + length).every((b) => b === 0xee));
      }),
      { numRuns: 300 },
    );
  });

  it("EnvelopeCodec.encodedLength checks what encode checks", () => {
    const bad: Envelope[] = [
      { kind: "request", id: -1, route: "a", body: new Uint8Array(0) },
      { kind: "request", id: 1, route: 2 ** 32, body: new Uint8Array(0) },
      {
        kind: "request",
        id: 1,
        route: "x".repeat(256),
        body: new Uint8Array(0),
      },
      {
        kind: "nope" as EnvelopeKind,
        id: 1,
        route: "a",
        body: new Uint8Array(0),
      },
    ];
    for (const message of bad) {
      assert.throws(() => codec.encode(message), RangeError);
      assert.throws(() => codec.encodedLength(message), RangeError);
    }
  });

  it("EnvelopeCodec.decode of random bytes returns an envelope or throws ProtocolError", () => {
    // Half the inputs start with a valid kind and flags, to reach the later checks.
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.tuple(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 7 }),
        fc.uint8Array({ maxLength: 40 }),
      ).map(([kind, flags, rest]) => new Uint8Array([kind, flags, ...rest])),
    );
    fc.assert(
      fc.property(bytes, (input) => {
        try {
          const message = codec.decode(input);
          assert.ok(kinds.includes(message.kind));
          // Metadata compared by its entries (an empty block is none).
          const { metadata, ...rest } = codec.decode(encode(message));
          const { metadata: expected, ...expectedRest } = message;
          assert.deepEqual(rest, expectedRest);
          assert.deepEqual([...metadata ?? []], [...expected ?? []]);
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
