/**
 * Ids of requests that ended on this side (timed out or aborted) while the
 * peer may still answer them. Such an id is not handed out again until the
 * peer can no longer answer the old request, or a late reply would be taken
 * for the reply of the new request that got the same id.
 *
 * An id is released when its late reply (or error reply) arrives, or when a
 * fence (a ping sent after the cancels) comes back: the peer answers a ping
 * after every reply it queued before it, and it sends nothing for a request
 * it was told to cancel.
 *
 * @module
 */

import type { MessageId } from "../codec/message_codec.ts";

/** @internal */
export class ReservedIds {
  /** Id → the fence generation that was open when it was reserved. */
  #ids = new Map<MessageId, number>();
  #generation = 0;

  /** How many ids are reserved. */
  get size(): number {
    return this.#ids.size;
  }

  /** True while `id` may still be answered by the peer. */
  has(id: MessageId): boolean {
    return this.#ids.has(id);
  }

  /** Reserves `id` until its late reply or the next fence comes back. */
  add(id: MessageId): void {
    this.#ids.set(id, this.#generation);
  }

  /**
   * Releases `id`, whose late reply arrived.
   *
   * @returns Whether it was reserved.
   */
  release(id: MessageId): boolean {
    return this.#ids.delete(id);
  }

  /** Releases the longest-held id, to make room in a full table. */
  releaseOldest(): void {
    for (const id of this.#ids.keys()) {
      this.#ids.delete(id);
      return;
    }
  }

  /**
   * Opens a new fence generation.
   *
   * @returns The generation the fence covers: every id reserved until now.
   */
  fence(): number {
    return this.#generation++;
  }

  /**
   * A fence came back: releases every id it covers.
   *
   * @param generation What {@linkcode ReservedIds.fence} returned.
   */
  releaseUpTo(generation: number): void {
    for (const [id, reservedIn] of this.#ids) {
      if (reservedIn <= generation) this.#ids.delete(id);
    }
  }

  /** Releases everything (the connection closed). */
  clear(): void {
    this.#ids.clear();
  }
}
