/**
 * The handled requests' table by id (IdTable): the same answers as a Map
 * under random insertions and deletions (with ids that share home slots,
 * the largest u32, strings and non-u32 numbers), while it grows and shrinks.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { MessageId } from "../../src/codec/message_codec.ts";
import { IdTable } from "../../src/transport/_id_table.ts";

/** A small deterministic generator (xorshift32), so a failure repeats. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

function assertSame(table: IdTable<string>, model: Map<MessageId, string>) {
  assert.equal(table.size, model.size);
  for (const [id, value] of model) assert.equal(table.get(id), value);
}

describe("IdTable", () => {
  it("answers like a Map through 40,000 random sets and deletes, growing to 2,000 entries and shrinking back", () => {
    const next = random(12345);
    const table = new IdTable<string>();
    const model = new Map<MessageId, string>();
    // Few distinct ids: sets overwrite, deletes hit, probes chain.
    const pool: MessageId[] = [0, 1, 0xffff_ffff, "a", "", -1, 1.5, 2 ** 32];
    for (let i = 0; i < 4000; i++) {
      pool.push(Math.floor(next() * 0x1_0000_0000));
    }
    for (let i = 0; i < 4000; i++) pool.push(i * 1024); // sequential-ish, same low bits
    let i = 0;
    const step = (grow: number) => {
      const id = pool[Math.floor(next() * pool.length)];
      if (next() < grow) {
        const value = `v${i++}`;
        table.set(id, value);
        model.set(id, value);
      } else assert.equal(table.delete(id), model.delete(id));
      assert.equal(table.has(id), model.has(id));
      assert.equal(table.get(id), model.get(id));
    };
    for (let n = 0; n < 20_000; n++) step(0.7); // grows
    assert.ok(model.size > 1000, `${model.size} entries`);
    assertSame(table, model);
    for (let n = 0; n < 20_000; n++) step(0.2); // shrinks
    assertSame(table, model);
    for (const id of pool) assert.equal(table.get(id), model.get(id));
  });

  it("takeAll returns every value once and leaves it empty; it works after", () => {
    const table = new IdTable<string>();
    for (let id = 1; id <= 100; id++) table.set(id, `n${id}`);
    table.set("s", "string");
    const taken = table.takeAll().sort();
    assert.equal(taken.length, 101);
    assert.equal(new Set(taken).size, 101);
    assert.ok(taken.includes("string") && taken.includes("n100"));
    assert.equal(table.size, 0);
    assert.equal(table.get(1), undefined);
    assert.equal(table.get("s"), undefined);
    table.set(7, "again");
    assert.equal(table.get(7), "again");
    assert.equal(table.size, 1);
  });

  it("a request's id and the same id deleted and reused in order, as a peer reuses ids", () => {
    const table = new IdTable<number>();
    for (let round = 0; round < 1000; round++) {
      for (let id = 0; id < 256; id++) table.set(round * 256 + id, id);
      for (let id = 0; id < 256; id++) {
        assert.equal(table.get(round * 256 + id), id);
        assert.ok(table.delete(round * 256 + id));
      }
      assert.equal(table.size, 0);
    }
  });
});
