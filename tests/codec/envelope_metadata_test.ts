/**
 * The envelope's metadata block (flag 0x04) byte for byte: the worked
 * examples of docs/PROTOCOL.md, an envelope without metadata unchanged,
 * the limit both ways, and every malformed block a ProtocolError.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Envelope,
  ENVELOPE_KINDS,
  EnvelopeCodec,
  type EnvelopeKind,
  FLAG_METADATA,
} from "../../src/codec/envelope.ts";
import { Metadata, type MetadataValue } from "../../src/codec/metadata.ts";
import { LengthPrefixedCodec } from "../../src/framing/length_prefixed.ts";
import { CodecError, ProtocolError, RemoteError } from "../../src/errors.ts";
import { concat, hex } from "../_helpers/bytes.ts";

const codec = new EnvelopeCodec();
const utf8 = new TextEncoder();

function encode(message: Envelope, with_ = codec): Uint8Array {
  return concat(with_.encode(message));
}

/** An envelope framed the default way, as it goes on the wire. */
function wire(message: Envelope): Uint8Array {
  const payload = codec.encode(message);
  const length = payload.reduce((n, p) => n + p.byteLength, 0);
  return concat(new LengthPrefixedCodec().encode(payload, length));
}

/** The entries of decoded metadata, for deepEqual. */
function pairs(metadata: Metadata | undefined): [string, MetadataValue][] {
  return metadata === undefined ? [] : [...metadata];
}

function assertProtocolError(bytes: Uint8Array, message: RegExp): void {
  assert.throws(
    () => codec.decode(bytes),
    (error) =>
      error instanceof ProtocolError && error.code === "ERR_PROTOCOL" &&
      message.test(error.message),
  );
}

/** A reply (id 1, no route) whose metadata block is `block`, body 0x2a. */
function replyWithBlock(block: string): Uint8Array {
  return hex(`02 04 00000001 00 ${block} 2a`);
}

describe("EnvelopeCodec metadata wire format", () => {
  it("FLAG_METADATA is 0x04", () => {
    assert.equal(FLAG_METADATA, 0x04);
  });

  it("EnvelopeCodec frames the metadata worked examples of docs/PROTOCOL.md byte for byte", () => {
    // A request to "echo", id 1, 30 s deadline, body 0x2a, two text entries.
    const request: Envelope = {
      kind: "request",
      id: 1,
      route: "echo",
      timeout: 30_000,
      body: new Uint8Array([0x2a]),
      metadata: new Metadata([
        ["authorization", "Bearer 42"],
        ["x-tenant", "acme"],
      ]),
    };
    const requestBytes = hex(`0000003c 01 06 00000001 04 6563686f 00007530
      002a
      0d 617574686f72697a6174696f6e 00 0009 426561726572203432
      08 782d74656e616e74 00 0004 61636d65
      2a`);
    assert.deepEqual(wire(request), requestBytes);
    // Its reply, with one bytes entry.
    const reply: Envelope = {
      kind: "reply",
      id: 1,
      route: "",
      body: new Uint8Array([0x2a]),
      metadata: new Metadata([
        ["x-digest", new Uint8Array([0xde, 0xad, 0xbe, 0xef])],
      ]),
    };
    const replyBytes = hex(`0000001a 02 04 00000001 00
      0010 08 782d646967657374 01 0004 deadbeef
      2a`);
    assert.deepEqual(wire(reply), replyBytes);
    // Both decode back to the same entries, in order, with their types.
    const decodedRequest = codec.decode(requestBytes.subarray(4));
    assert.deepEqual(pairs(decodedRequest.metadata), [
      ["authorization", "Bearer 42"],
      ["x-tenant", "acme"],
    ]);
    assert.equal(decodedRequest.route, "echo");
    assert.equal(decodedRequest.timeout, 30_000);
    assert.deepEqual([...decodedRequest.body], [0x2a]);
    const decodedReply = codec.decode(replyBytes.subarray(4));
    assert.deepEqual(pairs(decodedReply.metadata), [
      ["x-digest", new Uint8Array([0xde, 0xad, 0xbe, 0xef])],
    ]);
    assert.deepEqual([...decodedReply.body], [0x2a]);
  });

  it("EnvelopeCodec encodes an envelope without metadata byte for byte as before: flags 0, no block", () => {
    const plain: Envelope = {
      kind: "reply",
      id: 1,
      route: "",
      body: new Uint8Array([0x2a]),
    };
    const before = hex("00000008 02 00 00000001 00 2a");
    assert.deepEqual(wire(plain), before);
    // Empty metadata is no metadata: no flag, no block.
    assert.deepEqual(wire({ ...plain, metadata: new Metadata() }), before);
    const request: Envelope = {
      kind: "request",
      id: 1,
      route: "echo",
      timeout: 30_000,
      body: new Uint8Array([0x2a]),
    };
    const requestBefore = hex(
      "00000010 01 02 00000001 04 6563686f 00007530 2a",
    );
    assert.deepEqual(wire(request), requestBefore);
    assert.deepEqual(
      wire({ ...request, metadata: new Metadata() }),
      requestBefore,
    );
    assert.equal(codec.decode(before.subarray(4)).metadata, undefined);
  });

  it("EnvelopeCodec carries metadata on request, reply, error and notify; numeric routes too", () => {
    const metadata = new Metadata([["k", "v"]]);
    const block = "0006 01 6b 00 0001 76";
    for (const kind of ["request", "notify"] as const) {
      assert.deepEqual(
        encode({ kind, id: 3, route: 7, body: new Uint8Array(0), metadata }),
        hex(`0${ENVELOPE_KINDS[kind]} 05 00000003 00000007 ${block}`),
      );
    }
    const error = codec.errorReply(
      4,
      { code: "X", message: "y" },
      new Metadata([["retry-after", "5"]]),
    );
    const bytes = encode(error);
    assert.deepEqual(
      bytes,
      concat([
        hex("03 04 00000004 00 0010 0b 72657472792d6166746572 00 0001 35"),
        utf8.encode('{"code":"X","message":"y"}'),
      ]),
    );
    const remote = codec.toError(codec.decode(bytes));
    assert.ok(remote instanceof RemoteError);
    assert.equal(remote.remoteCode, "X");
    assert.deepEqual(pairs(remote.metadata), [["retry-after", "5"]]);
    // Without metadata, an error reply is what it was.
    assert.deepEqual(
      encode(codec.errorReply(4, { code: "X", message: "y" })),
      concat([
        hex("03 00 00000004 00"),
        utf8.encode('{"code":"X","message":"y"}'),
      ]),
    );
  });

  it("EnvelopeCodec keeps repeated keys, their order, empty values and UTF-8 text", () => {
    const metadata = new Metadata([
      ["a", "1"],
      ["b.c_d-e", new Uint8Array(0)],
      ["a", "héllo €"],
      ["9", ""],
    ]);
    const message: Envelope = {
      kind: "request",
      id: 9,
      route: "r",
      body: utf8.encode("body"),
      metadata,
    };
    const decoded = codec.decode(encode(message));
    assert.deepEqual(pairs(decoded.metadata), [...metadata]);
    assert.deepEqual(decoded.metadata!.getAll("a"), ["1", "héllo €"]);
    assert.equal(new TextDecoder().decode(decoded.body), "body");
  });

  it("encode, encodedLength and encodeInto agree with metadata, also for a body over 4 KiB", () => {
    const metadata = new Metadata([["traceparent", "00-" + "a".repeat(50)]]);
    for (const size of [0, 10, 5000]) {
      const message: Envelope = {
        kind: "request",
        id: 2,
        route: "big",
        timeout: 10,
        body: new Uint8Array(size).fill(7),
        metadata,
      };
      const bytes = encode(message);
      assert.equal(codec.encodedLength(message), bytes.byteLength);
      const target = new Uint8Array(bytes.byteLength + 2);
      codec.encodeInto(message, target, 2);
      assert.deepEqual(target.subarray(2), bytes);
      assert.deepEqual(pairs(codec.decode(bytes).metadata), [...metadata]);
    }
  });
});

describe("EnvelopeCodec metadata limit (maxMetadataSize, the 2-byte length counted)", () => {
  /** Metadata whose block is exactly `size` bytes: one text entry "k". */
  const ofBlockSize = (size: number) =>
    new Metadata([["k", "x".repeat(size - 2 - 5)]]);
  const request = (metadata: Metadata): Envelope => ({
    kind: "request",
    id: 1,
    route: "r",
    body: new Uint8Array(0),
    metadata,
  });

  it("sending: a block of 8192 bytes encodes, one of 8193 is a CodecError", () => {
    assert.equal(encode(request(ofBlockSize(8192))).byteLength, 8 + 8192);
    for (const method of ["encode", "encodedLength"] as const) {
      assert.throws(
        () => codec[method](request(ofBlockSize(8193))),
        (error) =>
          error instanceof CodecError &&
          /8193 bytes exceeds maxMetadataSize 8192/.test(error.message),
      );
    }
  });

  it("receiving: a block over the limit is a ProtocolError, a block at it decodes", () => {
    const small = new EnvelopeCodec({ maxMetadataSize: 100 });
    const at = encode(request(ofBlockSize(100)), small);
    assert.equal(small.decode(at).metadata!.size, 1);
    const over = encode(request(ofBlockSize(101)));
    assert.throws(
      () => small.decode(over),
      (error) =>
        error instanceof ProtocolError &&
        /101 bytes exceeds maxMetadataSize 100/.test(error.message),
    );
    assert.throws(() => small.encode(request(ofBlockSize(101))), CodecError);
  });

  it("maxMetadataSize must be an integer of at least 2", () => {
    for (const bad of [0, 1, 1.5, NaN, -1]) {
      assert.throws(
        () => new EnvelopeCodec({ maxMetadataSize: bad }),
        RangeError,
      );
    }
  });
});

describe("EnvelopeCodec metadata decode errors", () => {
  it("a block cut off: its length, the entries, an entry's key, or a value", () => {
    assertProtocolError(hex("02 04 00000001 00"), /its length is cut off/);
    assertProtocolError(hex("02 04 00000001 00 00"), /its length is cut off/);
    assertProtocolError(replyWithBlock("0009 01 6b 00 0001"), /it is cut off/);
    assertProtocolError(
      replyWithBlock("0003 05 6b6b6b"),
      /an entry is cut off/,
    );
    assertProtocolError(replyWithBlock("0003 01 6b 00"), /an entry is cut off/);
    assertProtocolError(
      replyWithBlock("0006 01 6b 00 0005 76"),
      /the value of "k" is cut off/,
    );
  });

  it("a key of length 0", () => {
    assertProtocolError(replyWithBlock("0004 00 00 0000"), /a key is empty/);
  });

  it("a key that is not lower-case ASCII, or starts with punctuation", () => {
    for (
      const key of ["K", "-a", ".a", "_a", "a b", "a/b", "\u00e9", "a\u0000"]
    ) {
      const bytes = [...key].map((c) => c.charCodeAt(0));
      const block = [bytes.length, ...bytes, 0, 0, 0];
      const frame = concat([
        hex("02 04 00000001 00"),
        new Uint8Array([0, block.length, ...block]),
      ]);
      assertProtocolError(frame, /Invalid metadata key/);
    }
  });

  it("a value type other than 0 (text) and 1 (bytes)", () => {
    for (const type of ["02", "ff"]) {
      assertProtocolError(
        replyWithBlock(`0005 01 6b ${type} 0000`),
        /unknown value type/,
      );
    }
  });

  it("a text value that is not UTF-8", () => {
    for (const value of ["ff", "c3", "eda080"]) {
      const n = value.length / 2;
      assertProtocolError(
        replyWithBlock(
          `${(5 + n).toString(16).padStart(4, "0")} 01 6b 00 ${
            n.toString(16).padStart(4, "0")
          } ${value}`,
        ),
        /the value of "k" is not UTF-8/,
      );
    }
    // The same bytes as a bytes value are fine.
    const ok = codec.decode(replyWithBlock("0006 01 6b 01 0001 ff"));
    assert.deepEqual(pairs(ok.metadata), [["k", new Uint8Array([0xff])]]);
  });

  it("a block over the limit (length field alone, before the entries are read)", () => {
    assertProtocolError(
      replyWithBlock("1fff"),
      /8193 bytes exceeds maxMetadataSize 8192/,
    );
  });

  it("an unknown flag bit next to 0x04 is still refused", () => {
    assertProtocolError(
      hex("02 14 00000001 00 0000"),
      /unknown flags 0x14/,
    );
  });
});

describe("EnvelopeCodec metadata properties", () => {
  const kinds = Object.keys(ENVELOPE_KINDS) as EnvelopeKind[];
  const key = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/);
  const value = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.uint8Array({ maxLength: 30 }),
  );
  const envelope = fc.record({
    kind: fc.constantFrom(...kinds),
    id: fc.integer({ min: 0, max: 0xffff_ffff }),
    route: fc.oneof(fc.string({ maxLength: 20 }), fc.nat()),
    body: fc.uint8Array({ maxLength: 64 }),
    entries: fc.array(fc.tuple(key, value), { maxLength: 8 }),
  });

  it("EnvelopeCodec round-trips random envelopes with metadata", () => {
    fc.assert(
      fc.property(envelope, ({ entries, ...rest }) => {
        const message: Envelope = { ...rest, metadata: new Metadata(entries) };
        const decoded = codec.decode(encode(message));
        assert.deepEqual(pairs(decoded.metadata), entries);
        assert.deepEqual([...decoded.body], [...message.body]);
        assert.equal(decoded.route, message.route);
      }),
      { numRuns: 300 },
    );
  });
});
