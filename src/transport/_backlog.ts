/**
 * The peer's messages that wait to be taken: {@linkcode Backlog}.
 *
 * @module
 */

import type { MessageId } from "../codec/message_codec.ts";

/** What a message from the peer is, as `Incoming#onMessage` and the backlog keep it. */
export const INCOMING_NOTIFY = 0;
/** A request: see {@linkcode INCOMING_NOTIFY}. */
export const INCOMING_REQUEST = 1;
/** A ping: see {@linkcode INCOMING_NOTIFY}. */
export const INCOMING_PING = 2;

/**
 * Requests, notifications and pings that arrived while no new one could be
 * taken, in order: `where, length, what` for each, where `where` is the
 * payload's offset in the read chunk (or the payload itself when it is not
 * a view of that chunk) and `what` says what it is. At most the rest of one
 * read chunk: reading waits until it is empty. Payloads are decoded again
 * when taken, so that a waiting request costs a few numbers, not a decoded
 * message.
 *
 * @internal
 */
export class Backlog {
  /** `where, length, what` of each message, from `#head` on; `undefined` while empty. */
  #items: (number | Uint8Array)[] | undefined;
  /** The read chunk the offsets point into. */
  #chunk: Uint8Array | undefined;
  #head = 0;
  /** Ids the peer cancelled while their requests wait here. */
  cancels: Set<MessageId> | undefined;
  /** What the message `next()` returned last is. */
  what = 0;

  /** True while messages wait. */
  get waiting(): boolean {
    return this.#items !== undefined;
  }

  /** True once `next()` has returned every message. */
  get done(): boolean {
    return this.#head === this.#items!.length;
  }

  /**
   * Adds a message at the end.
   *
   * @param bytes Holds its payload, from `start` to `end`.
   * @param what What it is (kept as `what` when it is taken).
   * @param chunk The read chunk it was decoded from, if any.
   */
  add(
    bytes: Uint8Array,
    start: number,
    end: number,
    what: number,
    chunk: Uint8Array | undefined,
  ): void {
    let items = this.#items;
    if (items === undefined) {
      items = this.#items = [];
      this.#chunk = chunk;
    }
    const base = this.#chunk;
    if (base !== undefined && bytes.buffer === base.buffer) {
      items.push(bytes.byteOffset + start, end - start, what);
    } else items.push(bytes.subarray(start, end), end - start, what);
  }

  /** The first message's payload (while `waiting` and not `done`); sets `what`. */
  next(): Uint8Array {
    const items = this.#items!;
    const i = this.#head;
    this.#head = i + 3;
    const where = items[i];
    const size = items[i + 1] as number;
    this.what = items[i + 2] as number;
    items[i] = 0;
    return typeof where === "number"
      ? new Uint8Array(this.#chunk!.buffer, where, size)
      : where;
  }

  /** The peer cancelled `id`: if it waits here, it is dropped when taken. */
  cancel(id: MessageId): void {
    if (this.#items !== undefined) (this.cancels ??= new Set()).add(id);
  }

  /** Forgets everything. */
  clear(): void {
    this.#items = undefined;
    this.#chunk = undefined;
    this.#head = 0;
    this.cancels = undefined;
  }
}
