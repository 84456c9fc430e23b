/**
 * The client of the CPU breakdown (scripts/cpu_breakdown.mjs): the same
 * closed loops as bench/compare/client.ts (listenrain's `request()` or the
 * raw FIFO pipeline, every reply checked), with the number of requests sent
 * so far in `globalThis.breakdownRequests`, which the driver reads over the
 * inspector right before it starts the CPU profiles and right after it stops
 * them: their difference is the request count of the profiled window.
 * Prints `{"ready": true, "pid": …}` once requests flow; runs until
 * `--seconds` (its own, long) or until the driver kills it.
 *
 * With `--window-after a --window-seconds w` (for Bun, whose profiler is
 * `--cpu-prof`, written at exit), the client marks the window itself: `a`
 * seconds after it is ready it prints `{"window": "start", "at": <epoch
 * ms>, "requests": …}`, `w` seconds later the same with `"end"`, then exits
 * (which writes its profile).
 *
 * @module
 */

import process from "node:process";
import { Connection } from "../../src/connection/connection.ts";
import { args, flag } from "../_process.ts";
import { detectRuntime, loadAdapter } from "../../adapters/runtime.ts";
import { deadline, die, emit } from "../compare/_control.ts";
import { loadRaw } from "../compare/_raw.ts";
import {
  closedLoops,
  type FifoConnection,
  fifoPipeline,
  type Workload,
  workloadFlags,
} from "../compare/_workload.ts";

const argv = args();
const peer = flag(argv, "peer", "listenrain");
const port = Number(flag(argv, "port", "0"));
const workload: Workload = workloadFlags(argv, {
  parallel: "256",
  payload: "64",
  seconds: "30",
});
const windowAfter = Number(flag(argv, "window-after", "0"));
const windowSeconds = Number(flag(argv, "window-seconds", "0"));
const runtime = detectRuntime();
deadline(workload.seconds + 10);

/** What the driver reads: requests sent so far. */
const counter = { requests: 0 };
(globalThis as { breakdownRequests?: () => number }).breakdownRequests = () =>
  counter.requests;

/** Says the loops run; marks the profile window if asked to. */
function ready(): void {
  emit({ ready: true, pid: process.pid });
  if (!(windowSeconds > 0)) return;
  const mark = (window: string) =>
    emit({
      window,
      at: performance.timeOrigin + performance.now(),
      requests: counter.requests,
    });
  setTimeout(() => {
    mark("start");
    setTimeout(() => {
      mark("end");
      process.exit(0);
    }, windowSeconds * 1000);
  }, windowAfter * 1000);
}

async function runListenrain(): Promise<void> {
  const adapter = await loadAdapter(runtime);
  const client = new Connection(
    await adapter.dial(`tcp://127.0.0.1:${port}`),
    {},
  );
  const loops = closedLoops(workload, (body) => {
    counter.requests++;
    return client.request("echo", body);
  });
  ready();
  await loops;
  await client.close();
}

async function runRaw(): Promise<void> {
  const raw = await loadRaw(runtime);
  const fifo: FifoConnection = { onReply: () => {}, send: () => {} };
  const conn = await raw.connect(port, (payload) => fifo.onReply(payload));
  fifo.send = (body) => {
    counter.requests++;
    conn.send(body);
  };
  const loops = fifoPipeline(workload, fifo);
  ready();
  await loops;
  conn.close();
}

try {
  if (peer === "listenrain") await runListenrain();
  else if (peer === "raw") await runRaw();
  else throw new Error(`Unknown peer "${peer}" (listenrain or raw)`);
  process.exit(0);
} catch (error) {
  die(error);
}
