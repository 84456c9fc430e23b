/**
 * bench/compare/_histogram.ts: the latency histogram of `bench:compare`
 * answers percentiles by rank, within its stated precision (1/64), at every
 * scale from nanoseconds to minutes.
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Histogram } from "../../bench/compare/_histogram.ts";

/** The exact percentile of sorted values, by the same rank rule. */
function exact(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** Asserts `got` is `want` or above it by less than 1/64. */
function near(got: number, want: number, what: string): void {
  assert.ok(
    got >= want && got <= want * (1 + 1 / 64),
    `${what}: ${got} not within [${want}, ${want * (1 + 1 / 64)}]`,
  );
}

describe("Histogram", () => {
  it("keeps values below 128 ns exactly", () => {
    const h = new Histogram();
    for (let ns = 0; ns < 100; ns++) h.recordNs(ns);
    assert.equal(h.percentile(50), 49);
    assert.equal(h.percentile(99), 98);
    assert.equal(h.percentile(100), 99);
    assert.equal(h.percentile(0), 0);
  });

  it("answers p50, p99 and p99.9 of 1..100,000 µs within 1/64", () => {
    const h = new Histogram();
    const values: number[] = [];
    for (let i = 1; i <= 100_000; i++) {
      values.push(i * 1000);
      h.record(i / 1000); // i µs, given in ms
    }
    for (const p of [50, 90, 99, 99.9, 99.99]) {
      near(h.percentile(p), exact(values, p), `p${p}`);
    }
    assert.equal(h.percentile(99.9) > h.percentile(99), true);
    assert.equal(h.count, 100_000);
  });

  it("finds a tail of 0.2 % at p99.9 and not at p99", () => {
    const h = new Histogram();
    for (let i = 0; i < 9_980; i++) h.record(0.05); // 50 µs
    for (let i = 0; i < 20; i++) h.record(20); // 20 ms
    const s = h.summary();
    near(s.p50 * 1000, 50_000, "p50");
    near(s.p99 * 1000, 50_000, "p99");
    assert.equal(s.p999, 20_000);
    assert.equal(s.max, 20_000);
  });

  it("is within 1/64 at every scale, past 2^32 ns, for shuffled input", () => {
    const values: number[] = [];
    let seed = 12345;
    const random = () =>
      (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 20_000; i++) {
      values.push(Math.floor(2 ** (random() * 38))); // 1 ns .. ~4.6 min
    }
    const h = new Histogram();
    for (const v of values) h.recordNs(v);
    values.sort((a, b) => a - b);
    for (const p of [1, 25, 50, 75, 99, 99.9]) {
      near(h.percentile(p), exact(values, p), `p${p}`);
    }
    assert.equal(h.percentile(100), values.at(-1));
    assert.equal(h.max, values.at(-1));
    assert.equal(h.min, values[0]);
  });

  it("clamps to the values recorded and reads 0 when empty", () => {
    const h = new Histogram();
    assert.equal(h.percentile(99), 0);
    assert.deepEqual(h.summary(), {
      count: 0,
      p50: 0,
      p99: 0,
      p999: 0,
      max: 0,
    });
    h.recordNs(1_000_001); // inside a bucket 16,384 ns wide
    assert.equal(h.percentile(50), 1_000_001);
    h.record(-1);
    assert.equal(h.percentile(1), 0);
  });

  it("adds another histogram's counts", () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 0; i < 99; i++) a.record(0.01);
    b.record(5);
    a.add(b);
    assert.equal(a.count, 100);
    assert.equal(a.percentile(100), 5_000_000);
    near(a.percentile(99), 10_000, "p99");
  });

  it("rejects a percentile outside 0 to 100", () => {
    const h = new Histogram();
    assert.throws(() => h.percentile(101), RangeError);
    assert.throws(() => h.percentile(Number.NaN), RangeError);
  });
});
