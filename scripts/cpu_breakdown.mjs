/**
 * Where each microsecond of a request goes, listenrain beside the raw echo:
 * runs the side-by-side benchmark's server (bench/compare/server.ts) and a
 * closed-loop client (bench/breakdown/client.ts) for each peer, takes a CPU
 * profile of both processes over the same window through their inspectors
 * (Node, Deno: `--inspect`, Chrome DevTools Protocol), counts the requests
 * of that window, and prints per side the self time of each bucket of
 * scripts/_cpu_buckets.mjs in µs per request, listenrain and raw side by
 * side, then listenrain's costliest functions.
 *
 *     node scripts/cpu_breakdown.mjs [--runtime node,deno] [--parallel 256,16]
 *       [--payload 64] [--seconds 3] [--warmup 1.5] [--interval 200]
 *       [--top 20] [--json out.json]
 *
 * `--interval`: the sampling interval, µs. Every figure is µs of the main
 * thread per request; `process CPU` (process.cpuUsage over the window, all
 * threads, user + system) is beside it for reference.
 *
 * @module
 */

import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  BenchProcess,
  buildForNode,
  counts,
  describeCommit,
  describeMachine,
  flag,
  printHeader,
  sizes,
  usageError,
} from "./_bench.mjs";
import { freePort, Inspector } from "./_cdp.mjs";
import { breakdown, BUCKETS } from "./_cpu_buckets.mjs";

const argv = process.argv.slice(2);
const runtimes = flag(argv, "runtime", "node,deno").split(",");
for (const runtime of runtimes) {
  if (!["node", "deno", "bun"].includes(runtime)) {
    usageError(`unknown runtime "${runtime}" (node, deno or bun)`);
  }
}
const parallels = counts(flag(argv, "parallel", "256,16"), "parallel");
const payload = sizes(flag(argv, "payload", "64"))[0];
const seconds = Number(flag(argv, "seconds", "3"));
const warmup = Number(flag(argv, "warmup", "1.5"));
const interval = Number(flag(argv, "interval", "200"));
const top = Number(flag(argv, "top", "20"));
const jsonOut = flag(argv, "json", undefined);
const PEERS = ["listenrain", "raw"];
const SERVER = "bench/compare/server.ts";
const CLIENT = "bench/breakdown/client.ts";

const sleep = (s) => new Promise((resolve) => setTimeout(resolve, s * 1000));
const CPU = "(() => { const u = globalThis.process?.cpuUsage?.(); " +
  "return u ? u.user + u.system : -1; })()";

/** The system calls `perf stat` counts, when it can. */
const SYSCALLS = [
  "write",
  "writev",
  "sendto",
  "sendmsg",
  "read",
  "readv",
  "recvfrom",
  "recvmsg",
];

/**
 * CPU time (ms, all threads) and socket system calls of process `pid` over
 * `seconds`, from `perf stat`; undefined when perf cannot count them.
 */
function perfStat(pid, seconds) {
  const events = [
    "task-clock",
    ...SYSCALLS.map((s) => `syscalls:sys_enter_${s}`),
  ];
  return new Promise((resolve) => {
    execFile(
      "perf",
      [
        "stat",
        "-x",
        ",",
        "-e",
        events.join(","),
        "-p",
        String(pid),
        "--",
        "sleep",
        String(seconds),
      ],
      (error, _stdout, stderr) => {
        if (error) return resolve(undefined);
        const counts = {};
        for (const line of stderr.split("\n")) {
          const [value, , event] = line.split(",");
          if (event && value !== "" && !Number.isNaN(Number(value))) {
            counts[event.replace("syscalls:sys_enter_", "")] = Number(value);
          }
        }
        resolve(counts);
      },
    );
  });
}

/** Starts `file` under `runtime` with its inspector on a free port. */
async function start(runtime, file, args) {
  const port = await freePort();
  const child = new BenchProcess(runtime, file, args, {
    flags: [`--inspect=127.0.0.1:${port}`],
  });
  return { child, port };
}

/** One side's figures per request from its profile and counters. */
function summarise(side, requests, window) {
  const { buckets, functions, totalUs } = breakdown(side.profile, window);
  const per = (us) => us / requests;
  return {
    buckets: Object.fromEntries([...buckets].map(([k, v]) => [k, per(v)])),
    functions: Object.fromEntries(
      [...functions].sort((a, b) => b[1] - a[1]).slice(0, 60)
        .map(([k, v]) => [k, per(v)]),
    ),
    wall: per(totalUs),
    cpu: side.cpu0 >= 0 ? per(side.cpu1 - side.cpu0) : undefined,
    perf: side.perf && Object.fromEntries(
      Object.entries(side.perf).map(([k, v]) => [
        k,
        k === "task-clock" ? per(v * 1000) : v / requests,
      ]),
    ),
  };
}

/**
 * One peer at one parallelism on Node or Deno: both processes profiled
 * over one window through their inspectors.
 *
 * @returns {Promise<{ requests: number, sides: Record<string, any> }>}
 */
async function measureInspector(runtime, peer, parallel) {
  const life = warmup + seconds + 20;
  const server = await start(runtime, SERVER, [
    ...["--peer", peer, "--max-seconds", String(life + 10)],
  ]);
  const { port } = await server.child.next(60);
  const client = await start(runtime, CLIENT, [
    ...["--peer", peer, "--port", String(port)],
    ...["--parallel", String(parallel), "--payload", String(payload)],
    ...["--seconds", String(life)],
  ]);
  const sides = { client, server };
  try {
    await client.child.next(60);
    for (const side of Object.values(sides)) {
      side.inspector = await Inspector.connect(side.port);
      await side.inspector.send("Profiler.enable");
      await side.inspector.send("Profiler.setSamplingInterval", { interval });
    }
    await sleep(warmup);
    const each = (f) => Promise.all(Object.values(sides).map(f));
    const count = "globalThis.breakdownRequests()";
    const before = await client.inspector.value(count);
    await each(async (side) => side.cpu0 = await side.inspector.value(CPU));
    await each(async (side) => {
      side.pid = await side.inspector.value("globalThis.process?.pid");
    });
    await each((side) => side.inspector.send("Profiler.start"));
    const perf = Object.values(sides).map((side) =>
      side.pid ? perfStat(side.pid, seconds) : Promise.resolve(undefined)
    );
    await sleep(seconds);
    [client.perf, server.perf] = await Promise.all(perf);
    await each(async (side) =>
      side.profile = (await side.inspector.send("Profiler.stop")).profile
    );
    await each(async (side) => side.cpu1 = await side.inspector.value(CPU));
    const requests = await client.inspector.value(count) - before;
    return {
      requests,
      sides: {
        client: summarise(client, requests),
        server: summarise(server, requests),
      },
    };
  } finally {
    for (const side of Object.values(sides)) {
      side.inspector?.close();
      side.child.kill("SIGKILL");
      await side.child.exited;
    }
  }
}

/**
 * One peer at one parallelism on Bun: both processes run with
 * `--cpu-prof` (written when they exit); the client marks the window
 * (epoch ms, which is the clock of Bun's profiles) and exits after it.
 *
 * @returns {Promise<{ requests: number, sides: Record<string, any> }>}
 */
async function measureBun(runtime, peer, parallel) {
  const dir = mkdtempSync(join(tmpdir(), "cpu-breakdown-"));
  const flags = (name) => [
    "--cpu-prof",
    `--cpu-prof-dir=${dir}`,
    `--cpu-prof-name=${name}.cpuprofile`,
    `--cpu-prof-interval=${interval}`,
  ];
  const life = warmup + seconds + 20;
  const server = new BenchProcess(runtime, SERVER, [
    ...["--peer", peer, "--max-seconds", String(life + 10)],
  ], { flags: flags("server") });
  const client = { perf: undefined };
  try {
    const { port } = await server.next(60);
    client.child = new BenchProcess(runtime, CLIENT, [
      ...["--peer", peer, "--port", String(port)],
      ...["--parallel", String(parallel), "--payload", String(payload)],
      ...["--seconds", String(life)],
      ...["--window-after", String(warmup)],
      ...["--window-seconds", String(seconds)],
    ], { flags: flags("client") });
    const { pid } = await client.child.next(60);
    const first = await client.child.next(warmup + 30);
    const perf = [pid, server.pid].map((p) => perfStat(p, seconds));
    const last = await client.child.next(seconds + 30);
    [client.perf, server.perf] = await Promise.all(perf);
    await client.child.exited;
    await server.stop(10);
    const requests = last.requests - first.requests;
    const window = { from: first.at * 1000, to: last.at * 1000 };
    const read = (name) =>
      JSON.parse(readFileSync(join(dir, `${name}.cpuprofile`), "utf8"));
    client.profile = read("client");
    server.profile = read("server");
    return {
      requests,
      sides: {
        client: summarise(client, requests, window),
        server: summarise(server, requests, window),
      },
    };
  } finally {
    client.child?.kill("SIGKILL");
    server.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

const f2 = (x) => x === undefined ? "–" : x.toFixed(3);

/** Prints one runtime's and parallelism's tables. */
function print(runtime, parallel, byPeer) {
  const [mine, raw] = PEERS.map((peer) => byPeer[peer]);
  console.log(
    `\n### ${runtime}, ${payload} B × ${parallel} in flight: µs per request ` +
      `(listenrain ${mine.requests} requests in ${seconds} s, raw ${raw.requests})\n`,
  );
  const header = [
    "bucket",
    "client listenrain",
    "client raw",
    "client Δ",
    "server listenrain",
    "server raw",
    "server Δ",
  ];
  printHeader(header);
  const row = (label, get) => {
    const cells = [];
    for (const side of ["client", "server"]) {
      const [a, b] = [get(mine.sides[side]), get(raw.sides[side])];
      cells.push(f2(a), f2(b), a === undefined ? "–" : f2(a - b));
    }
    console.log(`| ${label} | ${cells.join(" | ")} |`);
  };
  for (const bucket of BUCKETS) row(bucket, (s) => s.buckets[bucket]);
  row("**main thread busy (all but idle)**", (s) => s.wall - s.buckets.idle);
  row("process CPU, all threads (cpuUsage)", (s) => s.cpu);
  row(
    "process CPU, all threads (perf task-clock)",
    (s) => s.perf?.["task-clock"],
  );
  const calls = (s, names) =>
    s.perf && names.reduce((sum, name) => sum + (s.perf[name] ?? 0), 0);
  row(
    "socket writes per request (write, writev, sendto, sendmsg)",
    (s) => calls(s, SYSCALLS.slice(0, 4)),
  );
  row(
    "socket reads per request (read, readv, recvfrom, recvmsg)",
    (s) => calls(s, SYSCALLS.slice(4)),
  );
  for (const side of ["client", "server"]) {
    console.log(`\nlistenrain ${side}, costliest functions (self, µs/req):\n`);
    const list = Object.entries(mine.sides[side].functions).slice(0, top);
    for (const [name, us] of list) console.log(`  ${f2(us)}  ${name}`);
  }
}

if (runtimes.includes("node")) buildForNode([SERVER, CLIENT]);
console.log(
  `CPU breakdown — ${
    describeMachine(runtimes)
  }; listenrain ${describeCommit()}; ` +
    `sampling every ${interval} µs over ${seconds} s after ${warmup} s`,
);
const all = [];
for (const runtime of runtimes) {
  for (const parallel of parallels) {
    const byPeer = {};
    for (const peer of PEERS) {
      byPeer[peer] = await (runtime === "bun" ? measureBun : measureInspector)(
        runtime,
        peer,
        parallel,
      );
    }
    all.push({ runtime, parallel, payload, ...byPeer });
    print(runtime, parallel, byPeer);
  }
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(all, null, 1));
process.exit(0);
