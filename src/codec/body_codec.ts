/**
 * Body codecs: how the default protocol turns a request or reply body into
 * bytes. Raw bytes, UTF-8 text and JSON live here; other formats are subpath
 * exports with their own dependency.
 *
 * @module
 */

import { CodecError } from "../errors.ts";

/**
 * Encodes and decodes bodies of type `T`.
 *
 * @example A body codec of your own
 * ```ts
 * import type { BodyCodec } from "listenrain";
 *
 * const u8Body: BodyCodec<number> = {
 *   name: "u8",
 *   encode: (n) => new Uint8Array([n]),
 *   decode: (bytes) => bytes[0],
 * };
 * console.log(u8Body.decode(u8Body.encode(42))); // 42
 * ```
 */
export interface BodyCodec<T> {
  /** A short name for messages and errors, like `"json"`. */
  readonly name: string;
  /**
   * Encodes a body.
   *
   * @param value The body.
   * @returns Its bytes.
   * @throws {CodecError} If the value cannot be encoded.
   */
  encode(value: T): Uint8Array;
  /**
   * Decodes a body.
   *
   * @param bytes The body's bytes (a view; copy it to keep it past the call
   * if the codec returns it as is).
   * @returns The body.
   * @throws {CodecError} If the bytes do not decode.
   */
  decode(bytes: Uint8Array): T;
}

/**
 * Bytes as they are. Decoded bodies are views of the received frame.
 *
 * @example A raw body round trip
 * ```ts
 * import { rawBody } from "listenrain";
 * console.log(rawBody.decode(rawBody.encode(new Uint8Array([1])))); // Uint8Array(1) [ 1 ]
 * ```
 */
export const rawBody: BodyCodec<Uint8Array> = {
  name: "raw",
  encode(value: Uint8Array): Uint8Array {
    if (!(value instanceof Uint8Array)) {
      throw new CodecError("Cannot encode raw body: value is not a Uint8Array");
    }
    return value;
  },
  decode: (bytes: Uint8Array): Uint8Array => bytes,
};

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });
// Text keeps a leading U+FEFF (JSON may drop one, as RFC 8259 allows).
const textDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * UTF-8 text; invalid UTF-8 is a {@linkcode CodecError}.
 *
 * @example A text body round trip
 * ```ts
 * import { textBody } from "listenrain";
 * console.log(textBody.decode(textBody.encode("héllo"))); // "héllo"
 * ```
 */
export const textBody: BodyCodec<string> = {
  name: "text",
  encode(value: string): Uint8Array {
    if (typeof value !== "string") {
      throw new CodecError("Cannot encode text body: value is not a string");
    }
    return encoder.encode(value);
  },
  decode(bytes: Uint8Array): string {
    try {
      return textDecoder.decode(bytes);
    } catch (cause) {
      throw new CodecError("Cannot decode text body: invalid UTF-8", { cause });
    }
  },
};

/**
 * JSON as UTF-8. An empty body decodes to `undefined`, and `undefined`
 * encodes to an empty body. Its type is `BodyCodec<unknown>`: a decoded body
 * is `unknown` until you check it; the types of requests and replies come
 * from the route table (`Client<typeof router>`), not from the codec.
 *
 * @example A JSON body round trip
 * ```ts
 * import { jsonBody } from "listenrain";
 * console.log(jsonBody.decode(jsonBody.encode({ hi: "rain" }))); // { hi: "rain" }
 * ```
 */
export const jsonBody: BodyCodec<unknown> = {
  name: "json",
  encode(value: unknown): Uint8Array {
    if (value === undefined) return new Uint8Array(0);
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (cause) {
      throw new CodecError(`Cannot encode JSON body: ${message(cause)}`, {
        cause,
      });
    }
    if (text === undefined) {
      throw new CodecError(
        `Cannot encode JSON body: ${typeof value} is not JSON`,
      );
    }
    return encoder.encode(text);
  },
  decode(bytes: Uint8Array): unknown {
    if (bytes.byteLength === 0) return undefined;
    try {
      return JSON.parse(strictDecoder.decode(bytes));
    } catch (cause) {
      throw new CodecError(`Cannot decode JSON body: ${message(cause)}`, {
        cause,
      });
    }
  },
};

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
