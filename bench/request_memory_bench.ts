/**
 * What waiting requests cost the caller, `Client` and `Connection` side by side:
 * `count` requests (default 16,384) of `bodyKiB` KiB (default 64) without
 * deadline to a server that accepts and never reads, each side in a child
 * process of its own (tests/reliability/_child_request_memory.ts) started
 * with the runtime that runs this file. Prints the growth of the resident
 * set and of the JavaScript heap, both after a full garbage collection.
 *
 * Run: node --import tsx bench/request_memory_bench.ts [count] [bodyKiB] [shared|distinct]
 *      deno run -A bench/request_memory_bench.ts
 *      bun bench/request_memory_bench.ts
 *
 * @module
 */

import process from "node:process";
import { fileURLToPath } from "node:url";
import { ScriptChild } from "../tests/_helpers/child.ts";
import { detectRuntime } from "../adapters/runtime.ts";

const CHILD = fileURLToPath(
  new URL("../tests/reliability/_child_request_memory.ts", import.meta.url),
);
const count = process.argv[2] ?? "16384";
const bodyKiB = process.argv[3] ?? "64";
const bodies = process.argv[4] ?? "shared";

function measure(
  mode: string,
): Promise<{ growth: number; heapGrowth: number; pending: number }> {
  return new ScriptChild(CHILD, [mode, count, bodyKiB, bodies]).resultJson();
}

const MiB = 1024 * 1024;
console.log(
  `${detectRuntime()}: ${count} requests of ${bodyKiB} KiB (${bodies} bodies) waiting`,
);
console.log("side     rss growth   heap growth   per request (rss)");
for (const mode of ["client", "peer"]) {
  const { growth, heapGrowth, pending } = await measure(mode);
  console.log(
    `${mode.padEnd(8)} ${(growth / MiB).toFixed(1).padStart(6)} MiB   ${
      (heapGrowth / MiB).toFixed(1).padStart(7)
    } MiB   ${Math.round(growth / pending)} B`,
  );
}
