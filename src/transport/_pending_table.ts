/**
 * The pending table of a transport: {@linkcode PendingTable}.
 *
 * @module
 */

import type { MessageId } from "../codec/message_codec.ts";
import type { PendingRequest } from "./_pending_request.ts";

/** Slots of a new table (a power of two). */
const FIRST_CAPACITY = 16;
/** The most slots an emptied table keeps (8 KiB): 512 requests in flight. */
const KEPT_CAPACITY = 1024;

/**
 * The requests waiting for their replies, by id, in the order they were
 * sent. A `Map` reallocates its storage as requests come and go (it
 * compacts after as many insertions as it has room for, and shrinks and
 * grows again when replies empty it between batches: 80 B per request at
 * 16 and 256 in flight). Here ids that are 32-bit unsigned integers (every
 * id of `SequentialIds`) live in an open-addressed array (linear probing,
 * Fibonacci hashing, deletion by backward shift) that only grows, until it
 * empties; the send order is a list linked through the entries
 * (`prev`/`next`); other ids (strings, …) go to a `Map`.
 *
 * @internal
 */
export class PendingTable<M> {
  /** The oldest entry. */
  first: PendingRequest<M> | undefined = undefined;
  #last: PendingRequest<M> | undefined = undefined;
  /** The number of entries. */
  size = 0;
  #slots: (PendingRequest<M> | undefined)[];
  /** `32 - log2(#slots.length)`: a hash's top bits are its slot. */
  #shift: number;
  /** Entries in `#slots`. */
  #used = 0;
  /** Entries whose ids are not 32-bit unsigned integers. */
  #others: Map<MessageId, PendingRequest<M>> | undefined = undefined;

  constructor() {
    this.#slots = new Array(FIRST_CAPACITY).fill(undefined);
    this.#shift = 32 - Math.log2(FIRST_CAPACITY);
  }

  /** The entry of `id`, if it waits. */
  get(id: MessageId): PendingRequest<M> | undefined {
    if (typeof id !== "number" || id >>> 0 !== id) return this.#others?.get(id);
    const slots = this.#slots;
    const mask = slots.length - 1;
    for (
      let i = Math.imul(id, 0x9e3779b1) >>> this.#shift;;
      i = (i + 1) & mask
    ) {
      const entry = slots[i];
      if (entry === undefined || entry.id === id) return entry;
    }
  }

  /** Adds `entry` (its `id` set, and in no table) as the newest. */
  add(entry: PendingRequest<M>): void {
    const id = entry.id;
    if (typeof id !== "number" || id >>> 0 !== id) {
      (this.#others ??= new Map()).set(id, entry);
    } else {
      if (2 * (this.#used + 1) > this.#slots.length) {
        this.#resize(2 * this.#slots.length);
      }
      this.#place(entry);
      this.#used++;
    }
    const last = this.#last;
    entry.prev = last;
    entry.next = undefined;
    if (last === undefined) this.first = entry;
    else last.next = entry;
    this.#last = entry;
    this.size++;
  }

  /** Removes `entry`; false if it is not in the table. */
  delete(entry: PendingRequest<M>): boolean {
    const id = entry.id;
    if (typeof id !== "number" || id >>> 0 !== id) {
      if (this.#others?.get(id) !== entry) return false;
      this.#others.delete(id);
    } else if (!this.#remove(entry)) return false;
    const { prev, next } = entry;
    if (prev === undefined) this.first = next;
    else prev.next = next;
    if (next === undefined) this.#last = prev;
    else next.prev = prev;
    // An entry promoted to the old generation must not keep its neighbours
    // (and theirs, …) alive past the next scavenge.
    entry.prev = entry.next = undefined;
    if (--this.size === 0 && this.#slots.length > KEPT_CAPACITY) {
      this.#slots = new Array(KEPT_CAPACITY).fill(undefined);
      this.#shift = 32 - Math.log2(KEPT_CAPACITY);
    }
    return true;
  }

  /** The entries, oldest first, as a new array. */
  values(): PendingRequest<M>[] {
    const values: PendingRequest<M>[] = [];
    for (let entry = this.first; entry !== undefined; entry = entry.next) {
      values.push(entry);
    }
    return values;
  }

  #place(entry: PendingRequest<M>): void {
    const slots = this.#slots;
    const mask = slots.length - 1;
    let i = Math.imul(entry.id as number, 0x9e3779b1) >>> this.#shift;
    while (slots[i] !== undefined) i = (i + 1) & mask;
    slots[i] = entry;
  }

  /**
   * Empties `entry`'s slot, moving later entries of its run back; false if
   * it has none.
   */
  #remove(entry: PendingRequest<M>): boolean {
    const slots = this.#slots;
    const mask = slots.length - 1;
    const shift = this.#shift;
    let i = Math.imul(entry.id as number, 0x9e3779b1) >>> shift;
    for (let found = slots[i]; found !== entry; found = slots[i]) {
      if (found === undefined) return false;
      i = (i + 1) & mask;
    }
    this.#used--;
    for (let j = (i + 1) & mask;; j = (j + 1) & mask) {
      const moved = slots[j];
      if (moved === undefined) break;
      const home = Math.imul(moved.id as number, 0x9e3779b1) >>> shift;
      // `moved` stays if its home is cyclically in (i, j].
      if (i <= j ? i < home && home <= j : i < home || home <= j) continue;
      slots[i] = moved;
      i = j;
    }
    slots[i] = undefined;
    return true;
  }

  #resize(capacity: number): void {
    const old = this.#slots;
    this.#slots = new Array(capacity).fill(undefined);
    this.#shift = 32 - Math.log2(capacity);
    for (let i = 0; i < old.length; i++) {
      const entry = old[i];
      if (entry !== undefined) this.#place(entry);
    }
  }
}
