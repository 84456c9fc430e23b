/**
 * Frames written in place: {@linkcode DirectFrames} writes a transport's
 * small frames straight into its send queue's batch.
 *
 * @module
 */

import type { MessageCodec } from "../codec/message_codec.ts";
import type { PacketCodec } from "../framing/packet_codec.ts";
import type { FrameWriter } from "../queue/send_queue.ts";

/**
 * Writes a transport's frames straight into its send queue's batch, for a
 * message codec with `encodedLength`/`encodeInto` and a packet codec with
 * `headerLength`/`writeHeader`.
 *
 * @internal
 */
export class DirectFrames<M> implements FrameWriter<M> {
  #packet: PacketCodec;
  #codec: MessageCodec<M>;
  /** The payload's length, from `measure`, for the `writeFrame` after it. */
  #payload = 0;
  #header = 0;

  /** A writer for these codecs, or `undefined` if they cannot write in place. */
  static of<M>(
    packet: PacketCodec,
    codec: MessageCodec<M>,
  ): DirectFrames<M> | undefined {
    return packet.headerLength && packet.writeHeader &&
        codec.encodedLength && codec.encodeInto
      ? new DirectFrames(packet, codec)
      : undefined;
  }

  constructor(packet: PacketCodec, codec: MessageCodec<M>) {
    this.#packet = packet;
    this.#codec = codec;
  }

  /** The frame's size; checks the message and the frame size limit. */
  measure(message: M): number {
    this.#payload = this.#codec.encodedLength!(message);
    this.#header = this.#packet.headerLength!(this.#payload);
    return this.#header + this.#payload;
  }

  writeFrame(message: M, target: Uint8Array, offset: number): void {
    this.#packet.writeHeader!(target, offset, this.#payload);
    this.#codec.encodeInto!(message, target, offset + this.#header);
  }
}
