/**
 * A transport's options resolved: every default filled in and every bound
 * checked, once, by {@linkcode resolveTransportOptions}.
 *
 * @module
 */

import {
  type IdAllocator,
  type MessageCodec,
  SequentialIds,
} from "../codec/message_codec.ts";
import type { Executor } from "../executor/executor.ts";
import { LengthPrefixedCodec } from "../framing/length_prefixed.ts";
import type { PacketCodec } from "../framing/packet_codec.ts";
import type { SendQueueOptions } from "../queue/send_queue.ts";
import { TimerHeap } from "../timer/timer_heap.ts";
import type { RequestOrigin } from "./_incoming_context.ts";
import type { HandlerFailure } from "./handler_failure.ts";
import type { SlowRequest } from "./slow_request.ts";
import {
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_MAX_HANDLING_BYTES,
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_MAX_STREAMS,
  DEFAULT_SLOW_REQUEST_THRESHOLD,
  DEFAULT_STREAM_WINDOW,
  DEFAULT_TIMEOUT,
  type MessageHandler,
  type TransportOptions,
} from "./transport_options.ts";

/** {@linkcode TransportOptions} with the defaults filled in. @internal */
export interface TransportConfig<M> {
  codec: MessageCodec<M>;
  packetCodec: PacketCodec;
  handler: MessageHandler<M> | undefined;
  /** In ms; `Infinity` for none (an option of `0` too). */
  timeout: number;
  maxPendingRequests: number;
  maxHandlingBytes: number;
  streamWindow: number;
  maxStreams: number;
  queue: SendQueueOptions | undefined;
  /** `undefined`: a `BoundedExecutor` is made when the first request arrives. */
  executor: Executor | undefined;
  timers: TimerHeap;
  ids: IdAllocator;
  /** In ms; `Infinity` for none (an option of `0` too). */
  closeTimeout: number;
  onError: (error: unknown) => void;
  onHandlerError: ((failure: HandlerFailure<M>) => void) | undefined;
  exposeErrors: boolean;
  onGoaway: ((reason: string) => void) | undefined;
  slowRequestThreshold: number;
  onSlowRequest: ((slow: SlowRequest<M>) => void) | undefined;
  /** Who the requests come from, for their contexts. */
  origin: RequestOrigin | undefined;
}

/**
 * {@linkcode TransportOptions} and the options only this package gives a
 * transport (not part of `ConnectionOptions`).
 *
 * @internal
 */
export interface InternalTransportOptions<M> extends TransportOptions<M> {
  /**
   * The connection that owns the transport and its channel: what handlers
   * see as `ctx.connection` and `ctx.remoteAddr`.
   */
  origin?: RequestOrigin;
}

/**
 * Fills in the defaults of `options` and checks their bounds.
 *
 * @param options What the transport was given.
 * @returns The options with every default filled in.
 * @throws {RangeError} If an option is out of range.
 * @internal
 */
export function resolveTransportOptions<M>(
  options: InternalTransportOptions<M>,
): TransportConfig<M> {
  const timeout = checkTimeout(options.timeout ?? DEFAULT_TIMEOUT);
  const maxPendingRequests = options.maxPendingRequests ??
    DEFAULT_MAX_PENDING_REQUESTS;
  if (!(maxPendingRequests >= 1)) {
    throw new RangeError(
      `maxPendingRequests must be at least 1, got ${maxPendingRequests}`,
    );
  }
  const maxHandlingBytes = options.maxHandlingBytes ??
    DEFAULT_MAX_HANDLING_BYTES;
  if (!(maxHandlingBytes > 0)) {
    throw new RangeError(
      `maxHandlingBytes must be positive, got ${maxHandlingBytes}`,
    );
  }
  const streamWindow = options.streamWindow ?? DEFAULT_STREAM_WINDOW;
  if (
    !Number.isInteger(streamWindow) || streamWindow < 1 ||
    streamWindow > 0xffff_ffff
  ) {
    throw new RangeError(
      `streamWindow must be an integer from 1 to 2^32-1, got ${streamWindow}`,
    );
  }
  const maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
  if (!Number.isInteger(maxStreams) || maxStreams < 0) {
    throw new RangeError(
      `maxStreams must be an integer >= 0, got ${maxStreams}`,
    );
  }
  const closeTimeout = checkTimeout(
    options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT,
  );
  const slowRequestThreshold = options.slowRequestThreshold ??
    DEFAULT_SLOW_REQUEST_THRESHOLD;
  if (!(slowRequestThreshold >= 0)) {
    throw new RangeError(
      `slowRequestThreshold must be a number >= 0, got ${slowRequestThreshold}`,
    );
  }
  return {
    codec: options.codec,
    packetCodec: options.packetCodec ?? DEFAULT_PACKET_CODEC,
    handler: options.handler,
    timeout,
    maxPendingRequests,
    maxHandlingBytes,
    streamWindow,
    maxStreams,
    queue: options.queue,
    executor: options.executor,
    timers: options.timers ?? sharedTimers(),
    ids: options.ids ?? new SequentialIds(),
    closeTimeout,
    onError: options.onError ?? (() => {}),
    onHandlerError: options.onHandlerError,
    exposeErrors: options.exposeErrors ?? false,
    onGoaway: options.onGoaway,
    slowRequestThreshold,
    onSlowRequest: options.onSlowRequest,
    origin: options.origin,
  };
}

/**
 * Checks a timeout option: a number >= 0, where `0` means none.
 *
 * @param timeout The option, in ms.
 * @returns The timeout, `Infinity` for none.
 * @throws {RangeError} If it is not a number >= 0.
 * @internal
 */
export function checkTimeout(timeout: number): number {
  if (typeof timeout !== "number" || !(timeout >= 0)) {
    throw new RangeError(`timeout must be a number >= 0, got ${timeout}`);
  }
  return timeout === 0 ? Infinity : timeout;
}

/**
 * The framing of transports that name none, shared: encoding copies nothing
 * a transport keeps, and each transport makes its own decoder.
 */
const DEFAULT_PACKET_CODEC = new LengthPrefixedCodec();

let defaultTimers: TimerHeap | undefined;

/** The timer heap of transports that name none: one per process. */
function sharedTimers(): TimerHeap {
  return defaultTimers ??= new TimerHeap();
}
