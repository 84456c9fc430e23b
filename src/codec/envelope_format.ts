/**
 * The envelope's wire format in constants: the kinds (byte 0), the flag bits
 * (byte 1) and the smallest size. The format is in docs/PROTOCOL.md, byte by
 * byte.
 *
 * @module
 */

/**
 * The kinds of envelope, as on the wire (byte 0).
 *
 * @example The first byte of an encoded envelope
 * ```ts
 * import { ENVELOPE_KINDS, EnvelopeCodec } from "listenrain/framing";
 *
 * const codec = new EnvelopeCodec();
 * const [bytes] = codec.encode({ kind: "notify", id: 0, route: "log", body: new Uint8Array() });
 * console.log(ENVELOPE_KINDS.notify, bytes[0]); // 4 4
 * ```
 */
export const ENVELOPE_KINDS = {
  request: 1,
  reply: 2,
  error: 3,
  notify: 4,
  cancel: 5,
  ping: 6,
  pong: 7,
  goaway: 8,
  stream: 9,
  stream_end: 10,
  stream_credit: 11,
  stream_reply: 12,
  reply_credit: 13,
} as const;

/**
 * An envelope's kind.
 *
 * @example A kind from its wire byte
 * ```ts
 * import { ENVELOPE_KINDS, type EnvelopeKind } from "listenrain/framing";
 *
 * function kindOf(byte: number): EnvelopeKind | undefined {
 *   const kinds = Object.keys(ENVELOPE_KINDS) as EnvelopeKind[];
 *   return kinds.find((kind) => ENVELOPE_KINDS[kind] === byte);
 * }
 * console.log(kindOf(3), kindOf(99)); // "error" undefined
 * ```
 */
export type EnvelopeKind = keyof typeof ENVELOPE_KINDS;

/** Flag bit: the route is a u32 command, not a name. */
export const FLAG_NUMERIC_ROUTE = 0x01;
/** Flag bit: a u32 timeout in milliseconds follows the route. */
export const FLAG_TIMEOUT = 0x02;
/** Flag bit: a metadata block follows the timeout (or the route). */
export const FLAG_METADATA = 0x04;
/**
 * Flag bit (requests only): the request opens a stream; a shape byte (1
 * server, 2 client, 3 bidirectional) and a u32 credit follow the timeout.
 */
export const FLAG_STREAM = 0x08;
/** The smallest envelope: kind, flags, id and an empty route name. */
export const ENVELOPE_MIN_SIZE = 7;
