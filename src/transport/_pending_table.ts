/**
 * The pending table of a transport: {@linkcode PendingTable}.
 *
 * @module
 */

import type { MessageId } from "../codec/message_codec.ts";
import { IdTable } from "./_id_table.ts";
import type { PendingRequest } from "./_pending_request.ts";

/**
 * The requests waiting for their replies, by id (an {@linkcode IdTable}:
 * a `Map` reallocates its storage as requests come and go, 80 B per
 * request at 16 and 256 in flight), in the order they were sent: the sweep
 * of default deadlines and closing walk them oldest first, through a list
 * linked through the entries (`prev`/`next`).
 *
 * @internal
 */
export class PendingTable<M> {
  /** The oldest entry. */
  first: PendingRequest<M> | undefined = undefined;
  #last: PendingRequest<M> | undefined = undefined;
  #byId = new IdTable<PendingRequest<M>>();

  /** The number of entries. */
  get size(): number {
    return this.#byId.size;
  }

  /** The entry of `id`, if it waits. */
  get(id: MessageId): PendingRequest<M> | undefined {
    return this.#byId.get(id);
  }

  /** Adds `entry` (its `id` set, and in no table) as the newest. */
  add(entry: PendingRequest<M>): void {
    this.#byId.set(entry.id, entry);
    const last = this.#last;
    entry.prev = last;
    entry.next = undefined;
    if (last === undefined) this.first = entry;
    else last.next = entry;
    this.#last = entry;
  }

  /** Removes `entry`; false if it is not in the table. */
  delete(entry: PendingRequest<M>): boolean {
    if (this.#byId.get(entry.id) !== entry) return false;
    this.#byId.delete(entry.id);
    const { prev, next } = entry;
    if (prev === undefined) this.first = next;
    else prev.next = next;
    if (next === undefined) this.#last = prev;
    else next.prev = prev;
    // An entry promoted to the old generation must not keep its neighbours
    // (and theirs, …) alive past the next scavenge.
    entry.prev = entry.next = undefined;
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
}
