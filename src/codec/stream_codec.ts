/**
 * The {@linkcode StreamCodec} interface: the messages of streams, for a
 * {@linkcode MessageCodec} whose protocol has them, and the
 * {@linkcode StreamShape} of a stream.
 *
 * @module
 */

// deno-lint-ignore no-unused-vars
import type { MessageCodec, MessageId } from "./message_codec.ts";

/**
 * The shape of a stream: who sends a stream of messages. `server`: the
 * opener sends one request, the acceptor a stream; `client`: the opener
 * sends a stream, the acceptor one reply; `bidi`: both send streams.
 *
 * @example The shape a route was registered with
 * ```ts
 * import type { StreamShape } from "listenrain/framing";
 *
 * const shapes: StreamShape[] = ["server", "client", "bidi"];
 * console.log(shapes.length); // 3
 * ```
 */
export type StreamShape = "server" | "client" | "bidi";

/**
 * The messages of streams, for a {@linkcode MessageCodec} whose protocol has
 * them (the envelope's are in docs/PROTOCOL.md). A stream is opened by a
 * request that carries its shape and the opener's credit; its messages are
 * built by the protocol (`Protocol.message` with kind `"stream"` or
 * `"stream_reply"`); the rest is here.
 *
 * @example The envelope's stream messages
 * ```ts
 * import { EnvelopeCodec } from "listenrain/framing";
 *
 * const streams = new EnvelopeCodec().streams;
 * const open = streams.open({ kind: "request", id: 3, route: "tail", body: new Uint8Array() }, "server", 16);
 * console.log(streams.shape(open), streams.window(open)); // "server" 16
 * console.log(streams.count(streams.credit(3, 8, false))); // 8
 * ```
 */
export interface StreamCodec<M> {
  /**
   * Marks a request as opening a stream.
   * @param request The request (route, deadline, metadata, and for a server
   *   stream its one message).
   * @param shape Who sends a stream.
   * @param window How many messages the acceptor may send before more credit.
   * @returns The request that opens the stream.
   */
  open(request: M, shape: StreamShape, window: number): M;
  /**
   * The shape of a request that opens a stream.
   * @returns The shape, or `undefined` if the request opens none.
   */
  shape(request: M): StreamShape | undefined;
  /**
   * The credit a stream-opening request grants the acceptor.
   * @returns How many messages the acceptor may send.
   */
  window(request: M): number;
  /**
   * The end of the opener's messages.
   * @returns A `stream_end` for stream `id`.
   */
  end(id: MessageId): M;
  /**
   * More credit for the other side's messages.
   * @param id The stream.
   * @param count How many more messages the other side may send.
   * @param fromOpener True for `stream_credit` (the opener grants the
   *   acceptor), false for `reply_credit`.
   * @returns The credit message.
   */
  credit(id: MessageId, count: number, fromOpener: boolean): M;
  /**
   * The credit a credit message grants.
   * @returns How many more messages may be sent.
   */
  count(message: M): number;
}
