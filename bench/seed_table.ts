/**
 * The seed's benchmark, measured the seed's way: a server and a client in one
 * process over loopback TCP, one connection, `parallel` closed loops (send,
 * await the reply, send the next), for each payload size. Prints a table like
 * ListenRain's README: parallel, payload, requests/s, Gbit/s, CPU %, memory.
 *
 * Run: `npm start` (Deno), `npm start -- --runtime bun|node`, or directly
 * `deno run -A bench/seed_table.ts --seconds 2 --parallel 1,4,16 --payload 4k,32k`.
 *
 * @module
 */

import { Connection } from "../src/connection/connection.ts";
import { Router } from "../src/transport/router.ts";
import {
  args,
  cpuMs,
  flag,
  formatSize,
  progress,
  rssMiB,
  sizes,
} from "./_process.ts";
import { detectRuntime, loadAdapter } from "../adapters/runtime.ts";

const argv = args();
const seconds = Number(flag(argv, "seconds", "2.5"));
const warmup = Math.min(0.5, seconds / 4);
const parallels = flag(argv, "parallel", "1,4,16").split(",").map(Number);
const payloads = sizes(flag(argv, "payload", "4k,32k,256k,4m"));
const json = argv.includes("--json");
const runtime = detectRuntime();

const adapter = await loadAdapter(runtime);
const listener = await adapter.listen("tcp://127.0.0.1:0");
const router = new Router().handle("echo", (body: Uint8Array) => body);
const servers: Connection[] = [];
(async () => {
  for await (const channel of listener) {
    servers.push(new Connection(channel, { router }));
  }
})();
const client = new Connection(
  await adapter.dial(`tcp://127.0.0.1:${listener.addr.port}`),
);

interface Row {
  runtime: string;
  parallel: number;
  payload: number;
  reqPerSec: number;
  gbitPerSec: number;
  cpuPercent: number;
  rssMiB: number;
}

async function measure(parallel: number, payload: number): Promise<Row> {
  const body = new Uint8Array(payload).fill(0x5a);
  let count = 0;
  let measuring = false;
  let stop = false;
  const loop = async () => {
    while (!stop) {
      const reply = await client.request("echo", body);
      if (reply.byteLength !== payload || reply[payload - 1] !== 0x5a) {
        throw new Error(`Bad reply: ${reply.byteLength} bytes`);
      }
      if (measuring) count++;
    }
  };
  const loops = Array.from({ length: parallel }, loop);
  await sleep(warmup * 1000);
  measuring = true;
  const cpu0 = cpuMs();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuMs() - cpu0;
  measuring = false;
  const done = count;
  stop = true;
  await Promise.all(loops);
  const reqPerSec = done / elapsed;
  return {
    runtime,
    parallel,
    payload,
    reqPerSec,
    gbitPerSec: (payload * 8 * reqPerSec) / 1e9,
    cpuPercent: (cpu / (elapsed * 1000)) * 100,
    rssMiB: rssMiB(),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const rows: Row[] = [];
const total = parallels.length * payloads.length;
const header =
  "| parallel | payload  | requests/s | Gbit/s  | cpu (%) | mem (MiB) |\n" +
  "| -------- | -------- | ---------- | ------- | ------- | --------- |";
if (!json) {
  console.log(
    `listenrain seed benchmark — ${runtime}, one process, loopback TCP, one connection, ${seconds} s per cell\n`,
  );
}
for (const payload of payloads) {
  for (const parallel of parallels) {
    if (!json) {
      const line = `  running ${
        rows.length + 1
      }/${total}: parallel ${parallel}, payload ${formatSize(payload)} …`;
      progress(line);
    }
    rows.push(await measure(parallel, payload));
  }
}
if (json) {
  for (const row of rows) console.log(JSON.stringify(row));
} else {
  progress("");
  console.log(header);
  for (const r of rows) {
    console.log(
      `| ${pad(r.parallel, 8)} | ${pad(formatSize(r.payload), 8)} | ${
        pad(Math.round(r.reqPerSec), 10)
      } | ${pad(r.gbitPerSec.toFixed(3), 7)} | ${
        pad(r.cpuPercent.toFixed(0), 7)
      } | ${pad(r.rssMiB.toFixed(0), 9)} |`,
    );
  }
}

function pad(value: string | number, width: number): string {
  return String(value).padEnd(width);
}

await client.close();
await Promise.all(servers.map((s) => s.close()));
listener.close();
