/**
 * What a transport sends back to the peer's requests: {@linkcode Replies}.
 *
 * @module
 */

import type { Metadata } from "../codec/metadata.ts";
import type {
  ErrorInfo,
  MessageCodec,
  MessageId,
} from "../codec/message_codec.ts";
import {
  ConnectionClosedError,
  FrameTooLargeError,
  QueueFullError,
} from "../errors.ts";
import type { Link } from "./_link.ts";
import { toError } from "./_to_error.ts";
import { WaitingReplies } from "./_waiting_replies.ts";
import type { ConnectionStats } from "./stats.ts";

/**
 * Replies waiting for room in the send queue before reading pauses: a peer
 * that does not read its replies stops being read from.
 */
const MAX_REPLIES_WAITING = 64;

/**
 * Sends replies, error replies and pongs, in order: while the send queue is
 * full they wait behind each other (see `WaitingReplies`), each still
 * charged against the handling bound until it is queued.
 *
 * @internal
 */
export class Replies<M> {
  #link: Link<M>;
  #codec: MessageCodec<M>;
  #stats: ConnectionStats;
  /** Gives back what a handled request was charged. */
  #release: (charge: number) => void;
  /** Replies waiting for room in the send queue; made when one first waits. */
  #waiting: WaitingReplies | undefined;
  /** Resumes the read loop paused by too many replies waiting. */
  #resumeRead: (() => void) | undefined;

  constructor(link: Link<M>, release: (charge: number) => void) {
    this.#link = link;
    this.#codec = link.codec;
    this.#stats = link.stats;
    this.#release = release;
  }

  /** True while so many replies wait that reading should pause. */
  get full(): boolean {
    return this.#waiting !== undefined &&
      this.#waiting.count >= MAX_REPLIES_WAITING;
  }

  /** Resolves when the replies that wait have been queued. */
  whenRoom(): Promise<void> {
    return new Promise<void>((resolve) => this.#resumeRead = resolve);
  }

  /** Sends `reply` to request `id`; `charge` is released once it is queued. */
  reply(id: MessageId, reply: M, charge: number): void {
    let error: Error | undefined;
    try {
      error = this.#send(this.#codec.withId(reply, id), charge);
    } catch (thrown) {
      this.#release(charge);
      error = toError(thrown);
    }
    if (error === undefined) {
      this.#stats.repliesSent++;
      return;
    }
    if (
      this.#link.state === "closed" || error instanceof ConnectionClosedError
    ) return;
    if (error instanceof QueueFullError) return this.#link.onError(error);
    // The reply could not be encoded or framed: tell the caller why.
    this.error(
      id,
      error instanceof FrameTooLargeError
        ? "REPLY_TOO_LARGE"
        : "REPLY_ENCODE_ERROR",
      error.message,
      0,
    );
  }

  /** Sends an error reply to request `id` (if the codec has them), with the handler's reply metadata if any. */
  error(
    id: MessageId,
    code: string,
    message: string,
    charge: number,
    metadata?: Metadata,
  ): void {
    const errorReply = this.#codec.errorReply;
    if (!errorReply) return this.#release(charge);
    const info: ErrorInfo = { code, message };
    const error = this.#send(
      errorReply.call(this.#codec, id, info, metadata),
      charge,
    );
    if (error !== undefined) {
      if (!(error instanceof FrameTooLargeError) || message === "") {
        return this.#link.onError(error);
      }
      // The message made the error reply too large: send the code alone.
      return this.error(id, code, "", 0);
    }
    this.#stats.repliesSent++;
    this.#stats.errorRepliesSent++;
  }

  /**
   * Answers a ping. Pongs wait behind replies like replies, so a peer that
   * sends pings and never reads the pongs stops being read from, and a pong
   * is never sent before a reply queued ahead of it (fences rely on that).
   */
  pong(id: MessageId): void {
    const error = this.#send(this.#codec.ping!(id, true), 0);
    if (error !== undefined) this.#link.onError(error);
  }

  /** Forgets the replies that wait (the connection closed). */
  clear(): void {
    this.#waiting?.clear();
  }

  /** Resumes the read loop if it waits for room. */
  wake(): void {
    this.#resumeRead?.();
  }

  /**
   * Queues a reply, an error reply or a pong behind the replies that wait;
   * `charge` goes back to the handling bound once it is queued.
   *
   * @returns The error if it could not be encoded, framed or queued (its
   * charge is given back then).
   */
  #send(message: M, charge: number): Error | undefined {
    try {
      const waiting = this.#waiting;
      if (waiting?.active) {
        waiting.add(this.#link.frame(message), charge);
        return undefined;
      }
      const queue = this.#link.queue;
      // A full queue gets the frame's bytes, so that encoding fails here.
      const queued = queue.full
        ? queue.push(this.#link.frame(message))
        : this.#link.write(message);
      if (queued === undefined) this.#release(charge);
      else (this.#waiting ??= this.#waitingReplies()).waitFor(queued, charge);
      return undefined;
    } catch (error) {
      this.#release(charge);
      return toError(error);
    }
  }

  /**
   * Made here, not in `#send`: a closure there would make every reply
   * allocate a context for it.
   */
  #waitingReplies(): WaitingReplies {
    return new WaitingReplies(
      this.#link.queue,
      this.#release,
      () => this.#resumeReading(),
    );
  }

  /** Resumes reading paused while replies waited. */
  #resumeReading(): void {
    const resume = this.#resumeRead;
    this.#resumeRead = undefined;
    resume?.();
  }
}
