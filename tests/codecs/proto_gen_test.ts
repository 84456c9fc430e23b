/**
 * proto/gen/ is what scripts/gen_proto.mjs makes from proto/ today: Buf runs
 * protoc-gen-es into a scratch copy and the output must match the committed
 * files. Runs on Node only (the script is a Node script); skipped under Deno
 * and Bun.
 */

import { it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { detectRuntime } from "../../bench/_runtime.ts";

it("proto/gen/ is up to date with proto/ (scripts/gen_proto.mjs --check)", {
  skip: detectRuntime() !== "node" && "runs on Node only",
  timeout: 60_000,
}, () => {
  const result = spawnSync(
    process.execPath,
    [
      fileURLToPath(new URL("../../scripts/gen_proto.mjs", import.meta.url)),
      "--check",
    ],
    { encoding: "utf8", timeout: 60_000 },
  );
  assert.equal(
    result.status,
    0,
    `gen_proto --check failed:\n${result.stdout}\n${result.stderr}`,
  );
  assert.match(result.stdout, /proto\/gen\/ is up to date/);
});
