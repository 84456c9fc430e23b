/**
 * Checks every body codec must pass: round trips, `undefined` ↔ empty body,
 * CodecError for bodies that do not decode, bytes that stay valid after more
 * encodes, and, through two Peers, a CODEC_ERROR reply that leaves the
 * connection up.
 */

import { it } from "node:test";
import assert from "node:assert/strict";
import type { BodyCodec } from "../../src/codec/body_codec.ts";
import { CodecError, RemoteError } from "../../src/errors.ts";
import { Router } from "../../src/transport/router.ts";
import { peers } from "../_helpers/pair.ts";

/** What {@linkcode bodyCodecSuite} needs to know about a codec. */
export interface BodyCodecCase<T> {
  codec: BodyCodec<T>;
  /** Values that must come back deep-equal. */
  values: T[];
  /** Bodies that must fail to decode with CodecError. */
  garbage: Uint8Array[];
  /** Whether `undefined` ↔ empty body (not for protobuf). */
  emptyIsUndefined: boolean;
  /** A value for the Connection round trip, and what the handler makes of it. */
  request: T;
  handle: (value: T) => T;
  reply: T;
  /** Compares decoded values (default deepEqual). */
  equal?: (actual: T, expected: T) => void;
}

/** Registers the shared tests for one codec (call inside a `describe`). */
export function bodyCodecSuite<T>(name: string, c: BodyCodecCase<T>): void {
  const equal = c.equal ?? ((a: T, b: T) => assert.deepEqual(a, b));

  it(`${name} round-trips values and returns plain Uint8Arrays`, () => {
    for (const value of c.values) {
      const bytes = c.codec.encode(value);
      assert.equal(Object.getPrototypeOf(bytes), Uint8Array.prototype);
      equal(c.codec.decode(bytes), value);
    }
  });

  it(`${name} keeps encoded bytes intact while more values are encoded`, () => {
    const first = c.codec.encode(c.values[0]);
    const copy = first.slice();
    for (let i = 0; i < 2000; i++) {
      c.codec.encode(c.values[i % c.values.length]);
    }
    assert.deepEqual(first, copy);
  });

  if (c.emptyIsUndefined) {
    it(`${name} encodes undefined as an empty body and decodes an empty body as undefined`, () => {
      assert.equal(c.codec.encode(undefined as T).byteLength, 0);
      assert.equal(c.codec.decode(new Uint8Array(0)), undefined);
    });
  }

  it(`${name} throws CodecError for bodies that do not decode`, () => {
    for (const bytes of c.garbage) {
      assert.throws(
        () => c.codec.decode(bytes),
        (error) =>
          error instanceof CodecError && error.code === "ERR_CODEC" &&
          error.message.startsWith("Cannot decode"),
        `[${[...bytes]}] should not decode`,
      );
    }
  });

  it(`${name} through Peers: a request that does not decode gets a CODEC_ERROR reply and the connection stays up`, async () => {
    const router = new Router().handle("work", c.handle, { body: c.codec });
    // The client sends raw bytes, so it can send garbage.
    const { client, server, close } = peers<Uint8Array>({ router });
    try {
      for (const bytes of c.garbage) {
        const error = await client.request("work", bytes).catch((e) => e);
        assert.ok(error instanceof RemoteError, String(error));
        assert.equal(error.remoteCode, "CODEC_ERROR");
        assert.match(error.message, /^Cannot decode/);
      }
      const reply = await client.request("work", c.codec.encode(c.request));
      equal(c.codec.decode(reply), c.reply);
      assert.equal(server.closedReason, undefined);
      assert.equal(client.closedReason, undefined);
    } finally {
      await close();
    }
  });

  it(`${name} through Peers on both sides`, async () => {
    const router = new Router().handle("work", c.handle);
    const { client, close } = peers<T>({ router, body: c.codec }, {
      body: c.codec,
    });
    try {
      const replies = await Promise.all(
        [1, 2, 3].map(() => client.request("work", c.request)),
      );
      for (const reply of replies) equal(reply, c.reply);
    } finally {
      await close();
    }
  });
}
