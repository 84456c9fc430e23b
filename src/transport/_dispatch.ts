/**
 * Where each message read from the peer goes: {@linkcode Dispatch}.
 *
 * @module
 */

import type { Channel } from "../channel/channel.ts";
import {
  DECODE_RANGE,
  rangeDecoderOf,
  type RangeMessageDecoder,
} from "../codec/_decode_range.ts";
import type { MessageCodec } from "../codec/message_codec.ts";
import { ConnectionClosedError, ProtocolError } from "../errors.ts";
import { ends, log, logging } from "../logger.ts";
import {
  INCOMING_NOTIFY,
  INCOMING_PING,
  INCOMING_REQUEST,
} from "./_backlog.ts";
import type { Incoming } from "./_incoming.ts";
import type { Link } from "./_link.ts";
import type { Outgoing } from "./_outgoing.ts";
import { toError } from "./_to_error.ts";

/**
 * Decodes each frame's payload and hands the message to the part it is
 * for: replies to {@linkcode Outgoing}; requests, notifications, pings and
 * cancels to {@linkcode Incoming}; goaway to the transport's callback. A
 * payload comes as a view (`onFrame`) or, from a frame decoder that reads
 * by range, as `bytes[start]` to `bytes[end]` (`onRange`); a codec that
 * decodes by range then makes no view of it.
 *
 * @internal
 */
export class Dispatch<M> {
  /** The frame decoder's callback for a payload given as a view. */
  readonly onFrame: (payload: Uint8Array) => void;
  /** The frame decoder's callback for a payload given as a range. */
  readonly onRange: (bytes: Uint8Array, start: number, end: number) => void;
  /** The chunk being decoded, for the backlog. */
  chunk: Uint8Array | undefined;
  #link: Link<M>;
  #codec: MessageCodec<M>;
  #ranges: RangeMessageDecoder<M> | undefined;
  #outgoing: Outgoing<M>;
  #incoming: Incoming<M>;
  #channel: Channel;
  #name: () => string;
  #onGoaway: ((reason: string) => void) | undefined;

  constructor(
    link: Link<M>,
    outgoing: Outgoing<M>,
    incoming: Incoming<M>,
    channel: Channel,
    name: () => string,
    onGoaway: ((reason: string) => void) | undefined,
  ) {
    this.#link = link;
    this.#codec = link.codec;
    this.#ranges = rangeDecoderOf(link.codec);
    this.#outgoing = outgoing;
    this.#incoming = incoming;
    this.#channel = channel;
    this.#name = name;
    this.#onGoaway = onGoaway;
    this.onFrame = (payload) => this.#dispatch(payload, 0, payload.byteLength);
    this.onRange = (bytes, start, end) => this.#dispatch(bytes, start, end);
  }

  #decode(bytes: Uint8Array, start: number, end: number): M {
    try {
      const ranges = this.#ranges;
      if (ranges !== undefined) return ranges[DECODE_RANGE](bytes, start, end);
      return this.#codec.decode(
        start === 0 && end === bytes.byteLength
          ? bytes
          : bytes.subarray(start, end),
      );
    } catch (cause) {
      if (cause instanceof ProtocolError) throw cause;
      throw new ProtocolError(
        `Cannot decode message: ${toError(cause).message}`,
        { cause },
      );
    }
  }

  /** Decodes the payload `bytes[start]` to `bytes[end]` and hands it on. */
  #dispatch(bytes: Uint8Array, start: number, end: number): void {
    const link = this.#link;
    link.stats.framesIn++;
    if (link.state === "closed") return;
    const message = this.#decode(bytes, start, end);
    const codec = this.#codec;
    const kind = codec.kind(message);
    let what: number;
    switch (kind) {
      case "reply":
      case "pong":
        return this.#outgoing.onReply(message, false);
      case "error":
        return this.#outgoing.onReply(message, true);
      case "request":
        what = INCOMING_REQUEST;
        break;
      case "notify":
        what = INCOMING_NOTIFY;
        break;
      case "ping":
        what = INCOMING_PING;
        break;
      case "message":
        if (this.#outgoing.inUse(codec.id(message))) {
          return this.#outgoing.onReply(message, false);
        }
        what = INCOMING_REQUEST;
        break;
      case "cancel":
        return this.#incoming.onCancel(codec.id(message));
      case "stream":
      case "stream_end":
      case "stream_credit":
        return this.#incoming.streams.onFrame(message, kind, end - start);
      case "stream_reply":
        return this.#outgoing.onStreamFrame(message, false, end - start);
      case "reply_credit":
        return this.#outgoing.onStreamFrame(message, true, 0);
      case "goaway":
        return this.#onGoawayMessage(message);
      default:
        throw new ProtocolError(
          `Cannot dispatch message: unknown kind "${kind}"`,
        );
    }
    this.#incoming.onMessage(message, what, bytes, start, end, this.chunk);
  }

  #onGoawayMessage(message: M): void {
    const reason = this.#codec.goawayReason?.(message) ?? "goaway";
    this.#link.refusal ??= new ConnectionClosedError(
      `The peer is going away (${reason})`,
    );
    if (logging()) {
      log(
        "debug",
        {
          event: "connection.goaway",
          ...ends(this.#channel),
          direction: "received",
          reason,
        },
        `goaway received on ${this.#name()} (${reason})`,
      );
    }
    this.#onGoaway?.(reason);
  }
}
