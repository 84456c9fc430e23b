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
 * There is no kind field, and the seed tells requests from replies by the
 * connection's role: on a connection it dialed every frame is a reply (one
 * whose id is not pending, late or unknown, is dropped), on one it accepted
 * every frame is a request. A reply carries the request's id. Give
 * {@linkcode seedProtocol} (protocol.ts) the same role: `"client"` on a dialed
 * connection, `"server"` on an accepted one. (`"peer"` is for two listenrain
 * ends that both call and serve: a frame whose id is pending here is its
 * reply, any other a request. Against a peer that echoes, that turns a late
 * reply into a request whose reply is echoed back, without end; the seed
 * never does it.)
 *
 * ## Frame size
 *
 * The seed's framing has no limit: the 4-byte length may announce up to
 * 4 GiB, and the seed allocates what it announces. listenrain keeps
 * {@linkcode SEED_DEFAULT_MAX_FRAME_SIZE} (16 MiB of id and payload) unless
 * `maxFrameSize` raises it. Over the limit, a message this side would send
 * fails its `request()` with `FrameTooLargeError` and the connection stays
 * open; a frame whose length announces more closes the connection (the
 * `onError` option gets the `FrameTooLargeError`). A Go client whose frame is
 * refused so sees its connection close, dials again and sends the same frame
 * again, in a loop: give the listenrain side a `maxFrameSize` at least as
 * large as the largest frame the Go side sends.
 *
 * The seed's own benchmark (`example/benchmark`) does not read the length it
 * is sent: it reads every frame into a pooled buffer of exactly 36 bytes of
 * id plus its `-payloadSize` flag (4096 bytes unless set). A listenrain
 * client talking to that benchmark server must send payloads of exactly that
 * size: a shorter frame leaves the Go side waiting for the rest (the request
 * times out), a longer one desynchronises its reads and ends the connection.
 *
 * @module
 */

import { CodecError, ProtocolError } from "../../mod.ts";
import {
  type IdAllocator,
  LengthPrefixedCodec,
  type MessageCodec,
  type MessageId,
  type MessageKind,
} from "../../framing.ts";

/** The frame limit unless raised: 16 MiB of id and payload, as listenrain's framing. */
export const SEED_DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;

/** Bytes of the message id at the start of every payload. */
export const SEED_ID_SIZE = 36;

/**
 * Which end of a connection a codec of the seed's protocol speaks for, which
 * decides what a frame is (there is no kind field):
 * - `"client"`: the end that dialed. Every frame is a reply; one whose id is
 *   not pending is dropped (and counted in `stats.lateReplies`), as the seed
 *   does.
 * - `"server"`: the end that accepted. Every frame is a request.
 * - `"peer"`: both ends call and serve. A frame whose id is pending here is
 *   its reply, any other a request (`kind()` is `"message"`). Not the
 *   seed's behaviour: use it only between two listenrain peers.
 */
export type SeedRole = "client" | "server" | "peer";

const KIND_OF_ROLE: Record<SeedRole, MessageKind> = {
  client: "reply",
  server: "request",
  peer: "message",
};

/** One message of the seed's protocol. */
export interface SeedMessage {
  /** 36 ASCII characters; set by the connection on requests and replies. */
  id: string;
  /** The payload after the id. */
  payload: Uint8Array;
}

/**
 * The seed's framing: a u32 big-endian length before each payload.
 *
 * @param maxFrameSize The largest payload (id and message payload) sent or
 * accepted; the seed has no limit. @default {16777216}
 * @returns The packet codec.
 */
export function seedPacketCodec(
  maxFrameSize: number = SEED_DEFAULT_MAX_FRAME_SIZE,
): LengthPrefixedCodec {
  return new LengthPrefixedCodec({ headerSize: 4, maxFrameSize });
}

/** Options of {@linkcode SeedMessageCodec}. */
export interface SeedMessageCodecOptions {
  /**
   * The end of the connection the codec speaks for; see
   * {@linkcode SeedRole}. @default {"peer"}
   */
  role?: SeedRole;
}

/**
 * {@linkcode MessageCodec} of the seed's messages: `id (36 ASCII bytes) ‖
 * payload`. Encoding passes the payload on uncopied; decoding returns it as
 * a view of the frame. Its `role` decides what `kind()` says of a frame.
 */
export class SeedMessageCodec implements MessageCodec<SeedMessage> {
  /** The end of the connection this codec speaks for. */
  readonly role: SeedRole;
  #kind: MessageKind;

  /**
   * @param options The role; without one, `"peer"`.
   * @throws {RangeError} If the role is not `"client"`, `"server"` or
   * `"peer"`.
   */
  constructor(options: SeedMessageCodecOptions = {}) {
    const role = options.role ?? "peer";
    if (!Object.hasOwn(KIND_OF_ROLE, role)) {
      throw new RangeError(
        `role must be "client", "server" or "peer", got ${
          JSON.stringify(role)
        }`,
      );
    }
    this.role = role;
    this.#kind = KIND_OF_ROLE[role];
  }

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

  /**
   * @returns By the role, whatever the frame: `"reply"` for a client,
   * `"request"` for a server, `"message"` for a peer (the connection then
   * tells a reply by its pending id).
   */
  kind(): MessageKind {
    return this.#kind;
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
