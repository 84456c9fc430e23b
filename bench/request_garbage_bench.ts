/**
 * What one request costs the process that sends and answers it: the bytes
 * it allocates (garbage for the young generation: V8's own count, from
 * `--trace-gc-nvp`) and the CPU time, listenrain's `Connection.request`
 * beside the raw length-prefixed echo of bench/compare (FIFO replies, no
 * ids, no deadlines), both over TCP on 127.0.0.1 in one process, 64 B
 * and 4 KiB bodies, 16 and 256 requests in flight. Allocation is what the garbage
 * collector pays for at many requests in flight, so it is kept here, where
 * it is measured exactly, rather than in the noisy throughput tables.
 *
 * Node only (the figure is V8's trace); each cell runs in a child process.
 *
 * Run: node --import tsx bench/request_garbage_bench.ts [requests]
 * (`ASYNC=1` before it: listenrain's handler is an async function.)
 *
 * Measured 2026-12-03 (this machine, 200,000 requests): at 256 in flight
 * 2,156 B per request before the hot path stopped allocating closure
 * contexts and handling-table churn, 1,583 after; the raw echo 483.
 * Measured 2026-12-04 (200,000 requests, B per request, main before → after
 * the per-read, per-write and per-batch garbage went; bench/alloc_profile.ts
 * says by whom): 64 B × 16 1,390-1,423 → 1,285-1,290; 64 B × 256
 * 1,097-1,134 → 1,066-1,094; 4 KiB × 16 1,871-1,941 → 1,651-1,725; 4 KiB ×
 * 256 1,488-1,578 → 1,339-1,527 (raw: 680, 482, ~990, 775-905).
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(
  new URL("./_request_garbage_child.ts", import.meta.url),
);
// BENCH_QUICK (npm test's bench step): a run that measures nothing.
const requests = process.argv[2] ??
  (process.env.BENCH_QUICK ? "2000" : "300000");

interface Cell {
  bytes: number;
  cpuUs: number;
}

/** Runs one child and sums the bytes V8 allocated between its marks. */
function measure(peer: string, parallel: number, body: number): Cell {
  const out = execFileSync(
    process.execPath,
    [
      "--trace-gc-nvp",
      ...process.execArgv,
      CHILD,
      peer,
      String(parallel),
      requests,
    ],
    {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, BODY: String(body) },
    },
  );
  let on = false;
  let allocated = 0;
  for (const line of out.split("\n")) {
    if (line.startsWith("MARK-START")) on = true;
    else if (line.startsWith("MARK-END")) {
      const { requests: count, cpuUs } = JSON.parse(line.slice(9));
      return { bytes: allocated / count, cpuUs: cpuUs / count };
    } else if (on) {
      const match = line.match(/ allocated=(\d+)/);
      if (match) allocated += Number(match[1]);
    }
  }
  throw new Error(
    `${peer} × ${parallel}, ${body} B: no MARK-END in the child's output`,
  );
}

console.log(
  `Node ${process.version}: ${requests} requests, both sides in one process`,
);
console.log(
  "body  in flight  listenrain B/req  raw B/req  listenrain µs/req  raw µs/req",
);
const cells = [[64, 16], [64, 256], [4096, 16], [4096, 256]];
for (const [body, parallel] of cells) {
  const ours = measure("listenrain", parallel, body);
  const raw = measure("raw", parallel, body);
  console.log(
    `${String(body).padStart(4)}  ${String(parallel).padStart(9)}  ${
      ours.bytes.toFixed(0).padStart(16)
    }  ${raw.bytes.toFixed(0).padStart(9)}  ${
      ours.cpuUs.toFixed(2).padStart(17)
    }  ${raw.cpuUs.toFixed(2).padStart(10)}`,
  );
}
