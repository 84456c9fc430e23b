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
  /**
   * Id → the fence generation that was open when it was reserved; made when
   * the first id is reserved (most connections never reserve one).
   */
  #ids: Map<MessageId, number> | undefined;
  #generation = 0;

  /** How many ids are reserved. */
  get size(): number {
    return this.#ids?.size ?? 0;
  }

  /** True while `id` may still be answered by the peer. */
  has(id: MessageId): boolean {
    return this.#ids?.has(id) ?? false;
  }

  /** Reserves `id` until its late reply or the next fence comes back. */
  add(id: MessageId): void {
    (this.#ids ??= new Map()).set(id, this.#generation);
  }

  /**
   * Releases `id`, whose late reply arrived.
   *
   * @returns Whether it was reserved.
   */
  release(id: MessageId): boolean {
    return this.#ids?.delete(id) ?? false;
  }

  /** Releases the longest-held id, to make room in a full table. */
  releaseOldest(): void {
    const ids = this.#ids;
    if (ids === undefined) return;
    for (const id of ids.keys()) {
      ids.delete(id);
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
    const ids = this.#ids;
    if (ids === undefined) return;
    for (const [id, reservedIn] of ids) {
      if (reservedIn <= generation) ids.delete(id);
    }
  }

  /** Releases everything (the connection closed). */
  clear(): void {
    this.#ids?.clear();
  }
}
