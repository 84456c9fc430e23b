/**
 * Decoding a message from a range of a buffer, without a view of it.
 *
 * @module
 */

/**
 * The method of a {@linkcode MessageCodec} that decodes the payload
 * `bytes[start]` to `bytes[end]`: `codec[DECODE_RANGE](bytes, start, end)`
 * is `codec.decode(bytes.subarray(start, end))` without the view. The read
 * path uses it with a frame decoder's `DECODE_RANGES`.
 *
 * @internal
 */
export const DECODE_RANGE: unique symbol = Symbol("listenrain.decodeRange");

/**
 * A message codec with the method {@linkcode DECODE_RANGE}.
 *
 * @internal
 */
export interface RangeMessageDecoder<M> {
  [DECODE_RANGE](bytes: Uint8Array, start: number, end: number): M;
}

/**
 * `codec` if it decodes by range the same way as its `decode`, else
 * `undefined`: the range method is used only where the codec's own class
 * defines it beside `decode`, so that an object made from such a codec
 * (`Object.create`, a subclass) that changes `decode` is decoded by its
 * `decode`.
 *
 * @internal
 */
export function rangeDecoderOf<M>(
  codec: { decode(payload: Uint8Array): M },
): RangeMessageDecoder<M> | undefined {
  const prototype = Object.getPrototypeOf(codec);
  return prototype !== null && Object.hasOwn(prototype, DECODE_RANGE) &&
      Object.hasOwn(prototype, "decode") && !Object.hasOwn(codec, "decode")
    ? codec as unknown as RangeMessageDecoder<M>
    : undefined;
}
