/**
 * Replies (error replies and pongs too) waiting for room in a full send
 * queue, in order. A peer that does not read its replies fills the queue;
 * from then on each reply waits here as its framed bytes, and the request
 * it answers stays charged against the transport's `maxHandlingBytes` until
 * it is queued, so what waits is bounded like what is being handled. One
 * promise of the queue is waited on at a time, not one per reply.
 *
 * @module
 */

import type { SendQueue } from "../queue/send_queue.ts";

/** @internal */
export class WaitingReplies {
  #queue: SendQueue;
  /** Gives a request's charge back once its reply is queued (or dropped). */
  #release: (charge: number) => void;
  /** Called when nothing waits any more. */
  #onEmpty: () => void;
  /** `parts, charge` of each waiting reply, from `#head` on. */
  #items: unknown[] = [];
  #head = 0;
  /** True while the queue holds a promise for the first waiting reply. */
  #blocked = false;

  constructor(
    queue: SendQueue,
    release: (charge: number) => void,
    onEmpty: () => void,
  ) {
    this.#queue = queue;
    this.#release = release;
    this.#onEmpty = onEmpty;
  }

  /** True while a reply waits: later replies must queue behind it. */
  get active(): boolean {
    return this.#blocked;
  }

  /** How many replies wait. */
  get count(): number {
    return (this.#items.length - this.#head) / 2 + (this.#blocked ? 1 : 0);
  }

  /**
   * A reply the full queue took only as a promise: the replies after it
   * wait until it is queued.
   */
  waitFor(queued: Promise<void>, charge: number): void {
    this.#blocked = true;
    queued.then(
      () => {
        this.#release(charge);
        this.#flush();
      },
      () => {
        // The connection closed: nothing more will be written.
        this.#release(charge);
        this.clear();
      },
    );
  }

  /** Adds a framed reply behind those waiting (only while `active`). */
  add(parts: readonly Uint8Array[], charge: number): void {
    this.#items.push(parts, charge);
  }

  /** Queues the waiting replies in order while the queue has room. */
  #flush(): void {
    this.#blocked = false;
    const items = this.#items;
    while (this.#head < items.length) {
      const parts = items[this.#head] as readonly Uint8Array[];
      const charge = items[this.#head + 1] as number;
      items[this.#head] = undefined;
      this.#head += 2;
      let queued: void | Promise<void>;
      try {
        queued = this.#queue.push(parts);
      } catch {
        // Closed meanwhile.
        this.#release(charge);
        continue;
      }
      if (queued !== undefined) return this.waitFor(queued, charge);
      this.#release(charge);
    }
    this.#items = [];
    this.#head = 0;
    this.#onEmpty();
  }

  /** Forgets every waiting reply (the connection closed). */
  clear(): void {
    this.#blocked = false;
    this.#items = [];
    this.#head = 0;
  }
}
