/**
 * What goes on the wire: packet codecs (payload ↔ frames on a byte stream)
 * and message codecs (message ↔ payload, and where the id lives), for
 * writing a {@linkcode Protocol} of your own; and the envelope, listenrain's
 * default protocol's message codec.
 *
 * @example Frames of a 2-byte big-endian length
 * ```ts
 * import { LengthPrefixedCodec } from "listenrain/framing";
 *
 * const framing = new LengthPrefixedCodec({ headerSize: 2 });
 * const payload = new TextEncoder().encode("hi");
 * const frame = framing.encode([payload], payload.byteLength);
 * console.log(frame.reduce((n, part) => n + part.byteLength, 0)); // 4
 * ```
 *
 * @module
 */

export type { Protocol } from "./src/protocol/protocol.ts";
export type { FrameDecoder, PacketCodec } from "./src/framing/packet_codec.ts";
export { LengthPrefixedCodec } from "./src/framing/length_prefixed.ts";
export type { LengthPrefixedOptions } from "./src/framing/length_prefixed.ts";
export { VarintPrefixedCodec } from "./src/framing/varint.ts";
export type { VarintPrefixedOptions } from "./src/framing/varint.ts";
export { DelimitedCodec } from "./src/framing/delimited.ts";
export type { DelimitedOptions } from "./src/framing/delimited.ts";
export { FixedSizeCodec } from "./src/framing/fixed_size.ts";
export type { FixedSizeOptions } from "./src/framing/fixed_size.ts";
export { SequentialIds } from "./src/codec/message_codec.ts";
export type {
  ErrorInfo,
  IdAllocator,
  MessageCodec,
  MessageId,
  MessageKind,
  SequentialIdsOptions,
  StreamCodec,
  StreamShape,
} from "./src/codec/message_codec.ts";
export { ENVELOPE_KINDS, EnvelopeCodec } from "./src/codec/envelope.ts";
export type {
  Envelope,
  EnvelopeCodecOptions,
  EnvelopeKind,
} from "./src/codec/envelope.ts";
