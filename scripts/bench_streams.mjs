/**
 * `npm run bench:streams`: listenrain's streams (issue 15) measured beside
 * what they replace, in the same run on the same machine. Each measurement
 * is a server process and a client process (bench/streams/server.ts and
 * client.ts), one TCP connection over 127.0.0.1:
 *
 * - flood: one stream of `--payload` (64 KiB) messages, server → client,
 *   read for `--warmup` then counted for `--seconds`, in MB/s, for
 *   - listenrain: `router.serverStream` / `connection.serverStream`, read
 *     with `for await` (default credit window);
 *   - raw: the runtime's own sockets, the server writing the same
 *     length-prefixed frame as fast as the socket takes it, the client
 *     splitting frames and counting (bench/streams/raw_*.ts);
 *   - grpc: `@grpc/grpc-js` server streaming of bytes, always on Node.
 *   Targets: listenrain ≥ 0.8 × raw and ≥ 5 × gRPC.
 * - many: `--streams` (1,000) concurrent server streams of `--per-stream`
 *   (100) messages of `--small` (64) bytes on one connection, beside the
 *   same number of messages as request/reply (`--streams` closed loops of
 *   `request()`), in messages/s. Target: streams ≥ 0.7 × request/reply.
 *
 * Every message is checked. Prints a table per case (one row per runtime)
 * with the ratios, targets missed marked `*`; for flood also the CPU time
 * each side used per GB read (warm-up included: from the client's connect
 * to its end, and from the server's start), which other work on the
 * machine changes far less than the rates; `--json` prints one JSON line
 * per measurement instead. Missing a target does not fail the run; a
 * failing process does.
 *
 * Usage: node scripts/bench_streams.mjs [--runtime deno,bun,node]
 *   [--peers listenrain,raw,grpc] [--cases flood,many] [--payload 64k]
 *   [--seconds 3] [--warmup 0.5] [--streams 1000] [--per-stream 100]
 *   [--small 64] [--repeat 1] [--json]
 *
 * @module
 */

import { loadavg } from "node:os";
import process from "node:process";
import {
  BenchProcess,
  buildForNode,
  counts,
  describeCommit,
  describeMachine,
  flag,
  formatSize,
  progress,
  runtimesFlag,
  sizes,
  usageError,
} from "./_bench.mjs";

const argv = process.argv.slice(2);
const runtimes = runtimesFlag(argv, "runtime", "deno");
const peers = flag(argv, "peers", "listenrain,raw,grpc").split(",");
for (const peer of peers) {
  if (!["listenrain", "raw", "grpc"].includes(peer)) {
    usageError(`unknown peer "${peer}" (listenrain, raw, grpc)`);
  }
}
const cases = flag(argv, "cases", "flood,many").split(",");
for (const name of cases) {
  if (!["flood", "many"].includes(name)) {
    usageError(`unknown case "${name}" (flood, many)`);
  }
}
const payload = sizes(flag(argv, "payload", "64k"))[0];
const small = sizes(flag(argv, "small", "64"))[0];
const seconds = Number(flag(argv, "seconds", "3"));
if (!(seconds > 0)) usageError("--seconds must be a positive number");
const warmup = Number(flag(argv, "warmup", String(Math.min(0.5, seconds / 4))));
const [streams] = counts(flag(argv, "streams", "1000"), "stream count");
const [perStream] = counts(flag(argv, "per-stream", "100"), "message count");
const [repeat] = counts(flag(argv, "repeat", "1"), "repeat count");
const json = argv.includes("--json");

/** The issue's targets. */
const TARGET_RAW = 0.8;
const TARGET_GRPC = 5;
const TARGET_MANY = 0.7;

/** Longest a measurement may take before its processes are killed. */
const limit = 2 * (warmup + seconds) + 120;

/** Runs one server process and one client process; the client's answer. */
async function measure(runtime, peer, clientArgs) {
  const server = new BenchProcess(runtime, "bench/streams/server.ts", [
    ...["--peer", peer, "--max-seconds", String(limit + 30)],
  ]);
  let client;
  try {
    const { port } = await server.next(60);
    client = new BenchProcess(runtime, "bench/streams/client.ts", [
      ...["--peer", peer, "--port", String(port)],
      ...["--max-seconds", String(limit)],
      ...clientArgs,
    ]);
    const result = await client.next(limit);
    server.send("rss");
    const { rssMiB, cpuMs } = await server.next(10);
    return {
      ...result,
      serverRssMiB: rssMiB,
      clientRssMiB: result.rssMiB,
      serverCpuMs: cpuMs,
      clientCpuMs: result.cpuMs,
    };
  } finally {
    await Promise.all([client?.stop(), server.stop()]);
  }
}

/** Best of `repeat` runs by `score` (other work only ever slows a run). */
async function best(run, score) {
  let kept;
  for (let i = 0; i < repeat; i++) {
    const next = await run();
    if (kept === undefined || score(next) > score(kept)) kept = next;
  }
  return kept;
}

const floodArgs = [
  ...["--mode", "flood", "--payload", String(payload)],
  ...["--seconds", String(seconds), "--warmup", String(warmup)],
];
const manyArgs = [
  ...["--mode", "many", "--payload", String(small)],
  ...["--streams", String(streams), "--per-stream", String(perStream)],
];

if (runtimes.includes("node") || peers.includes("grpc")) {
  buildForNode(["bench/streams/server.ts", "bench/streams/client.ts"]);
}
const loadBefore = loadavg().map((n) => n.toFixed(2)).join(" ");
const flood = new Map(); // "runtime peer" → row
const many = new Map(); // runtime → row
let failures = 0;

async function attempt(label, run) {
  progress(`  ${label} …`);
  try {
    const row = await run();
    if (json) console.log(JSON.stringify({ case: label, ...row }));
    return row;
  } catch (error) {
    failures++;
    console.error(`bench:streams: ${label}: ${error.message}`);
    return { error: error.message };
  }
}

if (cases.includes("flood")) {
  const jobs = [];
  for (const runtime of runtimes) {
    for (const peer of peers.filter((p) => p !== "grpc")) {
      jobs.push([runtime, peer]);
    }
  }
  if (peers.includes("grpc")) jobs.push(["node", "grpc"]);
  for (const [runtime, peer] of jobs) {
    const row = await attempt(`flood ${peer} on ${runtime}`, () =>
      best(
        () => measure(runtime, peer, floodArgs),
        (r) => r.bytes / r.seconds,
      ));
    flood.set(`${runtime} ${peer}`, row);
  }
}
if (cases.includes("many") && peers.includes("listenrain")) {
  for (const runtime of runtimes) {
    const row = await attempt(`many on ${runtime}`, () =>
      best(
        () => measure(runtime, "listenrain", manyArgs),
        (r) => r.messages / r.streamSeconds,
      ));
    many.set(runtime, row);
  }
}
progress("");

const ok = (row) => row !== undefined && row.error === undefined;
const mbps = (row) => row.bytes / row.seconds / 1e6;
const pad = (value, width) => String(value).padEnd(width);

function table(header, rows) {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => String(r[i]).length))
  );
  console.log(`| ${header.map((h, i) => pad(h, widths[i])).join(" | ")} |`);
  console.log(`| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`);
  for (const row of rows) {
    console.log(`| ${row.map((c, i) => pad(c, widths[i])).join(" | ")} |`);
  }
}

function ratio(a, b, target) {
  if (!ok(a) || !ok(b)) return "–";
  const value = a / b;
  return `${value.toFixed(2)}${value < target ? " *" : ""}`;
}

function printTables() {
  const on = [...runtimes, ...(peers.includes("grpc") ? ["node"] : [])];
  console.log(
    `listenrain streams — a server process and a client process per measurement, one TCP connection on 127.0.0.1${
      repeat > 1 ? `, best of ${repeat} runs` : ""
    }, every message checked.`,
  );
  console.log(
    `machine: ${
      describeMachine(on)
    }; load average before the run: ${loadBefore}; listenrain ${describeCommit()}\n`,
  );
  if (cases.includes("flood")) {
    const grpc = flood.get("node grpc");
    console.log(
      `One stream of ${
        formatSize(payload)
      } messages, server → client, MB/s over ${seconds} s after ${warmup} s (gRPC on Node whatever the runtime):\n`,
    );
    const header = ["runtime", ...peers.map((p) => `${p} MB/s`)];
    if (peers.includes("listenrain") && peers.includes("raw")) {
      header.push(`listenrain ÷ raw (≥ ${TARGET_RAW})`);
    }
    if (peers.includes("listenrain") && peers.includes("grpc")) {
      header.push(`listenrain ÷ gRPC (≥ ${TARGET_GRPC})`);
    }
    header.push(`CPU s per GB, server + client (${peers.join(" / ")})`);
    header.push("RSS MiB, server + client");
    const rows = runtimes.map((runtime) => {
      const row = (peer) =>
        peer === "grpc" ? grpc : flood.get(`${runtime} ${peer}`);
      const lr = row("listenrain");
      const cells = [runtime];
      for (const peer of peers) {
        const r = row(peer);
        cells.push(ok(r) ? mbps(r).toFixed(0) : "FAILED");
      }
      const value = (r) => ok(r) ? mbps(r) : undefined;
      if (peers.includes("listenrain") && peers.includes("raw")) {
        cells.push(ratio(value(lr), value(row("raw")), TARGET_RAW));
      }
      if (peers.includes("listenrain") && peers.includes("grpc")) {
        cells.push(ratio(value(lr), value(grpc), TARGET_GRPC));
      }
      const perGB = (ms, r) => (ms / 1000 / (r.allBytes / 1e9)).toFixed(2);
      cells.push(
        peers.map((p) => row(p)).map((r) =>
          ok(r) ? `${perGB(r.serverCpuMs, r)}+${perGB(r.clientCpuMs, r)}` : "–"
        ).join(" / "),
      );
      cells.push(
        peers.map((p) => row(p)).map((r) =>
          ok(r)
            ? `${r.serverRssMiB.toFixed(0)}+${r.clientRssMiB.toFixed(0)}`
            : "–"
        ).join(" / "),
      );
      return cells;
    });
    table(header, rows);
  }
  if (cases.includes("many") && peers.includes("listenrain")) {
    console.log(
      `\n${streams} concurrent streams × ${perStream} messages of ${
        formatSize(small)
      } on one connection, beside the same ${
        streams * perStream
      } messages as request/reply (${streams} in flight), messages/s:\n`,
    );
    table(
      [
        "runtime",
        "streams msg/s",
        "request/reply msg/s",
        `streams ÷ request/reply (≥ ${TARGET_MANY})`,
      ],
      runtimes.map((runtime) => {
        const r = many.get(runtime);
        if (!ok(r)) return [runtime, "FAILED", "FAILED", "–"];
        const streamRate = r.messages / r.streamSeconds;
        const requestRate = r.messages / r.requestSeconds;
        return [
          runtime,
          Math.round(streamRate),
          Math.round(requestRate),
          ratio(streamRate, requestRate, TARGET_MANY),
        ];
      }),
    );
  }
  console.log("\n* below the target");
}

if (!json) printTables();
if (failures > 0) {
  console.error(`bench:streams: ${failures} measurement(s) failed`);
  process.exitCode = 1;
}
