/**
 * The envelope's stream messages ({@linkcode StreamCodec}): opening a
 * stream, `stream_end` and the two credit kinds. The format is in
 * docs/PROTOCOL.md, byte by byte.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import type { Envelope } from "./envelope.ts";
import type { MessageId, StreamCodec, StreamShape } from "./message_codec.ts";
import { putU32, u32 } from "./_envelope_wire.ts";

const EMPTY: Uint8Array = new Uint8Array(0);

/** The envelope's {@linkcode StreamCodec}, shared by every `EnvelopeCodec`. */
export const envelopeStreams: StreamCodec<Envelope> = Object.freeze({
  open(request: Envelope, shape: StreamShape, window: number): Envelope {
    request.stream = shape;
    request.window = window;
    return request;
  },
  shape: (request: Envelope): StreamShape | undefined => request.stream,
  window: (request: Envelope): number => request.window ?? 0,
  end: (id: MessageId): Envelope => ({
    kind: "stream_end",
    id: id as number,
    route: "",
    body: EMPTY,
  }),
  credit(id: MessageId, count: number, fromOpener: boolean): Envelope {
    const body = new Uint8Array(4);
    putU32(body, 0, count);
    return {
      kind: fromOpener ? "stream_credit" : "reply_credit",
      id: id as number,
      route: "",
      body,
    };
  },
  count(message: Envelope): number {
    if (message.body.byteLength !== 4) {
      throw new ProtocolError(
        `A ${message.kind} carries a u32 count, got ${message.body.byteLength} bytes`,
      );
    }
    return u32(message.body, 0);
  },
});
