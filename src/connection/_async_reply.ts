/**
 * {@linkcode AsyncReply}: the reply of a route whose handler returned a
 * promise.
 *
 * @module
 */

import type { BodyCodec } from "../codec/body_codec.ts";
import { Settling } from "../executor/_settling.ts";
import type { Protocol } from "../protocol/protocol.ts";
import type { IncomingContext } from "../transport/_incoming_context.ts";

/**
 * The reply message built from an async handler's value, once it resolves
 * (the handler's rejection, or a value the codec cannot encode, rejects).
 * A `Settling`: a transport's handler runner that knows it is told the
 * reply through its own methods, with no closure or derived promise per
 * request; anyone else waits for it as for a promise.
 *
 * @internal
 */
export class AsyncReply<M> extends Settling<M> {
  #protocol: Protocol<M>;
  #codec: BodyCodec<unknown>;
  #context: IncomingContext<M>;

  /**
   * @param result The handler's promise.
   * @param protocol The connection's protocol, which builds the reply.
   * @param codec The body codec of the reply.
   * @param context The request (its reply metadata is read at the end).
   */
  constructor(
    result: Promise<unknown>,
    protocol: Protocol<M>,
    codec: BodyCodec<unknown>,
    context: IncomingContext<M>,
  ) {
    super(result);
    this.#protocol = protocol;
    this.#codec = codec;
    this.#context = context;
  }

  protected map(value: unknown): M {
    return this.#protocol.reply(
      value,
      this.#codec,
      this.#context.replyMetadataIfSet,
    );
  }
}
