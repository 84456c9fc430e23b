/**
 * The default protocol spoken by hand on a raw channel, for the transport
 * conformance suite: the tests play a misbehaving peer (one that half-closes,
 * stops reading or resets mid-frame) on one end while a `Connection` runs on the
 * other.
 *
 * @module
 */

import type { Channel } from "../../src/channel/channel.ts";
import { type Envelope, EnvelopeCodec } from "../../src/codec/envelope.ts";
import { LengthPrefixedCodec } from "../../src/framing/length_prefixed.ts";

const envelopes = new EnvelopeCodec();
const frames = new LengthPrefixedCodec({ maxFrameSize: 32 << 20 });

/**
 * One frame's bytes (length prefix and envelope) in fresh memory: the
 * envelope codec may encode into a shared slab, so the bytes are copied out.
 */
export function frameOf(message: Envelope): Uint8Array {
  const payload = envelopes.encode(message);
  let length = 0;
  for (const part of payload) length += part.byteLength;
  const parts = frames.encode(payload, length);
  let size = 0;
  for (const part of parts) size += part.byteLength;
  const frame = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    frame.set(part, at);
    at += part.byteLength;
  }
  return frame;
}

/** Reads envelopes off a raw channel, one frame at a time. */
export class FrameReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #decoder = frames.createDecoder();
  #ready: Envelope[] = [];
  #onFrame = (payload: Uint8Array): void => {
    // The payload is a view of a chunk the reader owns: safe to keep.
    this.#ready.push(envelopes.decode(payload));
  };

  /** Takes `channel.readable`'s lock until {@linkcode release}. */
  constructor(channel: Channel) {
    this.#reader = channel.readable.getReader();
  }

  /** The next envelope, or `undefined` once the stream ended between frames. */
  async next(): Promise<Envelope | undefined> {
    while (this.#ready.length === 0) {
      const { value, done } = await this.#reader.read();
      if (done) {
        if (this.#decoder.bufferedBytes > 0) {
          throw new Error("The stream ended inside a frame");
        }
        return undefined;
      }
      this.#decoder.decode(value, this.#onFrame);
    }
    return this.#ready.shift();
  }

  /** Reads envelopes until the stream ends. */
  async rest(): Promise<Envelope[]> {
    const all: Envelope[] = [];
    for (let next = await this.next(); next; next = await this.next()) {
      all.push(next);
    }
    return all;
  }

  /** Releases the readable's lock. */
  release(): void {
    this.#reader.releaseLock();
  }
}
