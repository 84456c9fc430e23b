/**
 * The pending table (entries by id in an IdTable, the send order linked
 * through the entries) against a `Map` as the model.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PendingRequest } from "../../src/transport/_pending_request.ts";
import { PendingTable } from "../../src/transport/_pending_table.ts";
import type { MessageId } from "../../src/codec/message_codec.ts";

function entry(id: MessageId): PendingRequest<unknown> {
  const made = new PendingRequest<unknown>(() => {}, () => {});
  made.id = id;
  return made;
}

/** Checks `table` against `model` (insertion-ordered, as a Map is). */
function check(
  table: PendingTable<unknown>,
  model: Map<MessageId, PendingRequest<unknown>>,
  absent: MessageId[],
): void {
  assert.equal(table.size, model.size);
  const ordered = [...model.values()];
  assert.deepEqual(table.values(), ordered);
  let walked = 0;
  let prev: PendingRequest<unknown> | undefined;
  for (let e = table.first; e !== undefined; e = e.next) {
    assert.equal(e.prev, prev);
    assert.equal(e, ordered[walked++]);
    prev = e;
  }
  assert.equal(walked, ordered.length);
  for (const [id, e] of model) assert.equal(table.get(id), e);
  for (const id of absent) assert.equal(table.get(id), undefined);
}

/** A small deterministic generator (the test replays the same steps). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("PendingTable", () => {
  it("finds, orders and removes entries as a Map does, through growth and removals in any order", () => {
    const next = random(7);
    const table = new PendingTable<unknown>();
    const model = new Map<MessageId, PendingRequest<unknown>>();
    const removed: MessageId[] = [];
    // Sequential ids, ids that share their low bits (one run of
    // collisions under a plain mask), the largest 32-bit ids, and ids kept
    // in the Map: strings, negative, fractional, beyond 32 bits.
    const pools: (() => MessageId)[] = [
      (() => {
        let id = 0;
        return () => ++id;
      })(),
      (() => {
        let id = 0;
        return () => (++id) * 65536;
      })(),
      (() => {
        let id = 2 ** 32;
        return () => --id;
      })(),
      (() => {
        let id = 0;
        const kinds = [
          (n: number) => `s${n}`,
          (n: number) => -n,
          (n: number) => n + 0.5,
          (n: number) => 2 ** 32 + n,
        ];
        return () => kinds[id % 4](++id);
      })(),
    ];
    for (let step = 0; step < 6000; step++) {
      // Grow to about 1500 entries, then drain to empty, twice.
      const growing = step % 3000 < 1700;
      if (model.size === 0 || (growing ? next() < 0.7 : next() < 0.25)) {
        const id = pools[Math.floor(next() * pools.length)]();
        const e = entry(id);
        table.add(e);
        model.set(id, e);
      } else {
        const ids = [...model.keys()];
        const id = ids[Math.floor(next() * ids.length)];
        assert.equal(table.delete(model.get(id)!), true);
        model.delete(id);
        removed.push(id);
      }
      if (step % 97 === 0) check(table, model, removed.slice(-50));
    }
    check(table, model, removed.slice(-200));
    for (const e of [...model.values()]) assert.equal(table.delete(e), true);
    model.clear();
    check(table, model, removed.slice(-200));
  });

  it("removes nothing for an entry that is not in it", () => {
    const table = new PendingTable<unknown>();
    const a = entry(1);
    const b = entry("b");
    table.add(a);
    table.add(b);
    assert.equal(table.delete(entry(1)), false);
    assert.equal(table.delete(entry(2)), false);
    assert.equal(table.delete(entry("b")), false);
    assert.equal(table.size, 2);
    assert.equal(table.delete(a), true);
    assert.equal(table.delete(a), false);
    assert.equal(table.delete(b), true);
    assert.equal(table.size, 0);
    assert.equal(table.first, undefined);
  });

  it("unlinks a removed entry from its neighbours", () => {
    const table = new PendingTable<unknown>();
    const [a, b, c] = [entry(1), entry(2), entry(3)];
    table.add(a);
    table.add(b);
    table.add(c);
    table.delete(b);
    assert.equal(b.prev, undefined);
    assert.equal(b.next, undefined);
    assert.equal(a.next, c);
    assert.equal(c.prev, a);
  });
});
