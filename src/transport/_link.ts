/**
 * What the parts of one transport share: {@linkcode Link}.
 *
 * @module
 */

import type { Channel } from "../channel/channel.ts";
import type { MessageCodec, MessageId } from "../codec/message_codec.ts";
import type { PacketCodec } from "../framing/packet_codec.ts";
import { SendQueue } from "../queue/send_queue.ts";
import type { TimerHeap } from "../timer/timer_heap.ts";
import { ends, log, logging } from "../logger.ts";
import { DirectFrames } from "./_direct_frames.ts";
import type { TransportConfig } from "./_transport_config.ts";
import type { SlowRequest } from "./slow_request.ts";
import { type ConnectionStats, createStats } from "./stats.ts";

/**
 * Where a transport is in its life; it only moves forward:
 * - `open`: it reads and sends;
 * - `ended`: the peer ended its side, so no reply can come; it closes once
 *   its handlers have finished;
 * - `closing`: `close()` writes what is queued (for at most `closeTimeout`);
 * - `closed`.
 *
 * @internal
 */
export type TransportState = "open" | "ended" | "closing" | "closed";

/**
 * What the parts of one transport share: the codec, the counters, the
 * timers, the send side (encode → frame → queue) and the lifecycle state,
 * which the transport alone changes and its parts read.
 *
 * @internal
 */
export class Link<M> {
  readonly codec: MessageCodec<M>;
  readonly stats: ConnectionStats = createStats();
  readonly timers: TimerHeap;
  readonly queue: SendQueue;
  /** Errors that belong to no request. */
  readonly onError: (error: unknown) => void;
  /** Requests slower than this many ms go to `onSlow`. */
  readonly slowAfter: number;
  /** Each stream's credit for the peer's messages. */
  readonly streamWindow: number;
  /** While unset (and no logger is set), requests are not timed at all. */
  readonly onSlow: ((slow: SlowRequest<M>) => void) | undefined;
  /** Where frames are written; its addresses name the connection in logs. */
  readonly channel: Channel;
  state: TransportState = "open";
  /**
   * Set once no new request may be sent: the peer sent goaway, or the
   * transport is past `open`. The error such requests fail with.
   */
  refusal: Error | undefined = undefined;
  #packet: PacketCodec;
  /** Writes frames in place, when both codecs can. */
  #direct: DirectFrames<M> | undefined;

  /**
   * @param channel Where frames are written.
   * @param config The transport's options.
   * @param onWriteError Called when a write fails: the connection is lost.
   */
  constructor(
    channel: Channel,
    config: TransportConfig<M>,
    onWriteError: (cause: unknown) => void,
  ) {
    this.channel = channel;
    this.codec = config.codec;
    this.timers = config.timers;
    this.onError = config.onError;
    this.slowAfter = config.slowRequestThreshold;
    this.streamWindow = config.streamWindow;
    this.onSlow = config.onSlowRequest;
    this.#packet = config.packetCodec;
    this.#direct = DirectFrames.of(this.#packet, this.codec);
    this.queue = new SendQueue(channel.io ?? channel.writable, {
      ...config.queue,
      onError: onWriteError,
    });
  }

  /** Encodes, frames and queues one message. */
  write(message: M): void | Promise<void> {
    const queue = this.queue;
    // A full queue keeps the message, not its bytes, until there is room.
    if (queue.full) return this.#writeLater(message);
    // A small message whose codecs can write in place goes straight into
    // the queue's batch.
    const direct = this.#direct;
    if (direct !== undefined) {
      const length = direct.measure(message);
      if (queue.pushInto(length, direct, message)) {
        this.stats.framesOut++;
        this.stats.bytesOut += length;
        return;
      }
    }
    return queue.push(this.frame(message));
  }

  /**
   * Queues `message` to be framed once the queue has room. A method of its
   * own: a closure in `write` would make every call allocate a context.
   */
  #writeLater(message: M): Promise<void> | void {
    return this.queue.pushLater(() => this.frame(message));
  }

  /** Encodes and frames one message; counts it as sent. */
  frame(message: M): Uint8Array[] {
    const payload = this.codec.encode(message);
    let length = 0;
    for (const part of payload) length += part.byteLength;
    const parts = this.#packet.encode(payload, length);
    let size = 0;
    for (const part of parts) size += part.byteLength;
    this.stats.framesOut++;
    this.stats.bytesOut += size;
    return parts;
  }

  /** Writes a control message or reply; failures go to `onError`. */
  tryWrite(message: M): boolean {
    try {
      this.write(message)?.catch(() => {});
      return true;
    } catch (error) {
      this.onError(error);
      return false;
    }
  }

  /** True if requests are timed: for `onSlow`, or for the logger. */
  get timed(): boolean {
    return this.onSlow !== undefined || logging();
  }

  /** Counts a request that took longer than `slowAfter` and reports it. */
  reportSlow(
    direction: SlowRequest<M>["direction"],
    id: MessageId,
    request: M,
    elapsed: number,
    outcome: SlowRequest<M>["outcome"],
    route?: string,
  ): void {
    this.stats.slowRequests++;
    if (logging()) {
      const ms = Math.round(elapsed);
      log("warn", {
        event: "request.slow",
        ...ends(this.channel),
        direction,
        requestId: id,
        ...(route === undefined ? {} : { route }),
        elapsed,
        outcome,
      }, `slow ${direction} request ${id}: ${ms} ms (${outcome})`);
    }
    try {
      this.onSlow?.({ direction, id, request, elapsed, outcome });
    } catch (error) {
      this.onError(error);
    }
  }
}
