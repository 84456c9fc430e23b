/**
 * What a request deadline costs when the handler is async: a server's
 * transport schedules a deadline timer on its shared TimerHeap per request
 * whose handler goes async, and cancels it when the handler ends. With one
 * request in flight the heap empties after each one; this measures the CPU
 * time per request (client and server in one process, over a memory pipe or
 * loopback TCP) and per schedule/cancel cycle of a bare heap, with the
 * runtime timers armed per run (counted through a wrapped setTimeout).
 *
 * Usage: deno run -A bench/timer_park_bench.ts | bun bench/timer_park_bench.ts
 *   | node --import tsx bench/timer_park_bench.ts [--requests 20000]
 *   [--parallel 1,16] [--tcp]
 *
 * @module
 */

import process from "node:process";
import { Connection } from "../src/connection/connection.ts";
import { createMemoryPipe } from "../src/channel/memory_pipe.ts";
import { Router } from "../src/transport/router.ts";
import { TimerHeap } from "../src/timer/timer_heap.ts";
import { detectRuntime, loadAdapter } from "../adapters/runtime.ts";
import type { Channel, Listener } from "../src/channel/channel.ts";
import { args, cpuMs, flag } from "./_process.ts";

const argv = args();
const requests = Number(flag(argv, "requests", "20000"));
const parallels = flag(argv, "parallel", "1,16").split(",").map(Number);
const tcp = argv.includes("--tcp");

let arms = 0;
const realSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = ((...a: Parameters<typeof setTimeout>) => {
  arms++;
  return realSetTimeout(...a);
}) as typeof setTimeout;

/** A connected pair: over a memory pipe, or loopback TCP with the runtime's adapter. */
async function pair(): Promise<[Channel, Channel, () => void]> {
  if (!tcp) {
    const [a, b] = createMemoryPipe();
    return [a, b, () => {}];
  }
  const adapter = await loadAdapter(detectRuntime());
  const listener: Listener = await adapter.listen("tcp://127.0.0.1:0");
  const accepted = listener[Symbol.asyncIterator]().next();
  const client = await adapter.dial(`tcp://127.0.0.1:${listener.addr.port}`);
  const server = (await accepted).value as Channel;
  return [server, client, () => listener.close()];
}

async function handlers(parallel: number): Promise<string> {
  const [a, b, done] = await pair();
  const router = new Router().handle(
    "echo",
    async (body: Uint8Array) => {
      await null;
      return body;
    },
  );
  const server = new Connection(a, { router });
  // The client's timers on a heap of their own, as if in another process:
  // the server's heap empties whenever no handler runs.
  const client = new Connection(b, { timers: new TimerHeap() });
  const body = new Uint8Array(64);
  const run = async (count: number) => {
    const lanes = Array.from({ length: parallel }, async () => {
      for (let i = 0; i < count / parallel; i++) {
        await client.request("echo", body);
      }
    });
    await Promise.all(lanes);
  };
  await run(Math.min(2000, requests)); // warm-up
  const armsBefore = arms;
  const cpu = cpuMs();
  const start = performance.now();
  await run(requests);
  const us = ((cpuMs() - cpu) * 1000) / requests;
  const wall = ((performance.now() - start) * 1000) / requests;
  const armed = arms - armsBefore;
  await Promise.all([client.close(), server.close()]);
  done();
  return `async handler, ${parallel} in flight: ${
    us.toFixed(2)
  } us CPU/request (${
    wall.toFixed(2)
  } us wall), ${armed} runtime timers armed for ${requests} requests`;
}

function cycles(): string {
  const timers = new TimerHeap();
  const n = requests * 10;
  const noop = () => {};
  for (let i = 0; i < 1000; i++) timers.schedule(30_000, noop, i).cancel();
  const armsBefore = arms;
  const cpu = cpuMs();
  for (let i = 0; i < n; i++) timers.schedule(30_000, noop, i).cancel();
  const ns = ((cpuMs() - cpu) * 1e6) / n;
  return `schedule + cancel on an empty heap: ${ns.toFixed(0)} ns CPU/cycle, ${
    arms - armsBefore
  } runtime timers armed for ${n} cycles`;
}

console.log(`${detectRuntime()}, ${tcp ? "loopback TCP" : "memory pipe"}`);
console.log(cycles());
for (const parallel of parallels) console.log(await handlers(parallel));
process.exit(0);
