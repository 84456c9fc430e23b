/**
 * The Go ListenRain benchmark's wire format, as a listenrain protocol of your
 * own: a packet codec and a message codec that are byte-compatible with it.
 *
 * ```
 * offset  size  field
 * 0       4     length   u32 big-endian: bytes that follow (id + payload)
 * 4       36    id       the message id, 36 ASCII bytes (a UUID string)
 * 40      …     payload  the rest of the frame
 * ```
 *
 * There is no kind field: a message whose id is one of our pending requests
 * is the reply to it, any other is a request (the seed's behaviour, which
 * `Transport` gives to codecs whose `kind()` is `"message"`). A reply carries
 * the request's id.
 *
 * @module
 */

import { LengthPrefixedCodec } from "../../src/framing/length_prefixed.ts";
import type {
  IdAllocator,
  MessageCodec,
  MessageId,
  MessageKind,
} from "../../src/codec/message_codec.ts";
import { CodecError, ProtocolError } from "../../src/errors.ts";
import type { Channel } from "../../src/channel/channel.ts";
import {
  Transport,
  type TransportOptions,
} from "../../src/transport/transport.ts";

/** Bytes of the message id at the start of every payload. */
export const SEED_ID_SIZE = 36;

/** One message of the seed's protocol. */
export interface SeedMessage {
  /** 36 ASCII characters; set by the transport on requests and replies. */
  id: string;
  /** The payload after the id. */
  payload: Uint8Array;
}

/** The seed's framing: a u32 big-endian length before each payload. */
export function seedPacketCodec(
  maxFrameSize?: number,
): LengthPrefixedCodec {
  return new LengthPrefixedCodec({ headerSize: 4, maxFrameSize });
}

/**
 * {@linkcode MessageCodec} of the seed's messages: `id (36 ASCII bytes) ‖
 * payload`. Encoding passes the payload on uncopied; decoding returns it as
 * a view of the frame.
 */
export class SeedMessageCodec implements MessageCodec<SeedMessage> {
  /**
   * @param message The message.
   * @returns `[id bytes, payload]`.
   * @throws {CodecError} If the id is not 36 ASCII characters.
   */
  encode(message: SeedMessage): Uint8Array[] {
    const { id } = message;
    if (id.length !== SEED_ID_SIZE) {
      throw new CodecError(
        `Cannot encode message: id must be ${SEED_ID_SIZE} ASCII characters, got ${id.length}`,
      );
    }
    const head = new Uint8Array(SEED_ID_SIZE);
    for (let i = 0; i < SEED_ID_SIZE; i++) {
      const code = id.charCodeAt(i);
      if (code > 0x7f) {
        throw new CodecError(
          `Cannot encode message: id ${JSON.stringify(id)} is not ASCII`,
        );
      }
      head[i] = code;
    }
    return [head, message.payload];
  }

  /**
   * @param payload One frame's payload.
   * @returns The message; its payload is a view of `payload`.
   * @throws {ProtocolError} If the frame is shorter than the id or the id is
   * not ASCII.
   */
  decode(payload: Uint8Array): SeedMessage {
    if (payload.byteLength < SEED_ID_SIZE) {
      throw new ProtocolError(
        `Cannot decode message: ${payload.byteLength} bytes is shorter than the ${SEED_ID_SIZE}-byte id`,
      );
    }
    let id = "";
    for (let i = 0; i < SEED_ID_SIZE; i++) {
      const code = payload[i];
      if (code > 0x7f) {
        throw new ProtocolError(
          `Cannot decode message: byte ${i} of the id is not ASCII (0x${
            code.toString(16)
          })`,
        );
      }
      id += String.fromCharCode(code);
    }
    return { id, payload: payload.subarray(SEED_ID_SIZE) };
  }

  /** @returns `"message"`: the transport tells replies by their id. */
  kind(): MessageKind {
    return "message";
  }

  /** @returns The message's id. */
  id(message: SeedMessage): MessageId {
    return message.id;
  }

  /** @returns A copy of the message with `id` set. */
  withId(message: SeedMessage, id: MessageId): SeedMessage {
    return { id: String(id), payload: message.payload };
  }
}

/**
 * Allocates 36-character ASCII ids, UUID-shaped: a random prefix per
 * allocator and a counter, so ids are unique without a random draw per
 * request (`"3f2a9c1e-5b7d-4e80-9a61-000000000001"`).
 */
export class SeedIds implements IdAllocator {
  #prefix: string;
  #next = 1;

  constructor() {
    // A random UUID's first 24 characters ("xxxxxxxx-xxxx-4xxx-yxxx-").
    this.#prefix = crypto.randomUUID().slice(0, 24);
  }

  /**
   * @param inUse Tells whether an id is still in flight.
   * @returns The next free id.
   */
  next(inUse: (id: MessageId) => boolean): string {
    for (;;) {
      const id = this.#prefix +
        (this.#next++ % 0x1_0000_0000_0000).toString(16).padStart(12, "0");
      if (!inUse(id)) return id;
    }
  }
}

/** Options of {@linkcode seedTransport}: a transport's, less the codecs. */
export type SeedTransportOptions = Omit<
  TransportOptions<SeedMessage>,
  "codec" | "packetCodec" | "ids"
>;

/**
 * A {@linkcode Transport} that speaks the seed's protocol on `channel`.
 *
 * @param channel The byte stream.
 * @param options Handler, timeouts and the rest.
 * @returns The transport.
 */
export function seedTransport(
  channel: Channel,
  options: SeedTransportOptions = {},
): Transport<SeedMessage> {
  return new Transport<SeedMessage>(channel, {
    ...options,
    codec: new SeedMessageCodec(),
    packetCodec: seedPacketCodec(),
    ids: new SeedIds(),
  });
}
