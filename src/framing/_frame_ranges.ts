/**
 * Decoding frames by range: the read path's way to skip a view per frame.
 *
 * @module
 */

/**
 * The method of a {@linkcode FrameDecoder} that also decodes by range:
 * `decoder[DECODE_RANGES](chunk, onFrame, onRange)` is `decode(chunk,
 * onFrame)`, except that a frame lying inside `chunk` is passed as
 * `onRange(chunk, start, end)` instead of a view of it. A frame assembled
 * from several chunks still goes to `onFrame`. On V8 a view is an object of
 * about 100 bytes: one per frame read, for nothing when the message decoder
 * reads by offset too (see `DECODE_RANGE`).
 *
 * @internal
 */
export const DECODE_RANGES: unique symbol = Symbol("listenrain.decodeRanges");

/** A frame's payload as `bytes[start]` to `bytes[end]`. */
export type RangeCallback = (
  bytes: Uint8Array,
  start: number,
  end: number,
) => void;

/**
 * A {@linkcode FrameDecoder} with the method {@linkcode DECODE_RANGES}.
 *
 * @internal
 */
export interface RangeFrameDecoder {
  [DECODE_RANGES](
    chunk: Uint8Array,
    onFrame: (payload: Uint8Array) => void,
    onRange: RangeCallback,
  ): void;
}
