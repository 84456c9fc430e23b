/**
 * The load of bench/scale/every_core_bench.ts, in a process of its own so
 * that the server's throughput is not the client's:
 * `<runtime> bench/scale/_load.ts --port N --connections 64 --inflight 16
 * --payload 4096 --seconds 5 [--warmup 1]` opens `connections` connections
 * to 127.0.0.1:N, keeps `inflight` `echo` requests of `payload` bytes (a
 * JSON string) in flight on each for `warmup` seconds unmeasured, then
 * `seconds` measured, and prints `{ requests, seconds, rps, cpuMs }` (its
 * own CPU time while measuring).
 *
 * @module
 */

import { args, cpuMs, flag } from "../_process.ts";
import { loadAdapter } from "../_runtime.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { Connection } from "../../src/connection/connection.ts";

const argv = args();
const port = Number(flag(argv, "port", "0"));
const connections = Number(flag(argv, "connections", "64"));
const inflight = Number(flag(argv, "inflight", "16"));
const payload = "x".repeat(Number(flag(argv, "payload", "4096")));
const seconds = Number(flag(argv, "seconds", "5"));
const warmup = Number(flag(argv, "warmup", "1"));

const { dial } = await loadAdapter();
const opened = await Promise.all(
  Array.from(
    { length: connections },
    async () =>
      new Connection(await dial(`tcp://127.0.0.1:${port}`), { body: jsonBody }),
  ),
);

let counting = false;
let done = 0;
let stopped = false;
async function lane(connection: Connection): Promise<void> {
  while (!stopped) {
    const reply = await connection.request("echo", payload);
    if ((reply as string).length !== payload.length) throw new Error("echo");
    if (counting) done++;
  }
}
const lanes = opened.flatMap((c) =>
  Array.from({ length: inflight }, () => lane(c))
);
await new Promise((resolve) => setTimeout(resolve, warmup * 1000));
counting = true;
const cpu0 = cpuMs();
const t0 = performance.now();
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
counting = false;
const elapsed = (performance.now() - t0) / 1000;
const cpu = cpuMs() - cpu0;
const requests = done;
stopped = true;
await Promise.allSettled(lanes);
await Promise.all(opened.map((c) => c.close()));
console.log(JSON.stringify({
  requests,
  seconds: elapsed,
  rps: Math.round(requests / elapsed),
  cpuMs: Math.round(cpu),
}));
