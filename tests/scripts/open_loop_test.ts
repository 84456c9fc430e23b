/**
 * bench/compare/_open_loop.ts: the open loop of `bench:compare` offers its
 * rate whatever the replies do, charges a request the wait for a free slot
 * (coordinated omission), and, paced by sleeping, leaves the core idle
 * between sends. The peer here is in-process: a reply is a timer.
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { openLoop, type Pace } from "../../bench/compare/_open_loop.ts";
import { cpuMs } from "../../bench/_process.ts";

/** A window short enough for a test: 0.1 s warm-up, 0.6 s counted. */
const WINDOW = { warmup: 0.1, seconds: 0.6, payload: 16 };

/**
 * Runs an open loop against a peer that echoes each request after
 * `delayMs` (0: on the next turn of the event loop).
 */
function run(
  parallel: number,
  rate: number,
  delayMs: number,
  pace: Pace,
) {
  return openLoop(
    { ...WINDOW, parallel },
    rate,
    (reply) => (slot, body) => {
      const copy = body.slice();
      setTimeout(() => reply(slot, copy), delayMs);
    },
    pace,
  );
}

describe("openLoop", () => {
  for (const pace of ["sleep", "poll"] as const) {
    it(`(${pace}) offers its rate to a peer that keeps up`, async () => {
      const result = await run(4, 400, 0, pace);
      const achieved = result.requests / result.seconds;
      // 400/s for 0.6 s: 240 requests; a loaded machine may lose a few
      // wake-ups, but the schedule catches up on the next one.
      assert.ok(
        achieved > 300 && achieved < 480,
        `achieved ${achieved.toFixed(0)} requests/s of 400 offered`,
      );
      assert.equal(result.offered, 400);
      // A timer's reply takes most of a millisecond (less when the event
      // loop's clock was read before the send), and well under 100 ms at
      // the median even on a loaded machine.
      assert.ok(result.latency.p50 >= 100, `p50 ${result.latency.p50} µs`);
      assert.ok(result.latency.p50 < 100_000, `p50 ${result.latency.p50} µs`);
    });

    it(`(${pace}) charges the wait for a free slot to the peer`, async () => {
      // One slot, a request due every 5 ms, a reply after 20 ms: requests
      // queue behind the slot, and each one's latency counts from when it
      // was due, so it grows through the window (hundreds of ms by the
      // end) instead of staying at the 20 ms a reply takes.
      const result = await run(1, 200, 20, pace);
      assert.ok(
        result.latency.p99 > 150_000,
        `p99 ${result.latency.p99} µs: the queue's wait was not counted`,
      );
      const achieved = result.requests / result.seconds;
      assert.ok(achieved < 60, `achieved ${achieved} requests/s`);
    });
  }

  it("(sleep) leaves the core idle between sends; polling does not", async () => {
    const busy = async (pace: Pace) => {
      const before = cpuMs();
      const started = performance.now();
      await run(1, 200, 0, pace);
      return (cpuMs() - before) / (performance.now() - started);
    };
    const sleeping = await busy("sleep");
    // Polling takes the whole core when it has one; on a loaded machine it
    // gets less, so only the sleeping loop's share is bounded here, and
    // compared with polling's when polling got a fair share.
    assert.ok(sleeping < 0.35, `sleeping used ${sleeping} of a core`);
    const polling = await busy("poll");
    if (polling > 0.7) assert.ok(sleeping < polling / 2);
  });

  it("rejects a rate that is not positive", async () => {
    await assert.rejects(run(1, 0, 0, "sleep"), RangeError);
  });
});
