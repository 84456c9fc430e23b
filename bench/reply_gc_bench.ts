/**
 * Full collections caused by large replies, on Node: bench:compare's server
 * and client (bench/compare/), the client under `--trace-gc`, counting its
 * mark-compacts and scavenges per 100 replies, beside its CPU time per
 * request. Robust on a busy machine, where requests/s and even CPU time
 * per request move by ±30 %: how often V8 runs a full collection does not.
 *
 * Why it matters: V8 frees the buffer of a young `ArrayBuffer` in a
 * scavenge, but that of an old one only in a mark-compact, and starts one
 * each time about 64 MiB of external memory were allocated since the last.
 * A reply that something old still references when a scavenge runs is
 * kept, then promoted; at 4 MiB per reply that is a mark-compact every 16
 * replies, several milliseconds of marking each (the raw echo's client,
 * which checks each reply in a callback and drops it, runs almost none).
 * Two old holders of a reply were measured: the closed loop's own frame,
 * fixed in `closedLoops` (_workload.ts), and the promise `request()`
 * returned, which keeps its value until it is collected and, in flight for
 * longer than two scavenges apart (many large requests in flight), is old
 * by then; `call()` (`--api call`) has no promise.
 *
 * The server and client are the tsc build bench:compare runs.
 *
 * Run: node --import tsx bench/reply_gc_bench.ts [--payload 4m]
 *      [--parallel 1,4,16] [--seconds 3]
 *
 * With `BENCH_QUICK=1` (the `bench` step of `npm test`) it runs one tiny
 * cell.
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";
import { createInterface } from "node:readline";
import { buildForNode, RUNTIMES } from "../scripts/_bench.mjs";
import { args, flag, formatSize, sizes } from "./_process.ts";
import { detectRuntime } from "./_runtime.ts";

const argv = args();
const quick = process.env.BENCH_QUICK === "1";
const payload = sizes(flag(argv, "payload", quick ? "256k" : "4m"))[0];
const parallels = flag(argv, "parallel", quick ? "4" : "1,4,16").split(",")
  .map(Number);
const seconds = flag(argv, "seconds", quick ? "0.2" : "3");

/** A client to measure: the peer, and its extra arguments. */
const CLIENTS: { name: string; peer: string; extra: string[] }[] = [
  { name: "raw", peer: "raw", extra: [] },
  { name: "listenrain request()", peer: "listenrain", extra: [] },
  { name: "listenrain call()", peer: "listenrain", extra: ["--api", "call"] },
];

/** What one client run gave. */
interface Run {
  replies: number;
  markCompacts: number;
  scavenges: number;
  cpuUsPerRequest: number;
}

/** The command that runs a compare file, as bench:compare runs it on Node. */
function node(file: string, options: string[], flags: string[] = []): {
  cmd: string;
  argv: string[];
} {
  const [cmd, argv] = RUNTIMES.node(file, options, false) as [
    string,
    string[],
  ];
  return { cmd, argv: [...flags, ...argv] };
}

/** Starts a compare server of `peer`; resolves with its port and a stop. */
async function server(peer: string): Promise<[number, () => void]> {
  const { cmd, argv } = node("bench/compare/server.ts", ["--peer", peer]);
  const child = spawn(cmd, argv, { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const ready = JSON.parse(line) as { port?: number };
    if (ready.port !== undefined) {
      return [ready.port, () => child.stdin!.end("exit\n")];
    }
  }
  throw new Error(`The ${peer} server ended before it was ready`);
}

/** Runs one client under --trace-gc and counts its collections. */
async function client(
  peer: string,
  extra: string[],
  port: number,
  parallel: number,
): Promise<Run> {
  const { cmd, argv } = node("bench/compare/client.ts", [
    ...["--peer", peer, "--port", String(port), "--rate", "0"],
    ...["--parallel", String(parallel), "--payload", String(payload)],
    ...["--seconds", seconds, "--warmup", quick ? "0.1" : "0.5"],
    ...extra,
  ], ["--trace-gc"]);
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "inherit"] });
  let markCompacts = 0;
  let scavenges = 0;
  let last = "";
  for await (const line of createInterface({ input: child.stdout! })) {
    if (line.includes("Mark-Compact")) markCompacts++;
    else if (line.includes("Scavenge")) scavenges++;
    else if (line.startsWith("{")) last = line;
  }
  const result = JSON.parse(last) as { verified: number; cpuMs: number };
  return {
    replies: result.verified,
    markCompacts,
    scavenges,
    cpuUsPerRequest: result.cpuMs * 1000 / result.verified,
  };
}

if (detectRuntime() !== "node") {
  console.log("reply_gc_bench: --trace-gc counts are Node's; skipped");
} else {
  // Built with tsc as bench:compare runs them (not tsx: its keepNames and
  // loader change what is allocated).
  buildForNode(["bench/compare/server.ts", "bench/compare/client.ts"]);
  console.log(
    `Client collections per 100 replies, ${
      formatSize(payload)
    } echoed, ${seconds} s per cell (node ${process.version})`,
  );
  console.log(
    "| parallel | client | mark-compacts | scavenges | client CPU µs/req |",
  );
  console.log("| - | - | - | - | - |");
  for (const parallel of parallels) {
    for (const { name, peer, extra } of CLIENTS) {
      const [port, stop] = await server(peer);
      try {
        const run = await client(peer, extra, port, parallel);
        const per100 = (n: number) => (100 * n / run.replies).toFixed(1);
        console.log(
          `| ${parallel} | ${name} | ${per100(run.markCompacts)} | ${
            per100(run.scavenges)
          } | ${run.cpuUsPerRequest.toFixed(0)} |`,
        );
      } finally {
        stop();
      }
    }
  }
}
