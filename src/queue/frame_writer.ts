/**
 * The {@linkcode FrameWriter}: writes a frame straight into a
 * {@linkcode SendQueue}'s batch.
 *
 * @module
 */

/**
 * Writes a frame in place, for {@linkcode SendQueue.pushInto}.
 *
 * @example A frame of a 1-byte length and the bytes of a string
 * ```ts
 * import { type FrameWriter, SendQueue } from "listenrain/advanced";
 *
 * const ascii: FrameWriter<string> = {
 *   writeFrame(text, target, offset) {
 *     target[offset] = text.length;
 *     for (let i = 0; i < text.length; i++) target[offset + 1 + i] = text.charCodeAt(i);
 *   },
 * };
 * const writes: Uint8Array[] = [];
 * const queue = new SendQueue(new WritableStream({ write: (c) => void writes.push(c.slice()) }));
 * queue.pushInto(3, ascii, "hi");
 * await queue.flush();
 * console.log(writes[0]); // Uint8Array(3) [ 2, 104, 105 ]
 * await queue.close();
 * ```
 */
export interface FrameWriter<T> {
  /** Writes `item`'s frame at `target[offset]`; must not throw. */
  writeFrame(item: T, target: Uint8Array, offset: number): void;
}
