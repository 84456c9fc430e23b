/**
 * The {@linkcode Protocol}: what a connection speaks on the wire, and how the
 * routes and bodies of requests map onto its messages.
 *
 * @module
 */

import type { BodyCodec } from "../codec/body_codec.ts";
import type { IdAllocator, MessageCodec } from "../codec/message_codec.ts";
import type { Metadata } from "../codec/metadata.ts";
import type { PacketCodec } from "../framing/packet_codec.ts";

/**
 * A route: a name (a non-empty string) or a u32 command.
 *
 * @example A named route and a numeric one
 * ```ts
 * import { Connection, Router } from "listenrain";
 * import type { RouteName } from "listenrain/advanced";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const routes: RouteName[] = ["echo", 7];
 * const router = new Router();
 * for (const route of routes) router.handle(route, (body: Uint8Array) => body);
 * const [a, b] = createMemoryPipe();
 * const server = new Connection(a, { router });
 * const client = new Connection(b);
 * console.log(await client.request(7, new Uint8Array([1]))); // Uint8Array(1) [ 1 ]
 * await client.close();
 * await server.close();
 * ```
 */
export type RouteName = string | number;

/**
 * A protocol value: the message codec, the framing, and the mapping between
 * the API every connection, client and server offers (`request(route,
 * body)`, routes of a `Router`) and the protocol's own messages of type `M`.
 * The default, {@linkcode envelopeProtocol}, is listenrain's envelope; bring
 * your own to speak an existing protocol (JSON-RPC, the Go seed's
 * benchmark protocol) with the same `Client`, `Server` and `Connection`.
 *
 * A protocol value is shared by every connection that speaks it: it keeps
 * no state per connection (`ids` creates what a connection needs).
 *
 * @example A protocol of plain text lines: the route is the first word
 * ```ts
 * import { Connection, type Protocol, Router } from "listenrain";
 * import { DelimitedCodec, type MessageCodec } from "listenrain/framing";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * // "<id> <kind> <route> <text>", one per line.
 * interface Line { id: number; kind: string; route: string; text: string }
 * const text = new TextEncoder(), untext = new TextDecoder();
 * const codec: MessageCodec<Line> = {
 *   encode: (m) => [text.encode(`${m.id} ${m.kind} ${m.route} ${m.text}`)],
 *   decode: (bytes) => {
 *     const [id, kind, route, ...rest] = untext.decode(bytes).split(" ");
 *     return { id: Number(id), kind, route, text: rest.join(" ") };
 *   },
 *   kind: (m) => m.kind as "request" | "reply" | "notify",
 *   id: (m) => m.id,
 *   withId: (m, id) => ({ ...m, id: id as number }),
 * };
 * const lines: Protocol<Line> = {
 *   codec,
 *   framing: new DelimitedCodec(),
 *   message: (kind, route, body) => ({ id: 0, kind, route: String(route), text: String(body) }),
 *   reply: (body) => ({ id: 0, kind: "reply", route: "-", text: String(body) }),
 *   route: (m) => m.route,
 *   body: (m) => m.text,
 * };
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("shout", (s: string) => s.toUpperCase());
 * const server = new Connection(a, { protocol: lines, router });
 * const client = new Connection(b, { protocol: lines });
 * console.log(await client.request("shout", "hello")); // "HELLO"
 * await client.close();
 * await server.close();
 * ```
 */
export interface Protocol<M> {
  /** Message ↔ payload bytes, and where the message id lives. */
  readonly codec: MessageCodec<M>;
  /** Payload ↔ frames on the byte stream. @default {a LengthPrefixedCodec} */
  readonly framing?: PacketCodec;
  /**
   * Creates the id allocator of each connection.
   * @default {a SequentialIds per connection}
   */
  ids?(): IdAllocator;
  /**
   * Builds a request or a notification to `route` carrying `body`; the
   * connection sets its id.
   *
   * @param kind `"request"` or `"notify"`.
   * @param route The route.
   * @param body The caller's value.
   * @param bodyCodec The route's body codec (the connection's `body` option
   *   unless the route has its own); a protocol whose messages carry values
   *   rather than bytes may ignore it.
   * @param metadata The caller's metadata, if any; a protocol without
   *   metadata throws a `CodecError` when given some.
   * @returns The message.
   * @throws {CodecError} If the body cannot be encoded.
   */
  message(
    kind: "request" | "notify",
    route: RouteName,
    body: unknown,
    bodyCodec: BodyCodec<unknown>,
    metadata?: Metadata,
  ): M;
  /**
   * Builds the reply carrying `body`; the connection sets its id.
   *
   * @param body The handler's result.
   * @param bodyCodec The route's body codec.
   * @param metadata The handler's reply metadata, if it set any.
   * @returns The message.
   * @throws {CodecError} If the body cannot be encoded.
   */
  reply(body: unknown, bodyCodec: BodyCodec<unknown>, metadata?: Metadata): M;
  /**
   * Builds one message of a stream carrying `body` (protocols with streams:
   * their codec has `streams` too); the connection sets its id.
   *
   * @param body The value.
   * @param bodyCodec The route's body codec.
   * @param fromOpener True for a `stream` message (from the side that
   *   opened the stream), false for a `stream_reply`.
   * @returns The message.
   * @throws {CodecError} If the body cannot be encoded.
   */
  streamMessage?(
    body: unknown,
    bodyCodec: BodyCodec<unknown>,
    fromOpener: boolean,
  ): M;
  /**
   * The metadata of an incoming message, if the protocol carries metadata.
   *
   * @param message The message.
   * @returns Its metadata, or `undefined` if it has none.
   */
  metadata?(message: M): Metadata | undefined;
  /**
   * The route of an incoming request or notification.
   *
   * @param message The message.
   * @returns Its route.
   * @throws {RemoteError} To answer the request with that error reply (its
   *   `remoteCode` and message) before any route is looked up: how a
   *   protocol answers input that names no valid route (JSON-RPC's parse
   *   error, a reserved method name).
   */
  route(message: M): RouteName;
  /**
   * The body of an incoming request, notification or reply.
   *
   * @param message The message.
   * @param bodyCodec The route's body codec.
   * @returns The value.
   * @throws {CodecError} If the body cannot be decoded.
   */
  body(message: M, bodyCodec: BodyCodec<unknown>): unknown;
}
