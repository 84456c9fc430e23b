/**
 * MessagePack bodies through [`msgpackr`](https://www.npmjs.com/package/msgpackr),
 * an optional dependency: install it to use this subpath
 * (`npm install msgpackr`; Deno maps `npm:msgpackr`).
 *
 * @example Peers that speak MessagePack
 * ```ts
 * import { Connection, Router } from "listenrain";
 * import { msgpackBody } from "listenrain/codecs/msgpack";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("sum", (xs: number[]) => xs.reduce((s, x) => s + x, 0));
 * const server = new Connection(a, { router, body: msgpackBody });
 * const client = new Connection(b, { body: msgpackBody });
 * console.log(await client.request("sum", [1, 2, 3])); // 6
 * await client.close();
 * await server.close();
 * ```
 *
 * @module
 */

import { C1, type Options, Packr } from "msgpackr";
import type { BodyCodec } from "../src/codec/body_codec.ts";
import { CodecError } from "../src/errors.ts";

/**
 * Options of {@linkcode createMsgpackBody}: msgpackr's own.
 *
 * @example Binary values that outlive the received frame
 * ```ts
 * import {
 *   createMsgpackBody,
 *   type MsgpackOptions,
 * } from "listenrain/codecs/msgpack";
 *
 * const options: MsgpackOptions = { copyBuffers: true };
 * const body = createMsgpackBody(options);
 * const frame = body.encode({ blob: new Uint8Array([1, 2, 3]) });
 * const { blob } = body.decode(frame);
 * frame.fill(0); // the frame's memory is reused
 * console.log(blob); // Uint8Array(3) [ 1, 2, 3 ]: a copy, not a view
 * ```
 */
export type MsgpackOptions = Options;

/**
 * Creates a MessagePack {@linkcode BodyCodec} with msgpackr options.
 *
 * By default records (`useRecords`, a msgpackr extension) are off, so any
 * MessagePack implementation can read the bodies; maps decode as plain
 * objects. `undefined` encodes to an empty body and an empty body decodes to
 * `undefined`, as with `jsonBody`. Binary values decode as views of the
 * received frame (pass `copyBuffers: true` to copy them).
 *
 * @param options msgpackr options, over `{ useRecords: false }`.
 * @returns The body codec.
 * @throws {TypeError} If msgpackr rejects the options.
 *
 * @example Keeping 64-bit integers as bigint
 * ```ts
 * import { createMsgpackBody } from "listenrain/codecs/msgpack";
 *
 * const body = createMsgpackBody({ int64AsType: "bigint" });
 * console.log(body.decode(body.encode(2n ** 60n))); // 1152921504606846976n
 * ```
 */
export function createMsgpackBody(
  options: MsgpackOptions = {},
  // deno-lint-ignore no-explicit-any
): BodyCodec<any> {
  const packr = new Packr({ useRecords: false, ...options });
  return {
    name: "msgpack",
    encode(value: unknown): Uint8Array {
      if (value === undefined) return new Uint8Array(0);
      let bytes: Uint8Array;
      try {
        bytes = packr.pack(value);
      } catch (cause) {
        throw new CodecError(
          `Cannot encode MessagePack body: ${messageOf(cause)}`,
          { cause },
        );
      }
      // msgpackr returns Node Buffers; hand out plain views of the same bytes.
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    decode(bytes: Uint8Array): unknown {
      if (bytes.byteLength === 0) return undefined;
      let value: unknown;
      try {
        value = packr.unpack(bytes);
      } catch (cause) {
        throw new CodecError(
          `Cannot decode MessagePack body: ${messageOf(cause)}`,
          { cause },
        );
      }
      if (value === C1) {
        throw new CodecError(
          "Cannot decode MessagePack body: 0xc1 is a never-used byte",
        );
      }
      return value;
    },
  };
}

/**
 * MessagePack bodies with msgpackr's defaults, records off: readable by any
 * MessagePack implementation.
 *
 * @example A MessagePack body round trip
 * ```ts
 * import { msgpackBody } from "listenrain/codecs/msgpack";
 *
 * const bytes = msgpackBody.encode({ hi: "rain" });
 * console.log(bytes.byteLength, msgpackBody.decode(bytes)); // 11 { hi: "rain" }
 * ```
 */
// deno-lint-ignore no-explicit-any
export const msgpackBody: BodyCodec<any> = createMsgpackBody();

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
