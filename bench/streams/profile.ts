/**
 * The stream benchmark's flood in ONE process, for profiling: the server
 * and the client of `--peer listenrain|raw` share the event loop over a TCP
 * connection on 127.0.0.1, so one `--cpu-prof` holds both sides. Prints
 * MB/s and the process's CPU time per GB read (warm-up excluded).
 *
 * Usage (Node, on the build that scripts/bench_streams.mjs makes, or
 * through tsx at the cost of its keepNames wrappers):
 *   node --cpu-prof --import tsx bench/streams/profile.ts --peer listenrain
 *     [--payload 64k] [--seconds 3] [--warmup 0.5]
 *   deno run -A bench/streams/profile.ts …; bun bench/streams/profile.ts …
 *
 * @module
 */

import process from "node:process";
import { Connection } from "../../src/connection/connection.ts";
import { detectRuntime, loadAdapter } from "../../adapters/runtime.ts";
import { args, cpuMs, flag, sizes } from "../_process.ts";
import { check, encodeRequest } from "./_payload.ts";
import { loadRaw } from "./_raw.ts";
import { router } from "./_routes.ts";

const argv = args();
const peer = flag(argv, "peer", "listenrain");
const size = sizes(flag(argv, "payload", "64k"))[0];
const seconds = Number(flag(argv, "seconds", "3"));
const warmup = Number(flag(argv, "warmup", "0.5"));
const runtime = detectRuntime();

/** Counts messages; `false` once the window is over. */
function meter(): { message(): boolean; report(): string } {
  const start = performance.now();
  let from = -1;
  let cpu = 0;
  let counted = 0;
  let end = 0;
  return {
    message() {
      const now = performance.now();
      if (from < 0) {
        if (now - start >= warmup * 1000) [from, cpu] = [now, cpuMs()];
        return true;
      }
      counted++;
      if (now - from < seconds * 1000) return true;
      [end, cpu] = [now, cpuMs() - cpu];
      return false;
    },
    report() {
      const gb = counted * size / 1e9;
      return `${peer} on ${runtime}: ${
        (gb * 1e3 / ((end - from) / 1000)).toFixed(0)
      } MB/s, ${(cpu / 1e3 / gb).toFixed(2)} s CPU per GB (both sides)`;
    },
  };
}

async function listenrain(): Promise<string> {
  const adapter = await loadAdapter(runtime);
  const listener = await adapter.listen("tcp://127.0.0.1:0");
  const servers: Connection[] = [];
  (async () => {
    for await (const channel of listener) {
      servers.push(new Connection(channel, { router }));
    }
  })();
  const client = new Connection<typeof router>(
    await adapter.dial(`tcp://127.0.0.1:${listener.addr.port}`),
  );
  const m = meter();
  for await (
    const message of client.serverStream("flood", encodeRequest(0, size))
  ) {
    check(message, size);
    if (!m.message()) break;
  }
  await client.close();
  await Promise.all(servers.map((s) => s.close()));
  await listener.close();
  return m.report();
}

async function raw(): Promise<string> {
  const module = await loadRaw(runtime);
  const port = await module.serveFlood();
  const m = meter();
  let done = false;
  const reader = await module.readFlood(port, encodeRequest(0, size), (b) => {
    if (done) return;
    check(b, size);
    if (!m.message()) {
      done = true;
      reader.close();
    }
  });
  await reader.ended;
  return m.report();
}

console.log(peer === "raw" ? await raw() : await listenrain());
process.exit(0);
