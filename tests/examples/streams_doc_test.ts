/**
 * docs/streams.md's TypeScript blocks run, not only type-check
 * (readme_test.ts does that): each block is written to a temporary module
 * with its "listenrain…" imports pointed at this checkout, imported on this
 * runtime, and what it logs is compared with what the page says it logs.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { within } from "../lifecycle/_helpers.ts";

const root = new URL("../../", import.meta.url);

/** What each block logs, in order: the arguments of each console.log. */
const EXPECTED: unknown[][][] = [
  [[1], [2], [3], ["3"]], // server stream
  [["1638400 bytes"]], // client stream
  [["HI"], ["THERE"]], // bidirectional
  [[true], [["cancelled", "cancelled"]]], // cancelling
  [["first"], [true]], // deadline
  [[["a.txt"], "NO_DISK"]], // errors
  [[15]], // ReadableStream
];

/** The block's imports of "listenrain" and its subpaths, as file URLs. */
function resolved(code: string): string {
  return code.replace(
    /from "listenrain(\/[a-z/]+)?"/g,
    (_, sub: string | undefined) =>
      `from "${new URL(`${sub ? sub.slice(1) : "mod"}.ts`, root).href}"`,
  );
}

describe("docs/streams.md", () => {
  it("every TypeScript block runs and logs what its comments say", {
    timeout: 60_000,
  }, async () => {
    const page = await readFile(new URL("docs/streams.md", root), "utf8");
    const blocks = [...page.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    assert.equal(blocks.length, EXPECTED.length, "blocks on the page");
    const dir = await mkdtemp(join(tmpdir(), "listenrain-streams-doc-"));
    const log = console.log;
    try {
      for (const [i, code] of blocks.entries()) {
        const file = join(dir, `block_${i}.mts`);
        await writeFile(file, resolved(code));
        const logged: unknown[][] = [];
        console.log = (...args: unknown[]) => void logged.push(args);
        try {
          await within(20_000, `block ${i}`, import(pathToFileURL(file).href));
        } finally {
          console.log = log;
        }
        assert.deepEqual(logged, EXPECTED[i], `block ${i}:\n${code}`);
      }
    } finally {
      console.log = log;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
