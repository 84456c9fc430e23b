/**
 * A table of values by message id that allocates nothing per entry:
 * {@linkcode IdTable}.
 *
 * @module
 */

import type { MessageId } from "../codec/message_codec.ts";

/** The fewest slots a table has. */
const MIN_CAPACITY = 16;

/**
 * Values by message id, for tables that gain and lose an entry per request.
 * A `Map` that does reallocates its storage over and over: its deleted
 * entries hold their slots until it rehashes, so a Map of 256 live entries
 * copies itself every 256 insertions (measured: 85 B per request handled).
 * Here u32 ids (every id of the default protocol) are kept in two arrays by
 * open addressing (linear probing; a deleted entry's followers move back
 * into its slot, so no slot is ever wasted), which are only reallocated when
 * the table grows or shrinks by half. Other ids (strings, other numbers) go
 * to a `Map`, made by the first.
 *
 * The home slot of an id is a multiplicative hash by a random odd number of
 * the table's own, so a peer cannot pick ids that collide in every table.
 *
 * @internal
 */
export class IdTable<V> {
  #keys: Uint32Array = new Uint32Array(MIN_CAPACITY);
  /** `undefined` where the slot is free. */
  #values: (V | undefined)[] = freeSlots(MIN_CAPACITY);
  /** 32 − log2(capacity): the hash's top bits are the home slot. */
  #shift = 32 - Math.log2(MIN_CAPACITY);
  /** The u32 entries. */
  #count = 0;
  #multiplier = (Math.random() * 0x1_0000_0000) | 1;
  /** The most u32 entries since the last shrink check. */
  #peak = 0;
  /** Deletions since the last shrink check. */
  #deletes = 0;
  /** The entries whose ids are not u32 integers. */
  #others: Map<MessageId, V> | undefined = undefined;

  /** How many entries it holds. */
  get size(): number {
    return this.#count + (this.#others?.size ?? 0);
  }

  /** The value of `id`, if any. */
  get(id: MessageId): V | undefined {
    if (typeof id !== "number" || id >>> 0 !== id) return this.#others?.get(id);
    const keys = this.#keys;
    const values = this.#values;
    const mask = values.length - 1;
    for (let i = this.#home(id);; i = (i + 1) & mask) {
      const value = values[i];
      if (value === undefined || keys[i] === id) return value;
    }
  }

  /** True if it holds `id`. */
  has(id: MessageId): boolean {
    return this.get(id) !== undefined;
  }

  /** Sets the value of `id` (never `undefined`). */
  set(id: MessageId, value: V): void {
    if (typeof id !== "number" || id >>> 0 !== id) {
      (this.#others ??= new Map()).set(id, value);
      return;
    }
    // At most half full: probes stay short.
    if ((this.#count + 1) * 2 > this.#values.length) {
      this.#resize(this.#values.length * 2);
    }
    const keys = this.#keys;
    const values = this.#values;
    const mask = values.length - 1;
    for (let i = this.#home(id);; i = (i + 1) & mask) {
      if (values[i] === undefined) {
        keys[i] = id;
        values[i] = value;
        if (++this.#count > this.#peak) this.#peak = this.#count;
        return;
      }
      if (keys[i] === id) {
        values[i] = value;
        return;
      }
    }
  }

  /** Removes `id`; true if it was there. */
  delete(id: MessageId): boolean {
    if (typeof id !== "number" || id >>> 0 !== id) {
      return this.#others?.delete(id) ?? false;
    }
    const keys = this.#keys;
    const values = this.#values;
    const mask = values.length - 1;
    let hole = this.#home(id);
    for (;; hole = (hole + 1) & mask) {
      if (values[hole] === undefined) return false;
      if (keys[hole] === id) break;
    }
    values[hole] = undefined;
    this.#count--;
    // The entries after the hole, up to a free slot, that it keeps from
    // their home slot move back into it.
    for (
      let i = (hole + 1) & mask;
      values[i] !== undefined;
      i = (i + 1) & mask
    ) {
      const home = this.#home(keys[i]);
      // Stays if its home is cyclically in (hole, i].
      if (hole <= i ? hole < home && home <= i : hole < home || home <= i) {
        continue;
      }
      keys[hole] = keys[i];
      values[hole] = values[i];
      values[i] = undefined;
      hole = i;
    }
    if (this.#count === 0 || ++this.#deletes >= values.length) this.#check();
    return true;
  }

  /** Removes every entry and returns their values. */
  takeAll(): V[] {
    const taken: V[] = [];
    for (const value of this.#values) {
      if (value !== undefined) taken.push(value);
    }
    if (this.#others !== undefined) taken.push(...this.#others.values());
    this.clear();
    return taken;
  }

  /** Removes every entry. */
  clear(): void {
    if (this.#values.length > MIN_CAPACITY) this.#resize(MIN_CAPACITY, false);
    else this.#values.fill(undefined);
    this.#count = 0;
    this.#peak = 0;
    this.#deletes = 0;
    this.#others = undefined;
  }

  /**
   * Halves the table if it held at most an eighth of its slots since the
   * last check: checked when it empties and after as many deletions as it
   * has slots. A table that fills and empties with each batch of requests
   * keeps its size (measured: shrinking as soon as it was an eighth full,
   * it was reallocated for 133 B per request at 256 in flight); after
   * halving, it grows back only at more than twice its peak.
   */
  #check(): void {
    const capacity = this.#values.length;
    if (this.#peak * 8 <= capacity && capacity > MIN_CAPACITY) {
      this.#resize(capacity / 2);
    }
    this.#peak = this.#count;
    this.#deletes = 0;
  }

  #home(id: number): number {
    return Math.imul(id, this.#multiplier) >>> this.#shift;
  }

  /** New arrays of `capacity` slots, with the entries unless `keep` is false. */
  #resize(capacity: number, keep = true): void {
    const keys = this.#keys;
    const values = this.#values;
    this.#keys = new Uint32Array(capacity);
    this.#values = freeSlots(capacity);
    this.#shift = 32 - Math.log2(capacity);
    this.#count = 0;
    if (!keep) return;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value !== undefined) this.set(keys[i], value);
    }
  }
}

/** `count` free slots (a packed array: no holes to look up). */
function freeSlots<V>(count: number): (V | undefined)[] {
  const slots: (V | undefined)[] = [];
  for (let i = 0; i < count; i++) slots.push(undefined);
  return slots;
}
