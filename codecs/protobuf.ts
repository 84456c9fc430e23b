/**
 * Protocol Buffers bodies through
 * [`@bufbuild/protobuf`](https://www.npmjs.com/package/@bufbuild/protobuf)
 * (Protobuf-ES 2), an optional dependency: install it to use this subpath
 * (`npm install @bufbuild/protobuf`; Deno maps `npm:@bufbuild/protobuf`).
 * Messages come from `.proto` files through `@bufbuild/protoc-gen-es`; this
 * repository's `scripts/gen_proto.mjs` shows the setup with `@bufbuild/buf`.
 *
 * Two codecs:
 * - {@linkcode protobufBody}: one message type, both ways (a route whose
 *   request and reply have the same type, or a wrapper message with a
 *   `oneof`).
 * - {@linkcode protobufAnyBody}: any message of a registry, wrapped in
 *   `google.protobuf.Any`, so that requests and replies of different types
 *   share one codec.
 *
 * For Protocol Buffers' own stream framing (`writeDelimitedTo`), use
 * `VarintPrefixedCodec` as the packet codec.
 *
 * @example A route whose request and reply are different messages
 * ```ts
 * import { create, createRegistry, type DescMessage, isMessage } from "@bufbuild/protobuf";
 * import { StructSchema, ValueSchema } from "@bufbuild/protobuf/wkt";
 * import { Connection, Router } from "listenrain";
 * import { protobufAnyBody } from "listenrain/codecs/protobuf";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const body = protobufAnyBody(createRegistry(StructSchema, ValueSchema));
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("count", (s) =>
 *   isMessage(s, StructSchema)
 *     ? create(ValueSchema, { kind: { case: "numberValue", value: Object.keys(s.fields).length } })
 *     : undefined);
 * const server = new Connection(a, { router, body });
 * const client = new Connection(b, { body });
 * const reply = await client.request("count", create(StructSchema, {
 *   fields: { a: create(ValueSchema) },
 * }));
 * console.log(isMessage(reply, ValueSchema) && reply.kind.value); // 1
 * await client.close();
 * await server.close();
 * ```
 *
 * @module
 */

import {
  type BinaryReadOptions,
  type BinaryWriteOptions,
  create,
  type DescMessage,
  fromBinary,
  isMessage,
  type Message,
  type MessageShape,
  type Registry,
  toBinary,
} from "@bufbuild/protobuf";
import { anyPack, AnySchema, anyUnpack } from "@bufbuild/protobuf/wkt";
import type { BodyCodec } from "../src/codec/body_codec.ts";
import { CodecError } from "../src/errors.ts";

/**
 * A generated message schema, such as `HelloRequestSchema` (Protobuf-ES's
 * `DescMessage`).
 *
 * @example A body codec per route, from a table of schemas
 * ```ts
 * import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
 * import {
 *   protobufBody,
 *   type ProtobufSchema,
 * } from "listenrain/codecs/protobuf";
 *
 * const schemas: Record<string, ProtobufSchema> = { now: TimestampSchema, wait: DurationSchema };
 * const bodies = Object.fromEntries(
 *   Object.entries(schemas).map(([route, schema]) => [route, protobufBody(schema)]),
 * );
 * console.log(bodies.wait.name); // "protobuf:google.protobuf.Duration"
 * ```
 */
export type ProtobufSchema = DescMessage;
/**
 * A message of any type (Protobuf-ES's `Message`).
 *
 * @example Handling whatever message a registry codec decodes
 * ```ts
 * import { create, createRegistry, isMessage } from "@bufbuild/protobuf";
 * import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
 * import {
 *   type AnyProtobufMessage,
 *   protobufAnyBody,
 * } from "listenrain/codecs/protobuf";
 *
 * function describe(message: AnyProtobufMessage): string {
 *   return isMessage(message, DurationSchema) ? `${message.seconds} s` : message.$typeName;
 * }
 * const body = protobufAnyBody(createRegistry(DurationSchema, TimestampSchema));
 * console.log(describe(body.decode(body.encode(create(DurationSchema, { seconds: 3n }))))); // "3 s"
 * console.log(describe(body.decode(body.encode(create(TimestampSchema))))); // "google.protobuf.Timestamp"
 * ```
 */
export type AnyProtobufMessage = Message;
/**
 * The message types a codec may meet, from `createRegistry` (Protobuf-ES's `Registry`).
 *
 * @example Only the registry's types travel
 * ```ts
 * import assert from "node:assert/strict";
 * import { create, createRegistry } from "@bufbuild/protobuf";
 * import { DurationSchema, StructSchema } from "@bufbuild/protobuf/wkt";
 * import { CodecError } from "listenrain";
 * import {
 *   protobufAnyBody,
 *   type ProtobufRegistry,
 * } from "listenrain/codecs/protobuf";
 *
 * const registry: ProtobufRegistry = createRegistry(DurationSchema);
 * const body = protobufAnyBody(registry);
 * console.log(body.encode(create(DurationSchema, { seconds: 1n })).byteLength > 0); // true
 * assert.throws(() => body.encode(create(StructSchema)), CodecError); // not in the registry
 * ```
 */
export type ProtobufRegistry = Registry;
/**
 * Options of `fromBinary` (Protobuf-ES's `BinaryReadOptions`).
 *
 * @example Dropping fields the schema does not know
 * ```ts
 * import { DurationSchema } from "@bufbuild/protobuf/wkt";
 * import {
 *   protobufBody,
 *   type ProtobufReadOptions,
 * } from "listenrain/codecs/protobuf";
 *
 * const readOptions: Partial<ProtobufReadOptions> = { readUnknownFields: false };
 * const bytes = new Uint8Array([8, 90, 72, 1]); // seconds = 90, then an unknown field 9
 * const keep = protobufBody(DurationSchema);
 * const drop = protobufBody(DurationSchema, { readOptions });
 * console.log(keep.encode(keep.decode(bytes))); // Uint8Array(4) [ 8, 90, 72, 1 ]
 * console.log(drop.encode(drop.decode(bytes))); // Uint8Array(2) [ 8, 90 ]
 * ```
 */
export type ProtobufReadOptions = BinaryReadOptions;
/**
 * Options of `toBinary` (Protobuf-ES's `BinaryWriteOptions`).
 *
 * @example Not passing on fields the schema does not know
 * ```ts
 * import { DurationSchema } from "@bufbuild/protobuf/wkt";
 * import {
 *   protobufBody,
 *   type ProtobufWriteOptions,
 * } from "listenrain/codecs/protobuf";
 *
 * const writeOptions: Partial<ProtobufWriteOptions> = { writeUnknownFields: false };
 * const relay = protobufBody(DurationSchema, { writeOptions });
 * const message = relay.decode(new Uint8Array([8, 90, 72, 1])); // field 9 is unknown
 * console.log(message.$unknown?.length, relay.encode(message)); // 1 Uint8Array(2) [ 8, 90 ]
 * ```
 */
export type ProtobufWriteOptions = BinaryWriteOptions;

/**
 * Options of {@linkcode protobufBody} and {@linkcode protobufAnyBody}.
 *
 * @example A codec that refuses deeply nested messages
 * ```ts
 * import assert from "node:assert/strict";
 * import { create } from "@bufbuild/protobuf";
 * import { type Value, ValueSchema } from "@bufbuild/protobuf/wkt";
 * import { CodecError } from "listenrain";
 * import {
 *   protobufBody,
 *   type ProtobufBodyOptions,
 * } from "listenrain/codecs/protobuf";
 *
 * const options: ProtobufBodyOptions = {
 *   readOptions: { recursionLimit: 8 },
 *   writeOptions: { writeUnknownFields: false },
 * };
 * const body = protobufBody(ValueSchema, options);
 * const nest = (value: Value) => create(ValueSchema, { kind: { case: "listValue", value: { values: [value] } } });
 * const flat = create(ValueSchema, { kind: { case: "numberValue", value: 1 } });
 * console.log(body.decode(body.encode(nest(flat))).kind.case); // "listValue"
 * const deep = nest(nest(nest(nest(flat)))); // 9 messages deep
 * assert.throws(() => body.decode(body.encode(deep)), CodecError);
 * ```
 */
export interface ProtobufBodyOptions {
  /** Passed to `fromBinary` (unknown fields, nesting depth). */
  readOptions?: Partial<ProtobufReadOptions>;
  /** Passed to `toBinary` (unknown fields). */
  writeOptions?: Partial<ProtobufWriteOptions>;
}

/**
 * A {@linkcode BodyCodec} for one Protocol Buffers message type.
 *
 * Encoding takes a message of `schema` (from `create(schema, …)` or
 * decoded), and for convenience also a plain init object, which it passes
 * through `create`. `undefined` encodes as the empty message (zero bytes), as
 * Protocol Buffers does. Decoding an empty body gives the default message;
 * `bytes` fields are views of the received frame.
 *
 * @param schema The generated message schema, such as `HelloRequestSchema`.
 * @param options Binary read and write options.
 * @returns The body codec.
 *
 * @example Encoding a message of a well-known type
 * ```ts
 * import { create } from "@bufbuild/protobuf";
 * import { DurationSchema } from "@bufbuild/protobuf/wkt";
 * import { protobufBody } from "listenrain/codecs/protobuf";
 *
 * const body = protobufBody(DurationSchema);
 * const bytes = body.encode(create(DurationSchema, { seconds: 90n }));
 * console.log(bytes, body.decode(bytes).seconds); // Uint8Array(2) [ 8, 90 ] 90n
 * ```
 */
export function protobufBody<Desc extends ProtobufSchema>(
  schema: Desc,
  options: ProtobufBodyOptions = {},
): BodyCodec<MessageShape<Desc>> {
  const { readOptions, writeOptions } = options;
  return {
    name: `protobuf:${schema.typeName}`,
    encode(value: MessageShape<Desc>): Uint8Array {
      const typeName = (value as Partial<Message> | undefined)?.$typeName;
      if (typeName !== undefined && typeName !== schema.typeName) {
        throw new CodecError(
          `Cannot encode Protocol Buffers body: expected ${schema.typeName}, got ${typeName}`,
        );
      }
      try {
        const message = isMessage(value, schema)
          ? value
          : create(schema, value);
        return toBinary(schema, message, writeOptions);
      } catch (cause) {
        throw new CodecError(
          `Cannot encode Protocol Buffers body ${schema.typeName}: ${
            messageOf(cause)
          }`,
          { cause },
        );
      }
    },
    decode(bytes: Uint8Array): MessageShape<Desc> {
      try {
        return fromBinary(schema, bytes, readOptions);
      } catch (cause) {
        throw new CodecError(
          `Cannot decode Protocol Buffers body ${schema.typeName}: ${
            messageOf(cause)
          }`,
          { cause },
        );
      }
    },
  };
}

/**
 * A {@linkcode BodyCodec} for any message type of `registry`: each body is a
 * `google.protobuf.Any` (type URL, then the message's bytes). Decoding fails
 * with {@linkcode CodecError} for a type the registry does not hold; narrow
 * decoded messages with `isMessage(message, Schema)`.
 *
 * @param registry The message types that may travel, from `createRegistry`.
 * @param options Binary read and write options.
 * @returns The body codec.
 *
 * @example Any message of a registry, round trip
 * ```ts
 * import { create, createRegistry, isMessage } from "@bufbuild/protobuf";
 * import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
 * import { protobufAnyBody } from "listenrain/codecs/protobuf";
 *
 * const body = protobufAnyBody(createRegistry(DurationSchema, TimestampSchema));
 * const message = body.decode(body.encode(create(DurationSchema, { seconds: 5n })));
 * console.log(isMessage(message, DurationSchema)); // true
 * ```
 */
export function protobufAnyBody(
  registry: ProtobufRegistry,
  options: ProtobufBodyOptions = {},
): BodyCodec<AnyProtobufMessage> {
  const { readOptions, writeOptions } = options;
  return {
    name: "protobuf:any",
    encode(value: Message): Uint8Array {
      const typeName = (value as Partial<Message> | undefined)?.$typeName;
      const schema = typeName === undefined
        ? undefined
        : registry.getMessage(typeName);
      if (schema === undefined) {
        throw new CodecError(
          `Cannot encode Protocol Buffers body: ${
            typeName ?? typeof value
          } is not a message type of the registry`,
        );
      }
      try {
        return toBinary(AnySchema, anyPack(schema, value), writeOptions);
      } catch (cause) {
        throw new CodecError(
          `Cannot encode Protocol Buffers body ${typeName}: ${
            messageOf(cause)
          }`,
          { cause },
        );
      }
    },
    decode(bytes: Uint8Array): Message {
      let message: Message | undefined;
      let typeUrl = "";
      try {
        const any = fromBinary(AnySchema, bytes, readOptions);
        typeUrl = any.typeUrl;
        message = anyUnpack(any, registry);
      } catch (cause) {
        throw new CodecError(
          `Cannot decode Protocol Buffers body: ${messageOf(cause)}`,
          { cause },
        );
      }
      if (message === undefined) {
        throw new CodecError(
          `Cannot decode Protocol Buffers body: type "${typeUrl}" is not in the registry`,
        );
      }
      return message;
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
