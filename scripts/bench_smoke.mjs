/**
 * The `bench` step of `npm test`: every benchmark once, in a tiny
 * configuration, so none of them can rot. Stops at the first failure.
 *
 * - bench:compare, 0.3 s, parallel 1, 64 B: listenrain (plain, with
 *   metadata, with OpenTelemetry), raw and gRPC on Node; listenrain and raw
 *   on Deno and Bun (the raw files differ per runtime);
 * - bench:connections with 200 connections on each runtime;
 * - bench:websocket, 0.3 s, parallel 16, 64 B: listenrain over TCP and over
 *   WebSocket and the raw WebSocket echo on each runtime;
 * - bench:streams on Node, 0.3 s: one 64 KiB stream (listenrain, raw,
 *   gRPC), and 1,000 concurrent streams × 2 messages of 64 B beside
 *   request/reply;
 * - bench/scale/every_core_bench.ts on Node, 0.3 s, 400 requests: one
 *   server process against two, and the balancers' spread;
 * - bench:breakdown on Node, 0.3 s, parallel 16, 64 B: CPU profiles of
 *   both sides of listenrain and raw, bucketed;
 * - the seed table (`npm start`) on Node, 0.2 s, parallel 1, 4 KiB, with
 *   the server in a worker thread and on the main thread (`--both`);
 * - each mitata file bench/*_bench.ts under Node with `BENCH_QUICK=1` (each
 *   benchmark function runs three times, nothing is measured).
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import process from "node:process";
import { ROOT, walk } from "./_files.mjs";

const NODE = process.execPath;
const compare = (runtime, peers) => [
  NODE,
  "scripts/bench_compare.mjs",
  ...["--runtime", runtime, "--peers", peers],
  ...["--seconds", "0.3", "--parallel", "1", "--payload", "64"],
];
const connections = (runtime) => [
  NODE,
  "scripts/bench_connections.mjs",
  ...["--runtime", runtime, "--connections", "200"],
];
const micro = walk("bench", (path) => /^bench\/[^/]+_bench\.ts$/.test(path))
  .map((file) => [NODE, "--import", "tsx", file]);

const commands = [
  compare("node", "listenrain,listenrain-metadata,listenrain-otel,raw,grpc"),
  compare("deno", "listenrain,raw"),
  compare("bun", "listenrain,raw"),
  connections("node"),
  connections("deno"),
  connections("bun"),
  [
    NODE,
    "scripts/bench_websocket.mjs",
    ...["--seconds", "0.3", "--parallel", "16", "--payload", "64"],
  ],
  [
    NODE,
    "scripts/bench_streams.mjs",
    ...["--runtime", "node", "--seconds", "0.3"],
    ...["--per-stream", "2"],
  ],
  [
    NODE,
    ...["--import", "tsx", "bench/scale/every_core_bench.ts"],
    ...["--seconds", "0.3", "--requests", "400"],
  ],
  [
    NODE,
    "scripts/cpu_breakdown.mjs",
    ...["--runtime", "node", "--parallel", "16", "--payload", "64"],
    ...["--seconds", "0.3", "--warmup", "0.3"],
  ],
  [
    NODE,
    "scripts/start.mjs",
    ...["--runtime", "node", "--seconds", "0.2", "--both"],
    ...["--parallel", "1", "--payload", "4k"],
  ],
  ...micro,
];

for (const [cmd, ...args] of commands) {
  const shown = [cmd === NODE ? "node" : cmd, ...args].join(" ");
  console.log(`\n\x1b[1m$ ${shown}\x1b[0m`);
  const started = performance.now();
  const result = spawnSync(cmd, args, {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, BENCH_QUICK: "1" },
    timeout: 120_000,
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.error(
      `bench: "${shown}" failed (${
        result.error?.message ?? result.signal ?? `exit code ${result.status}`
      }) after ${seconds} s`,
    );
    process.exit(1);
  }
  console.log(`(${seconds} s)`);
}
