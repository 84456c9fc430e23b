/**
 * The {@linkcode PacketCodec} interface: how payloads become frames on a byte
 * stream and back (the seed's EncodePacket / DecodePacket, the "sticky packet"
 * problem).
 *
 * @module
 */

/**
 * Turns a byte stream back into frames. One decoder per connection: it keeps
 * the state of a frame that is split across chunks.
 *
 * @example A frame split across two chunks
 * ```ts
 * import { type FrameDecoder, LengthPrefixedCodec } from "listenrain/framing";
 *
 * const decoder: FrameDecoder = new LengthPrefixedCodec().createDecoder();
 * const frames: Uint8Array[] = [];
 * decoder.decode(new Uint8Array([0, 0, 0, 3, 1, 2]), (f) => frames.push(f));
 * console.log(frames.length, decoder.bufferedBytes); // 0 2
 * decoder.decode(new Uint8Array([3, 0, 0, 0, 1, 9]), (f) => frames.push(f));
 * console.log(frames); // [ Uint8Array(3) [ 1, 2, 3 ], Uint8Array(1) [ 9 ] ]
 * ```
 */
export interface FrameDecoder {
  /**
   * Feeds one chunk from the stream and calls `onFrame` with the payload of
   * every frame it completes, in order. A frame that lies inside `chunk` is
   * passed as a view of it (no copy); a frame split across chunks is joined
   * into a new buffer.
   *
   * @param chunk Bytes read from the stream. The decoder may keep views of it.
   * @param onFrame Called once per complete frame's payload.
   * @throws {ProtocolError} If the stream breaks the framing (for example a
   * length above `maxFrameSize`). The decoder cannot be used afterwards.
   */
  decode(chunk: Uint8Array, onFrame: (payload: Uint8Array) => void): void;
  /** Bytes of an incomplete frame held between calls. */
  readonly bufferedBytes: number;
  /**
   * Optional, with `advance`: where the rest of the frame being assembled
   * can be read to directly (a view of the frame's own buffer), when at
   * least `min` bytes of it are missing and it has such a buffer; else
   * `undefined`. A reader that can read into a buffer of its choosing (a
   * channel's `readInto`) reads there, then calls `advance`.
   *
   * @param min The fewest missing bytes worth a direct read.
   * @returns The view to read into, or `undefined`.
   */
  target?(min: number): Uint8Array | undefined;
  /**
   * Optional, with `target`: counts `count` bytes read into the view
   * `target` returned, and calls `onFrame` with the frame once it is whole.
   *
   * @param count Bytes read into the view, from its start.
   * @param onFrame Called with the frame's payload if it is now whole.
   */
  advance?(count: number, onFrame: (payload: Uint8Array) => void): void;
}

/**
 * Framing: payload ↔ frame bytes. Implementations must check `maxFrameSize`
 * before buffering anything, so that a peer cannot make them allocate more.
 *
 * @example A codec's round trip
 * ```ts
 * import { LengthPrefixedCodec, type PacketCodec } from "listenrain/framing";
 *
 * const codec: PacketCodec = new LengthPrefixedCodec();
 * const parts = codec.encode([new Uint8Array([7, 8])], 2);
 * const frames: Uint8Array[] = [];
 * const decoder = codec.createDecoder();
 * for (const part of parts) decoder.decode(part.slice(), (f) => frames.push(f));
 * console.log(frames); // [ Uint8Array(2) [ 7, 8 ] ]
 * ```
 */
export interface PacketCodec {
  /** The largest payload, in bytes, a frame may carry. */
  readonly maxFrameSize: number;
  /**
   * Frames a payload given as parts (so that a large body is never copied).
   *
   * @param payload The payload's parts, in order.
   * @param length The payload's total length in bytes.
   * @returns The frame's parts: typically a header, the payload parts, and a
   * trailer. Parts the codec creates (headers) may be reused by the next call
   * to `encode`, so the caller consumes them before calling again.
   * @throws {FrameTooLargeError} If `length` exceeds `maxFrameSize`.
   */
  encode(payload: readonly Uint8Array[], length: number): Uint8Array[];
  /**
   * Optional, with `writeHeader`: the size of the header of a frame whose
   * payload is `length` bytes, so that a sender can write whole frames in
   * place.
   *
   * @param length The payload's length.
   * @returns The header's size in bytes.
   * @throws {FrameTooLargeError} If `length` exceeds `maxFrameSize`.
   */
  headerLength?(length: number): number;
  /**
   * Optional, with `headerLength`: writes the header of a frame whose payload
   * is `length` bytes at `target[offset]` (`headerLength(length)` bytes,
   * checked by that call, made first).
   *
   * @param target Where to write.
   * @param offset Where in `target`.
   * @param length The payload's length.
   */
  writeHeader?(target: Uint8Array, offset: number, length: number): void;
  /**
   * Creates a decoder for one stream.
   * @returns A new decoder for one stream.
   */
  createDecoder(): FrameDecoder;
}
