/**
 * CBOR (RFC 8949) bodies through [`cbor-x`](https://www.npmjs.com/package/cbor-x),
 * an optional dependency: install it to use this subpath
 * (`npm install cbor-x`; Deno maps `npm:cbor-x`).
 *
 * @example Peers that speak CBOR
 * ```ts
 * import { Connection, Router } from "listenrain";
 * import { cborBody } from "listenrain/codecs/cbor";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("when", (d: Date) => d.getUTCFullYear());
 * const server = new Connection(a, { router, body: cborBody });
 * const client = new Connection(b, { body: cborBody });
 * console.log(await client.request("when", new Date(Date.UTC(2024, 0, 1)))); // 2024
 * await client.close();
 * await server.close();
 * ```
 *
 * @module
 */

import { Encoder, type Options } from "cbor-x";
import type { BodyCodec } from "../src/codec/body_codec.ts";
import { CodecError } from "../src/errors.ts";

/**
 * Options of {@linkcode createCborBody}: cbor-x's own.
 *
 * @example Byte strings without cbor-x's typed-array tag
 * ```ts
 * import { type CborOptions, createCborBody } from "listenrain/codecs/cbor";
 *
 * const options: CborOptions = { tagUint8Array: false }; // plain CBOR byte strings
 * const bytes = new Uint8Array([1, 2]);
 * console.log(createCborBody(options).encode(bytes)); // Uint8Array(3) [ 66, 1, 2 ]
 * console.log(createCborBody().encode(bytes)); // Uint8Array(5) [ 216, 64, 66, 1, 2 ]: tag 64
 * ```
 */
export type CborOptions = Options;

/**
 * Creates a CBOR {@linkcode BodyCodec} with cbor-x options.
 *
 * By default records (`useRecords`, a cbor-x extension) are off, so any CBOR
 * implementation can read the bodies, and maps with string keys decode as
 * plain objects. `undefined` encodes to an empty body and an empty body
 * decodes to `undefined`, as with `jsonBody`. Dates, typed arrays, `Map`,
 * `Set` and bigints travel as CBOR tags.
 *
 * @param options cbor-x options, over `{ useRecords: false, mapsAsObjects: true }`.
 * @returns The body codec.
 * @throws {TypeError} If cbor-x rejects the options.
 *
 * @example Maps stay maps
 * ```ts
 * import { createCborBody } from "listenrain/codecs/cbor";
 *
 * const body = createCborBody({ mapsAsObjects: false });
 * console.log(body.decode(body.encode(new Map([[1, "one"]])))); // Map(1) { 1 => "one" }
 * ```
 */
// deno-lint-ignore no-explicit-any
export function createCborBody(options: CborOptions = {}): BodyCodec<any> {
  const encoder = new Encoder({
    useRecords: false,
    mapsAsObjects: true,
    ...options,
  });
  return {
    name: "cbor",
    encode(value: unknown): Uint8Array {
      if (value === undefined) return new Uint8Array(0);
      let bytes: Uint8Array;
      try {
        bytes = encoder.encode(value);
      } catch (cause) {
        throw new CodecError(`Cannot encode CBOR body: ${messageOf(cause)}`, {
          cause,
        });
      }
      // cbor-x returns Node Buffers; hand out plain views of the same bytes.
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    decode(bytes: Uint8Array): unknown {
      if (bytes.byteLength === 0) return undefined;
      try {
        return encoder.decode(bytes);
      } catch (cause) {
        throw new CodecError(`Cannot decode CBOR body: ${messageOf(cause)}`, {
          cause,
        });
      }
    },
  };
}

/**
 * CBOR bodies with cbor-x's defaults, records off: readable by any CBOR
 * implementation.
 *
 * @example A CBOR body round trip
 * ```ts
 * import { cborBody } from "listenrain/codecs/cbor";
 *
 * const bytes = cborBody.encode({ hi: "rain" });
 * console.log(bytes.byteLength, cborBody.decode(bytes)); // 11 { hi: "rain" }
 * ```
 */
// deno-lint-ignore no-explicit-any
export const cborBody: BodyCodec<any> = createCborBody();

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
