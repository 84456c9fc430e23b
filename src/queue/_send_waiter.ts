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
 * Admits waiting frames, oldest first, while the queue has room: a frame
 * given as parts when it fits under `max` (or the queue is empty), a
 * producer while the queue holds less than `max`.
 *
 * @param waiters The waiting frames; admitted ones are removed.
 * @param max The queue's bound in bytes.
 * @param bytes What the queue holds now.
 * @param append Queues an admitted frame.
 */
export function admitWaiters(
  waiters: Waiter[],
  max: number,
  bytes: () => number,
  append: (parts: readonly Uint8Array[], length: number) => void,
): void {
  while (waiters.length > 0) {
    const next = waiters[0];
    const { parts } = next;
    if (typeof parts === "function") {
      if (bytes() >= max) break;
      waiters.shift();
      const made = produceParts(next, parts);
      if (made === undefined) continue;
      let length = 0;
      for (const part of made) length += part.byteLength;
      append(made, length);
    } else {
      const held = bytes();
      if (held > 0 && held + next.length > max) break;
      waiters.shift();
      append(parts, next.length);
    }
    next.resolve();
  }
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
