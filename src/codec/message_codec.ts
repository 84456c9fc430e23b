/**
 * The {@linkcode MessageCodec} interface: message ↔ payload bytes, and where
 * the message id lives (the seed's EncodeMessage / DecodeMessage).
 *
 * @module
 */

import type { Metadata } from "./metadata.ts";
import type { StreamCodec } from "./stream_codec.ts";

// The messages of streams are a concept of their own, in their own file;
// they are exported from here too, as they always were.
export type { StreamCodec, StreamShape } from "./stream_codec.ts";

/**
 * A message id: a number (the default protocol's u32) or a string.
 *
 * @example Reading and setting ids through a codec
 * ```ts
 * import { EnvelopeCodec, type MessageId } from "listenrain/framing";
 *
 * const codec = new EnvelopeCodec();
 * const request = codec.withId({ kind: "request", id: 0, route: "echo", body: new Uint8Array() }, 42);
 * const id: MessageId = codec.id(request);
 * console.log(id, codec.id(codec.cancel(id))); // 42 42: a cancel names the request it gives up
 * ```
 */
export type MessageId = number | string;

/**
 * What a message is, as far as the transport is concerned.
 * - `request`: wants a reply with the same id.
 * - `reply` / `error`: answers the pending request with the same id.
 * - `notify`: one-way, no reply.
 * - `cancel`: the peer gave up on the request with this id.
 * - `ping` / `pong`: heartbeat.
 * - `goaway`: the peer will accept no new requests on this connection.
 * - `message`: the protocol does not say; the transport treats it as a reply
 *   if a request with its id is pending, and as a request otherwise (the Go
 *   seed's behaviour).
 * - `stream`, `stream_end`, `stream_credit`: from the side that opened the
 *   stream with this id: one of its messages, the end of its messages, more
 *   credit for the other side's messages.
 * - `stream_reply`, `reply_credit`: from the side that accepted the stream:
 *   one of its messages, more credit for the opener's messages. Its end is
 *   the `reply` or `error` to the request that opened the stream.
 *
 * @example The `kind` of a JSON-RPC codec
 * ```ts
 * import type { MessageKind } from "listenrain/framing";
 *
 * interface Rpc { id?: number; method?: string; result?: unknown; error?: unknown }
 * function kind(message: Rpc): MessageKind {
 *   if (message.method !== undefined) return message.id === undefined ? "notify" : "request";
 *   return message.error !== undefined ? "error" : "reply";
 * }
 * console.log(kind({ id: 1, method: "sum" }), kind({ method: "log" })); // "request" "notify"
 * console.log(kind({ id: 1, result: 3 }), kind({ id: 1, error: "no" })); // "reply" "error"
 * ```
 */
export type MessageKind =
  | "request"
  | "reply"
  | "error"
  | "notify"
  | "cancel"
  | "ping"
  | "pong"
  | "goaway"
  | "message"
  | "stream"
  | "stream_end"
  | "stream_credit"
  | "stream_reply"
  | "reply_credit";

/**
 * An error sent to the peer in an error reply.
 *
 * @example An error reply and the error the caller gets
 * ```ts
 * import { RemoteError } from "listenrain";
 * import { EnvelopeCodec, type ErrorInfo } from "listenrain/framing";
 *
 * const codec = new EnvelopeCodec();
 * const info: ErrorInfo = { code: "NOT_FOUND", message: "No user 42" };
 * const error = codec.toError(codec.errorReply(7, info));
 * console.log(error instanceof RemoteError && error.remoteCode, error.message); // "NOT_FOUND" "No user 42"
 * ```
 */
export interface ErrorInfo {
  /** A stable code, for example `"HANDLER_ERROR"` or `"UNKNOWN_ROUTE"`. */
  code: string;
  /** What went wrong. */
  message: string;
}

/**
 * Serialization of messages of type `M`. The required methods are enough for
 * request/reply; the optional ones switch on features of the transport
 * (error replies, cancellation, deadlines, heartbeat, goaway) for protocols
 * that can carry them.
 *
 * @example A tiny codec: a u32 id then UTF-8 text
 * ```ts
 * import type { MessageCodec } from "listenrain/framing";
 *
 * interface Text { id: number; text: string }
 * const textCodec: MessageCodec<Text> = {
 *   encode(m) {
 *     const body = new TextEncoder().encode(m.text);
 *     const out = new Uint8Array(4 + body.length);
 *     new DataView(out.buffer).setUint32(0, m.id);
 *     out.set(body, 4);
 *     return [out];
 *   },
 *   decode(p) {
 *     const id = new DataView(p.buffer, p.byteOffset).getUint32(0);
 *     return { id, text: new TextDecoder().decode(p.subarray(4)) };
 *   },
 *   kind: () => "message",
 *   id: (m) => m.id,
 *   withId: (m, id) => ({ ...m, id: Number(id) }),
 * };
 * console.log(textCodec.decode(textCodec.encode({ id: 9, text: "hi" })[0]));
 * ```
 */
export interface MessageCodec<M> {
  /**
   * Encodes a message into payload parts.
   *
   * @param message The message to send.
   * @returns The payload's parts (a large body can be passed on uncopied).
   * @throws {CodecError} If the message cannot be encoded.
   */
  encode(message: M): Uint8Array[];
  /**
   * Optional, with `encodeInto`: the size of `message` encoded, checking it
   * as `encode` would. With both (and a packet codec that writes headers in
   * place), a transport writes small messages straight into its send
   * queue's buffer: no parts, no copy in between.
   *
   * @param message The message to send.
   * @returns Its encoded size in bytes.
   * @throws {CodecError} If the message cannot be encoded.
   */
  encodedLength?(message: M): number;
  /**
   * Optional, with `encodedLength`: writes `message` at `target[offset]`, in
   * exactly `encodedLength(message)` bytes. Called right after
   * `encodedLength` for the same message, so it need not check it again, and
   * must not throw.
   *
   * @param message The message to send.
   * @param target Where to write.
   * @param offset Where in `target` the message starts.
   */
  encodeInto?(message: M, target: Uint8Array, offset: number): void;
  /**
   * Decodes one payload into a message.
   *
   * @param payload One frame's payload. It may be a view into a larger
   * buffer; a message that keeps it beyond the call keeps that buffer alive.
   * @returns The message.
   * @throws {ProtocolError} If the payload is malformed; the connection
   * closes.
   */
  decode(payload: Uint8Array): M;
  /**
   * Tells what a message is.
   * @returns What the message is.
   */
  kind(message: M): MessageKind;
  /**
   * Reads a message's id.
   * @returns The message's id (for notify, any value).
   */
  id(message: M): MessageId;
  /**
   * Sets a message's id.
   * @returns The message with its id set to `id` (it may be the same object).
   */
  withId(message: M, id: MessageId): M;
  /**
   * Builds an error reply, with the handler's reply metadata if the
   * protocol carries metadata.
   * @returns An error reply to the request `id`. Without it, failed requests get no reply.
   */
  errorReply?(id: MessageId, error: ErrorInfo, metadata?: Metadata): M;
  /**
   * Turns an error reply into an error.
   * @returns The error an `error` message stands for. Without it: a generic `RemoteError`.
   */
  toError?(message: M): Error;
  /**
   * Builds a cancel message.
   * @returns A message that tells the peer request `id` was given up.
   */
  cancel?(id: MessageId): M;
  /**
   * Builds a heartbeat ping or pong.
   * @returns A heartbeat ping (`pong: false`) or its answer (`pong: true`).
   */
  ping?(id: MessageId, pong: boolean): M;
  /**
   * Builds a goaway message.
   * @returns A goaway message with a reason.
   */
  goaway?(reason: string): M;
  /**
   * Reads the reason a goaway message carries, for the transport's
   * `onGoaway` and the error its requests are refused with from then on.
   * Without it, the reason is `"goaway"`.
   * @returns The reason, as text.
   */
  goawayReason?(message: M): string;
  /**
   * Sets the deadline a request carries to the peer.
   * @returns The message with a deadline, `ms` from now, that travels to the peer.
   */
  withTimeout?(message: M, ms: number): M;
  /**
   * Reads the deadline a request carries.
   * @returns The deadline in ms a request carries, if any.
   */
  timeoutOf?(message: M): number | undefined;
  /** The messages of streams, if the protocol has them. */
  readonly streams?: StreamCodec<M>;
}

/**
 * Allocates ids for outgoing requests.
 *
 * @example Even ids only, given to a peer
 * ```ts
 * import { Connection, envelopeProtocol, jsonBody, Router } from "listenrain";
 * import type { IdAllocator } from "listenrain/framing";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * let last = 0;
 * const evenIds: IdAllocator = {
 *   next(inUse) {
 *     do last += 2; while (inUse(last));
 *     return last;
 *   },
 * };
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("id", (_: null, ctx) => ctx.id);
 * const server = new Connection(a, { router, body: jsonBody });
 * const client = new Connection<typeof router>(b, {
 *   protocol: { ...envelopeProtocol, ids: () => evenIds }, // each connection asks its protocol for ids
 *   body: jsonBody,
 * });
 * console.log(await client.request("id", null), await client.request("id", null)); // 2 4
 * await client.close();
 * await server.close();
 * ```
 */
export interface IdAllocator {
  /**
   * Allocates the next id.
   *
   * @param inUse Tells whether an id is still in flight; those are skipped.
   * @returns A fresh id.
   */
  next(inUse: (id: MessageId) => boolean): MessageId;
}

/**
 * Options of {@linkcode SequentialIds}.
 *
 * @example Ids that start at 1000
 * ```ts
 * import {
 *   SequentialIds,
 *   type SequentialIdsOptions,
 * } from "listenrain/framing";
 *
 * const options: SequentialIdsOptions = { start: 1000 };
 * const ids = new SequentialIds(options);
 * console.log(ids.next(() => false), ids.next(() => false)); // 1000 1001
 * ```
 */
export interface SequentialIdsOptions {
  /** The first id. @default {1} */
  start?: number;
}

/**
 * The default {@linkcode IdAllocator}: u32 ids counting up from 1, wrapping
 * from 2³²−1 back to 1 (0 is never used) and skipping ids still in flight.
 *
 * @example Ids wrap past 2³²−1 and skip ids in flight
 * ```ts
 * import { SequentialIds } from "listenrain/framing";
 *
 * const ids = new SequentialIds({ start: 0xffff_ffff });
 * console.log(ids.next(() => false), ids.next((id) => id === 1)); // 4294967295 2
 * ```
 */
export class SequentialIds implements IdAllocator {
  #next: number;

  /**
   * Creates an allocator.
   *
   * @param options The first id.
   * @throws {RangeError} If `start` is not an integer from 1 to 2³²−1.
   */
  constructor(options: SequentialIdsOptions = {}) {
    const start = options.start ?? 1;
    if (!Number.isInteger(start) || start < 1 || start > 0xffff_ffff) {
      throw new RangeError(
        `start must be an integer from 1 to 4294967295, got ${start}`,
      );
    }
    this.#next = start;
  }

  /**
   * Allocates the next id.
   *
   * @param inUse Tells whether an id is still in flight.
   * @returns The next free id.
   */
  next(inUse: (id: MessageId) => boolean): number {
    for (;;) {
      const id = this.#next;
      this.#next = id === 0xffff_ffff ? 1 : id + 1;
      if (!inUse(id)) return id;
    }
  }
}
