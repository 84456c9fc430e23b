/**
 * The options of a {@linkcode SendQueue}, and its defaults.
 *
 * @module
 */

/**
 * The default bound of a send queue: 8 MiB. The `maxQueueBytes` option
 * overrides it.
 * @default {8388608}
 *
 * @example The default bound, and a queue bound to 4 bytes instead
 * ```ts
 * import { SendQueue } from "listenrain/advanced";
 *
 * // The default: 8 MiB.
 * const queue = new SendQueue(new WritableStream(), { maxQueueBytes: 4 });
 * queue.push([new Uint8Array(4)]);
 * console.log(queue.full, queue.queuedBytes); // true 4
 * await queue.close();
 * ```
 */
export const DEFAULT_MAX_QUEUE_BYTES = 8 * 1024 * 1024;

/**
 * Parts up to this size (64 KiB) are copied into the batch; larger parts are written
 * as they are, without a copy.
 * @default {65536}
 *
 * @example A small part is copied at once, a large one is written as it is
 * ```ts
 * import { SendQueue } from "listenrain/advanced";
 *
 * const writes: Uint8Array[] = [];
 * const queue = new SendQueue(new WritableStream({ write: (c) => void writes.push(c.slice()) }));
 * const small = new Uint8Array([1, 2, 3]);
 * queue.push([small]);
 * small.fill(0); // copied by push: safe to reuse at once
 * queue.push([new Uint8Array(64 * 1024 + 1)]); // over 64 KiB: kept by reference until written
 * await queue.flush();
 * console.log(writes[0], writes[1].byteLength); // Uint8Array(3) [ 1, 2, 3 ] 65537
 * await queue.close();
 * ```
 */
export const DEFAULT_COPY_LIMIT = 64 * 1024;

/**
 * What a full queue does with another frame.
 *
 * @example Waiting for room, or failing at once
 * ```ts
 * import { QueueFullError } from "listenrain";
 * import { type QueueOverflow, SendQueue } from "listenrain/advanced";
 *
 * const fullQueue = (overflow: QueueOverflow) => {
 *   const queue = new SendQueue(new WritableStream(), { maxQueueBytes: 4, overflow });
 *   queue.push([new Uint8Array(4)]);
 *   return queue;
 * };
 * const waiting = fullQueue("wait");
 * const later = waiting.push([new Uint8Array(1)]);
 * console.log(later instanceof Promise); // true: it resolves once the frame fits
 * await later;
 * await waiting.close();
 * const failing = fullQueue("error");
 * try {
 *   failing.push([new Uint8Array(1)]);
 * } catch (error) {
 *   console.log(error instanceof QueueFullError); // true
 * }
 * await failing.close();
 * ```
 */
export type QueueOverflow = "wait" | "error";

/**
 * Options of {@linkcode SendQueue}. A transport takes them as its `queue`
 * option.
 *
 * @example A bound, fail-fast overflow, and a write error reported
 * ```ts
 * import { SendQueue, type SendQueueOptions } from "listenrain/advanced";
 *
 * const failures: unknown[] = [];
 * const options: SendQueueOptions = {
 *   maxQueueBytes: 1024 * 1024,
 *   overflow: "error",
 *   onError: (error) => failures.push(error),
 * };
 * const broken = new WritableStream<Uint8Array>({ write() { throw new Error("broken pipe"); } });
 * const queue = new SendQueue(broken, options);
 * queue.push([new Uint8Array([1])]);
 * await queue.flush().catch((error) => console.log(error.name)); // "ConnectionClosedError"
 * console.log((failures[0] as Error).message); // "broken pipe"
 * ```
 */
export interface SendQueueOptions {
  /**
   * Bytes queued or being written before the queue counts as full. A single
   * frame larger than this is still sent when the queue is empty.
   * @default {8388608}
   */
  maxQueueBytes?: number;
  /**
   * `"wait"`: `push()` returns a promise that resolves once the frame fits.
   * `"error"`: `push()` throws a {@linkcode QueueFullError}.
   * @default {"wait"}
   */
  overflow?: QueueOverflow;
  /** Called once if a write fails; the queue is closed afterwards. */
  onError?: (error: unknown) => void;
}
