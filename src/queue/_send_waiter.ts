/**
 * Frames waiting for room in a full {@linkcode SendQueue} (overflow
 * `"wait"`): how a frame joins the wait, and how a waiting producer runs once
 * the frame is admitted. Only a full queue comes here.
 *
 * @module
 */

import { DEFAULT_COPY_LIMIT } from "./send_queue_options.ts";

/** A frame waiting for room. */
export interface Waiter {
  /** The frame's parts, or a function that makes them once admitted. */
  parts: Uint8Array[] | (() => readonly Uint8Array[]);
  /** The frame's length; -1 until a producer ran. */
  length: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Puts a frame given as parts at the end of `waiters`. Parts of up to
 * {@linkcode DEFAULT_COPY_LIMIT} are copied now, so the caller may reuse them.
 *
 * @returns A promise that resolves once the queue took the frame.
 */
export function waitWithParts(
  waiters: Waiter[],
  parts: readonly Uint8Array[],
  length: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const copies = parts.map((p) =>
      p.byteLength <= DEFAULT_COPY_LIMIT ? p.slice() : p
    );
    waiters.push({ parts: copies, length, resolve, reject });
  });
}

/**
 * Puts a frame that `produce` makes once admitted at the end of `waiters`.
 *
 * @returns A promise that resolves once the queue took the frame.
 */
export function waitToProduce(
  waiters: Waiter[],
  produce: () => readonly Uint8Array[],
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    waiters.push({ parts: produce, length: -1, resolve, reject });
  });
}

/**
 * Runs an admitted waiter's producer.
 *
 * @returns The frame's parts, or `undefined` if `produce` threw: then the
 *   waiter is rejected with the error.
 */
export function produceParts(
  waiter: Waiter,
  produce: () => readonly Uint8Array[],
): readonly Uint8Array[] | undefined {
  try {
    return produce();
  } catch (error) {
    waiter.reject(error instanceof Error ? error : new Error(String(error)));
    return undefined;
  }
}
