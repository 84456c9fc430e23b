/**
 * A send queue's options resolved: the defaults filled in and the bound
 * checked, once, by {@linkcode resolveSendQueueOptions}.
 *
 * @module
 */

import {
  DEFAULT_MAX_QUEUE_BYTES,
  type QueueOverflow,
  type SendQueueOptions,
} from "./send_queue_options.ts";

/** {@linkcode SendQueueOptions} with the defaults filled in. @internal */
export interface SendQueueConfig {
  maxQueueBytes: number;
  overflow: QueueOverflow;
  onError: ((error: unknown) => void) | undefined;
}

/**
 * Fills in the defaults of `options` and checks the bound.
 *
 * @param options What the queue was given.
 * @returns The options with every default filled in.
 * @throws {RangeError} If `maxQueueBytes` is not a positive number.
 * @internal
 */
export function resolveSendQueueOptions(
  options: SendQueueOptions,
): SendQueueConfig {
  const maxQueueBytes = options.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES;
  if (!(maxQueueBytes > 0)) {
    throw new RangeError(
      `maxQueueBytes must be positive, got ${maxQueueBytes}`,
    );
  }
  return {
    maxQueueBytes,
    overflow: options.overflow ?? "wait",
    onError: options.onError,
  };
}
