import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  resolveBackoff,
} from "../../src/client/backoff.ts";

describe("backoffDelay", () => {
  it("grows exponentially from initialDelay and stops at maxDelay", () => {
    const options = {
      initialDelay: 10,
      maxDelay: 100,
      multiplier: 2,
      jitter: 0,
    };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 1000].map((n) => backoffDelay(n, options)),
      [10, 20, 40, 80, 100, 100, 100],
    );
  });

  it("spreads delays by the jitter and never exceeds maxDelay", () => {
    const options = { initialDelay: 100, maxDelay: 1000, jitter: 0.5 };
    assert.equal(backoffDelay(1, options, () => 0), 50);
    assert.equal(backoffDelay(1, options, () => 0.5), 100);
    assert.equal(backoffDelay(1, options, () => 0.999999), 150);
    assert.equal(backoffDelay(10, options, () => 0.999999), 1000);
    for (let i = 0; i < 200; i++) {
      const delay = backoffDelay(1 + (i % 12), options);
      assert.ok(delay >= 0 && delay <= 1000, `delay ${delay}`);
    }
  });

  it("uses the defaults: 100 ms doubling up to 10 s with 20 % jitter", () => {
    assert.deepEqual(resolveBackoff(), { ...DEFAULT_BACKOFF });
    const first = backoffDelay(1);
    assert.ok(first >= 80 && first <= 120, `first ${first}`);
    assert.ok(backoffDelay(50) <= 10_000);
  });

  it("rejects bad arguments with RangeError", () => {
    assert.throws(() => backoffDelay(0), RangeError);
    assert.throws(() => backoffDelay(1.5), RangeError);
    assert.throws(() => resolveBackoff({ initialDelay: -1 }), RangeError);
    assert.throws(
      () => resolveBackoff({ initialDelay: 10, maxDelay: 5 }),
      RangeError,
    );
    assert.throws(() => resolveBackoff({ multiplier: 0.5 }), RangeError);
    assert.throws(() => resolveBackoff({ jitter: 2 }), RangeError);
    assert.throws(() => resolveBackoff({ maxDelay: Infinity }), RangeError);
  });
});
