/**
 * The send queue's Batch: `take()` hands the sealed chunks to a write and
 * starts the next batch in other arrays, so frames queued while the write
 * is in progress never join (or leave) the chunks being written; once the
 * write completed (`written()`) its arrays, emptied, serve a later batch.
 * Runtime-neutral.
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Batch } from "../../src/queue/_batch.ts";

function add(batch: Batch, ...bytes: number[]): void {
  batch.room(bytes.length).set(bytes, batch.fill);
  batch.fill += bytes.length;
}

describe("Batch", () => {
  it("frames queued during a write stay out of the chunks being written", () => {
    const batch = new Batch();
    add(batch, 1, 2);
    batch.seal();
    batch.take();
    const writing = batch.taken;
    add(batch, 3);
    batch.seal();
    batch.chunks.push(Uint8Array.of(4)); // a large part, as the queue adds it
    assert.deepEqual(writing.map((chunk) => [...chunk]), [[1, 2]]);
    assert.notEqual(batch.chunks, writing);
    batch.written();
    assert.deepEqual(batch.chunks.map((chunk) => [...chunk]), [[3], [4]]);
    batch.take();
    assert.deepEqual(batch.taken.map((chunk) => [...chunk]), [[3], [4]]);
    // The emptied arrays of the first write hold the next batch.
    assert.equal(batch.chunks, writing);
    assert.equal(batch.chunks.length, 0);
    batch.written();
    batch.release();
  });

  it("a write that never completes leaves no array shared by two batches", () => {
    const batch = new Batch();
    add(batch, 1);
    batch.seal();
    batch.take(); // this write fails: no `written()`
    const failed = batch.taken;
    add(batch, 2);
    batch.seal();
    batch.take();
    assert.deepEqual(failed.map((chunk) => [...chunk]), [[1]]);
    assert.deepEqual(batch.taken.map((chunk) => [...chunk]), [[2]]);
    assert.notEqual(batch.chunks, failed);
    assert.notEqual(batch.chunks, batch.taken);
    batch.release();
  });
});
