/**
 * The streams the peer opened: {@linkcode IncomingStreams}. Each is a
 * request being handled; its stream frames are routed here by id.
 *
 * @module
 */

import type { MessageId } from "../codec/message_codec.ts";
import type { IncomingContext, StreamAcceptor } from "./_incoming_context.ts";
import type { Link } from "./_link.ts";
import { StreamState } from "./_stream_state.ts";

/**
 * Accepts the streams the peer opens and routes their `stream`,
 * `stream_end` and `stream_credit` messages.
 *
 * @internal
 */
export class IncomingStreams<M> implements StreamAcceptor<M> {
  /** Streams the peer opened whose handlers have not finished. */
  open = 0;
  #link: Link<M>;
  /** How many of the peer's messages may wait per stream. */
  #window: number;
  /** The request being handled with this id, if any. */
  #lookup: (id: MessageId) => IncomingContext<M> | undefined;

  /**
   * @param link The connection's send side.
   * @param window Each stream's credit for the peer's messages.
   * @param lookup Finds the request being handled by id.
   */
  constructor(
    link: Link<M>,
    window: number,
    lookup: (id: MessageId) => IncomingContext<M> | undefined,
  ) {
    this.#link = link;
    this.#window = window;
    this.#lookup = lookup;
  }

  /** A `stream`, `stream_end` or `stream_credit` of a stream the peer opened. */
  onFrame(
    message: M,
    kind: "stream" | "stream_end" | "stream_credit",
    size: number,
  ): void {
    const codec = this.#link.codec;
    const stream = this.#lookup(codec.id(message))?.stream;
    if (stream === undefined) return; // ended here (or never opened): dropped
    if (kind === "stream") stream.push(message, size);
    else if (kind === "stream_end") stream.endInput();
    else stream.grant(codec.streams!.count(message));
  }

  /** Accepts the stream `context`'s request opens (for its route handler). */
  acceptStream(
    context: IncomingContext<M>,
    decode: (message: M) => unknown,
    input: boolean,
  ): StreamState<M> {
    const streams = this.#link.codec.streams!;
    const stream = new StreamState<M>(
      this.#link,
      streams,
      false,
      this.#window,
      decode,
    );
    stream.id = context.id;
    stream.cancel = (error) => context.cancel(error);
    stream.grant(streams.window(context.message));
    context.stream = stream;
    if (input) {
      this.#link.tryWrite(streams.credit(context.id, this.#window, false));
    } else stream.endInput();
    return stream;
  }
}
