/**
 * One side of one stream: {@linkcode StreamState}. It holds the messages
 * received and not yet read (at most the credit this side granted, and the
 * one message that may overdraw it), and the credit this side may still
 * spend on sending. Credit counts payload bytes.
 *
 * @module
 */

import type { MessageId, StreamCodec } from "../codec/message_codec.ts";
import { ProtocolError } from "../errors.ts";
import type { Link } from "./_link.ts";

/** The end of a stream's messages, as an iterator says it. @internal */
export const DONE: IteratorResult<never> = Object.freeze({
  value: undefined,
  done: true,
}) as IteratorResult<never>;

/**
 * One side of one stream, for the side that opened it (whose terminal is the
 * reply to its request) and for the side that accepted it (whose terminal is
 * its handler finishing). Exactly one terminal reaches it: `finish` (the
 * peer's messages are complete) or `fail`.
 *
 * @internal
 */
export class StreamState<M> {
  /** The stream's id (the request's that opened it). */
  id: MessageId = 0;
  /** Cancels the stream from this side (set by the part that owns it). */
  cancel: (error: Error) => void = () => {};
  /** Called once, when the stream ends: the reply (opener) or the error. */
  onEnd: ((reply: M | undefined, error: Error | undefined) => void) | undefined;
  /** The opener's terminal reply, once it came. */
  reply: M | undefined = undefined;
  readonly #link: Link<M>;
  readonly #streams: StreamCodec<M>;
  readonly #opener: boolean;
  readonly #decode: (message: M) => unknown;
  /** Messages received, not yet read, and their sizes. */
  #buffer: M[] = [];
  #sizes: number[] = [];
  #head = 0;
  /** The credit this side grants, in bytes. */
  readonly #window: number;
  /** Bytes the peer may still send before more credit. */
  #available: number;
  /** Bytes read and not yet credited back. */
  #read = 0;
  /** True once the peer's messages are complete. */
  #inputDone = false;
  #error: Error | undefined = undefined;
  #reader:
    | {
      resolve: (r: IteratorResult<unknown>) => void;
      reject: (e: Error) => void;
    }
    | undefined;
  /** Messages this side may still send. */
  #credit = 0;
  /** False until the acceptor has granted credit once (the opener waits). */
  #accepted: boolean;
  /** The stream ended for sending: why (a normal end too). */
  #sendClosed: Error | undefined = undefined;
  #sender: { resolve: () => void; reject: (e: Error) => void } | undefined;

  /**
   * @param link The connection's send side.
   * @param streams The codec's stream messages.
   * @param opener True on the side that opened the stream.
   * @param window How many of the peer's messages may wait here.
   * @param decode Turns a received message into the value read.
   */
  constructor(
    link: Link<M>,
    streams: StreamCodec<M>,
    opener: boolean,
    window: number,
    decode: (message: M) => unknown,
  ) {
    this.#link = link;
    this.#streams = streams;
    this.#opener = opener;
    this.#window = window;
    this.#available = window;
    this.#decode = decode;
    this.#accepted = !opener;
  }

  /** True once the stream has ended (finished or failed). */
  get ended(): boolean {
    return this.#sendClosed !== undefined;
  }

  // ---- receiving --------------------------------------------------------

  /**
   * A message of the peer's stream arrived.
   *
   * @param message The message.
   * @param size Its payload's bytes.
   * @throws {ProtocolError} If the peer had no credit left.
   */
  push(message: M, size: number): void {
    if (this.#inputDone || this.#error !== undefined) return;
    if (this.#available <= 0) {
      throw new ProtocolError(
        `Stream ${this.id}: the peer sent past its credit of ${this.#window} bytes`,
      );
    }
    this.#available -= size;
    const reader = this.#reader;
    if (reader !== undefined) {
      this.#reader = undefined;
      this.#deliver(message, size, reader.resolve, reader.reject);
    } else {
      this.#buffer.push(message);
      this.#sizes.push(size);
    }
  }

  /** The peer's messages are complete (its `stream_end`, or the reply). */
  endInput(): void {
    if (this.#inputDone || this.#error !== undefined) return;
    this.#inputDone = true;
    const reader = this.#reader;
    if (reader !== undefined && this.#head === this.#buffer.length) {
      this.#reader = undefined;
      reader.resolve(DONE);
    }
  }

  /** The next value of the peer's stream (the messages left are read first). */
  next(): Promise<IteratorResult<unknown>> {
    if (this.#head < this.#buffer.length) {
      const message = this.#buffer[this.#head];
      const size = this.#sizes[this.#head];
      this.#buffer[this.#head++] = undefined as M;
      if (this.#head === this.#buffer.length) {
        this.#buffer.length = 0;
        this.#sizes.length = 0;
        this.#head = 0;
      }
      return new Promise((resolve, reject) =>
        this.#deliver(message, size, resolve, reject)
      );
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#inputDone) return Promise.resolve(DONE);
    if (this.#reader !== undefined) {
      return Promise.reject(
        new TypeError("A stream is read by one reader at a time"),
      );
    }
    return new Promise((resolve, reject) => this.#reader = { resolve, reject });
  }

  #deliver(
    message: M,
    size: number,
    resolve: (r: IteratorResult<unknown>) => void,
    reject: (e: Error) => void,
  ): void {
    let value: unknown;
    try {
      value = this.#decode(message);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      reject(failure);
      this.cancel(failure);
      return;
    }
    this.#consumed(size);
    resolve({ value, done: false });
  }

  /** A message was read: credits the peer back once half the window was read. */
  #consumed(size: number): void {
    this.#read += size;
    if (this.#read < (this.#window >>> 1 || 1) || this.#inputDone) return;
    if (this.#sendClosed !== undefined) return;
    const count = Math.min(this.#read, 0xffff_ffff);
    this.#read -= count;
    this.#available += count;
    this.#link.tryWrite(this.#streams.credit(this.id, count, this.#opener));
  }

  // ---- sending ----------------------------------------------------------

  /** The peer granted `count` more bytes. */
  grant(count: number): void {
    this.#credit += count;
    this.#accepted = true;
    const sender = this.#sender;
    if (sender !== undefined && this.#credit > 0) {
      this.#sender = undefined;
      sender.resolve();
    }
  }

  /**
   * Sends one message of this side's stream, once there is credit: while
   * the credit is positive a message goes, whatever its size (the credit
   * may go below zero by less than one message).
   *
   * @returns `undefined` once queued, or a promise while it waits for
   *   credit or room in the send queue.
   * @throws The error the stream ended with, once it has.
   */
  send(message: M): void | Promise<void> {
    if (this.#sendClosed !== undefined) throw this.#sendClosed;
    if (this.#credit <= 0) {
      return this.#whenCredit().then(() => this.send(message));
    }
    const codec = this.#link.codec;
    const out = codec.withId(message, this.id);
    this.#credit -= codec.encodedLength?.(out) ?? sizeOf(codec.encode(out));
    return this.#link.write(out);
  }

  /** Sends `stream_end` (the opener's messages are complete). */
  async end(): Promise<void> {
    if (this.#sendClosed !== undefined) throw this.#sendClosed;
    if (!this.#accepted) await this.#whenCredit();
    if (this.#sendClosed !== undefined) throw this.#sendClosed;
    await this.#link.write(this.#streams.end(this.id));
  }

  #whenCredit(): Promise<void> {
    return new Promise<void>((resolve, reject) =>
      this.#sender = { resolve, reject }
    );
  }

  // ---- ending -----------------------------------------------------------

  /** The stream ended well: `reply` is the opener's terminal reply. */
  finish(reply: M | undefined): void {
    if (this.#sendClosed !== undefined) return;
    this.reply = reply;
    this.endInput();
    this.#close(new StreamEndedError(this.id));
    this.onEnd?.(reply, undefined);
  }

  /** The stream failed: the reader sees `error` after the messages left. */
  fail(error: Error): void {
    if (this.#sendClosed !== undefined) return;
    if (!this.#inputDone) {
      this.#error = error;
      const reader = this.#reader;
      if (reader !== undefined) {
        this.#reader = undefined;
        reader.reject(error);
      }
    }
    this.#close(error);
    this.onEnd?.(undefined, error);
  }

  /** Called once when the stream ends for sending (the opener's pump stops its source). */
  onSendClosed: ((reason: Error) => void) | undefined = undefined;

  #close(reason: Error): void {
    this.#sendClosed = reason;
    this.onSendClosed?.(reason);
    const sender = this.#sender;
    this.#sender = undefined;
    sender?.reject(reason);
  }
}

/** The bytes of a message's encoded parts. */
function sizeOf(parts: Uint8Array[]): number {
  let size = 0;
  for (const part of parts) size += part.byteLength;
  return size;
}

/**
 * Why a send fails once its stream has ended well (the peer finished, so
 * nothing more is wanted); the senders stop quietly on it.
 *
 * @internal
 */
export class StreamEndedError extends Error {
  constructor(id: MessageId) {
    super(`Stream ${id} has ended`);
    this.name = "StreamEndedError";
  }
}
