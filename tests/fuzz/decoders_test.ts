/**
 * A short fuzz run of every decoder (the long one is `npm run fuzz`): random
 * and mutated bytes in random chunks; only the documented errors escape, the
 * decoders keep their bounds, and chunking changes nothing.
 */

import { describe, it } from "node:test";
import { runTarget, TARGETS } from "./_targets.ts";

/** Cases per target of weight 1 in `npm test`. */
const RUNS = 400;

describe("Fuzz (short run): every decoder, random bytes, random chunking", () => {
  for (const target of TARGETS) {
    it(`${target.name}: only the documented errors escape`, async () => {
      await runTarget(target, {
        numRuns: Math.max(20, Math.round(RUNS * (target.weight ?? 1))),
        timeLimitMs: 5_000,
      });
    });
  }
});
