/**
 * Bad metadata from a peer, over TCP on 127.0.0.1 and over the memory
 * network: a block cut off, a key of length 0, a key that is not lower-case
 * ASCII, an unknown value type, a text value that is not UTF-8, a block over
 * maxMetadataSize. Each is a ProtocolError that closes only that connection;
 * a client on another connection keeps sending metadata and getting it back,
 * and a bystander keeps completing requests throughout. Sending metadata over
 * the limit rejects locally with a CodecError and sends nothing.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Metadata } from "../../src/codec/metadata.ts";
import { CodecError, ProtocolError } from "../../src/errors.ts";
import {
  attack,
  closedBy,
  networks,
  nextError,
  type Setup,
} from "./_attack.ts";
import { FrameReader, lengthPrefixed, writeRaw } from "./_helpers.ts";
import { hex } from "../_helpers/bytes.ts";

function u16(n: number): string {
  return n.toString(16).padStart(4, "0");
}

/** A framed request to "metadata", id 1, whose block is `block`, body `1`. */
function requestWithBlock(block: string): Uint8Array {
  return lengthPrefixed(
    hex(`01 04 00000001 08 6d65746164617461 ${block} 31`),
  );
}

/** One entry: key `key` (given as hex), type, value (hex). */
function entry(key: string, type: number, value: string): string {
  return `${(key.length / 2).toString(16).padStart(2, "0")} ${key} ${
    type.toString(16).padStart(2, "0")
  } ${u16(value.length / 2)} ${value}`;
}

/** A block of the given entries, its length in front. */
function block(...entries: string[]): string {
  const body = entries.join("").replace(/\s+/g, "");
  return `${u16(body.length / 2)} ${body}`;
}

/** The malformed blocks, each with what the ProtocolError says. */
const MALFORMED: [string, Uint8Array, RegExp][] = [
  [
    "its length cut off",
    lengthPrefixed(hex("01 04 00000001 00 00")),
    /its length is cut off/,
  ],
  ["cut off", requestWithBlock("0010 01 6b 00 0001 76"), /it is cut off/],
  [
    "an entry cut off",
    requestWithBlock("0003 01 6b 00"),
    /an entry is cut off/,
  ],
  [
    "a value cut off",
    requestWithBlock("0006 01 6b 00 0009 76"),
    /the value of "k" is cut off/,
  ],
  [
    "a key of length 0",
    requestWithBlock(block("00 00 0000")),
    /a key is empty/,
  ],
  [
    "an upper-case key",
    requestWithBlock(block(entry("4b", 0, "76"))),
    /Invalid metadata key "K"/,
  ],
  [
    "a key starting with '-'",
    requestWithBlock(block(entry("2d6b", 0, "76"))),
    /Invalid metadata key "-k"/,
  ],
  [
    "a non-ASCII key",
    requestWithBlock(block(entry("c3a9", 0, "76"))),
    /Invalid metadata key/,
  ],
  [
    "value type 2",
    requestWithBlock(block(entry("6b", 2, "76"))),
    /unknown value type 2/,
  ],
  [
    "text that is not UTF-8",
    requestWithBlock(block(entry("6b", 0, "c328"))),
    /the value of "k" is not UTF-8/,
  ],
  [
    "a block of 8193 bytes (over maxMetadataSize 8192)",
    requestWithBlock(block(entry("6b", 1, "00".repeat(8186)))),
    /8193 bytes exceeds maxMetadataSize 8192/,
  ],
];

/** The well-behaved client sends metadata and gets it back, byte for byte. */
async function roundTrip(s: Setup): Promise<void> {
  const metadata = new Metadata([
    ["authorization", "Bearer rain"],
    ["x-bin", new Uint8Array([0, 1, 0xff])],
    ["x-tenant", "acme"],
  ]);
  const reply = await s.client.request("metadata", 0, {
    metadata,
    withMetadata: true,
  });
  assert.equal(reply.body, 3);
  assert.deepEqual([...reply.metadata], [...metadata]);
}

for (const [netName, makeNet] of Object.entries(networks)) {
  describe(`Bad metadata over ${netName}: ProtocolError, only that connection closes`, () => {
    it("a well-formed frame carrying the same kind of block is served (the frames below differ only where broken)", async () => {
      await attack(makeNet, async (s) => {
        const channel = await s.raw();
        const reader = new FrameReader(channel);
        await writeRaw(channel, requestWithBlock(block(entry("6b", 0, "76"))));
        const reply = await reader.next();
        assert.equal(reply?.kind, "reply");
        assert.deepEqual([...reply!.metadata!], [["k", "v"]]);
        reader.release();
        channel.close();
      });
    });

    it("malformed blocks (cut off, key length 0, bad key, bad type, bad UTF-8, over the limit) each close their connection; another connection keeps its metadata round trips", async () => {
      await attack(makeNet, async (s) => {
        await roundTrip(s);
        for (const [i, [what, frame, message]] of MALFORMED.entries()) {
          await closedBy(s, frame);
          const error = await nextError(s, i);
          assert.ok(error instanceof ProtocolError, `${what}: ${error}`);
          assert.equal(error.code, "ERR_PROTOCOL", what);
          assert.match(error.message, message, what);
          await roundTrip(s);
        }
        assert.equal(s.errors.length, MALFORMED.length);
        // The client, the bystander and one raw connection per attack.
        assert.equal(
          s.server.stats.accepted,
          2 + MALFORMED.length,
          "the client never reconnected",
        );
      });
    });

    it("sending metadata over maxMetadataSize: CodecError, nothing sent, the connection stays up", async () => {
      await attack(makeNet, async (s) => {
        await roundTrip(s);
        const calls = s.metadataCalls;
        // One text entry "k" of 8186 bytes: a block of 8193.
        await assert.rejects(
          s.client.request("metadata", 0, {
            metadata: { k: "x".repeat(8186) },
          }),
          (error: unknown) =>
            error instanceof CodecError &&
            /8193 bytes exceeds maxMetadataSize 8192/.test(error.message),
        );
        // The block of exactly 8192 bytes goes.
        const reply = await s.client.request("metadata", 0, {
          metadata: { k: "x".repeat(8185) },
          withMetadata: true,
        });
        assert.equal(reply.metadata.get("k"), "x".repeat(8185));
        assert.equal(
          s.metadataCalls,
          calls + 1,
          "the refused one never arrived",
        );
        assert.deepEqual(s.errors, []);
        assert.equal(
          s.server.stats.accepted,
          2,
          "the client never reconnected",
        );
      });
    });
  });
}
