/**
 * The seed's benchmark, measured the seed's way: a server and a client in one
 * process over loopback TCP, one connection, `parallel` closed loops (send,
 * await the reply, send the next), for each payload size. Prints a table like
 * ListenRain's README: parallel, payload, requests/s, Gbit/s, CPU %, memory,
 * and the Go library's figures for the same cell with the ratio.
 *
 * By default the server runs in a `Worker` (the web Worker on Deno and Bun,
 * `node:worker_threads` on Node: bench/_seed_server.ts) and the client on the
 * main thread, so one process uses two cores as the Go benchmark does.
 * `--single-thread` runs both on the main thread; `--both` runs every cell
 * both ways, back to back, and prints them side by side.
 *
 * Run: `npm start` (Deno), `npm start -- --runtime bun|node`, or directly
 * `deno run -A bench/seed_table.ts --seconds 2 --parallel 1,4,16 --payload 4k,32k`.
 *
 * @module
 */

import { Connection } from "../src/connection/connection.ts";
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
import {
  type EchoServer,
  serveEcho,
  serveEchoInWorker,
} from "./_seed_server.ts";

const argv = args();
const seconds = Number(flag(argv, "seconds", "2.5"));
const warmup = Math.min(0.5, seconds / 4);
const parallels = flag(argv, "parallel", "1,4,16").split(",").map(Number);
const payloads = sizes(flag(argv, "payload", "4k,32k,256k,4m"));
const json = argv.includes("--json");
const runtime = detectRuntime();
/** The modes to run, in the order they run within a cell. */
const modes: Mode[] = argv.includes("--both")
  ? ["threaded", "single-thread"]
  : argv.includes("--single-thread")
  ? ["single-thread"]
  : ["threaded"];
type Mode = "threaded" | "single-thread";

/**
 * The Go ListenRain benchmark on this machine type, server and client in one
 * process, as quoted in issue 18 (maintainers, 2026-12; two runs each, ±30 %):
 * requests/s by payload, then by 1, 4 and 16 in flight.
 */
const GO: Record<number, Record<number, number>> = {
  [4 << 10]: { 1: 57_000, 4: 68_000, 16: 76_000 },
  [32 << 10]: { 1: 41_000, 4: 59_000, 16: 56_000 },
  [256 << 10]: { 1: 19_000, 4: 7_300, 16: 5_500 },
  [4 << 20]: { 1: 310, 4: 360, 16: 310 },
};

const adapter = await loadAdapter(runtime);
/** Per mode: its server and the client connection to it. */
const setups = new Map<Mode, { server: EchoServer; client: Connection }>();
for (const mode of modes) {
  const server = mode === "threaded"
    ? await serveEchoInWorker()
    : await serveEcho();
  const client = new Connection(
    await adapter.dial(`tcp://127.0.0.1:${server.port}`),
  );
  setups.set(mode, { server, client });
}

interface Row {
  runtime: string;
  mode: Mode;
  parallel: number;
  payload: number;
  reqPerSec: number;
  gbitPerSec: number;
  cpuPercent: number;
  rssMiB: number;
}

async function measure(
  mode: Mode,
  parallel: number,
  payload: number,
): Promise<Row> {
  const { client } = setups.get(mode)!;
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
    mode,
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
const total = parallels.length * payloads.length * modes.length;
if (!json) {
  const where = (mode: Mode) =>
    mode === "threaded"
      ? `threaded: the server in ${
        setups.get(mode)!.server.where
      }, the client on the main thread`
      : "single-thread: server and client on the main thread";
  console.log(
    `listenrain seed benchmark — ${runtime}, one process (${
      modes.map(where).join("; then ")
    }), loopback TCP, one connection, ${seconds} s per cell${
      modes.length > 1 ? ", the two modes back to back in each cell" : ""
    }\n`,
  );
}
for (const payload of payloads) {
  for (const parallel of parallels) {
    for (const mode of modes) {
      if (!json) {
        progress(
          `  running ${
            rows.length + 1
          }/${total}: ${mode}, parallel ${parallel}, payload ${
            formatSize(payload)
          } …`,
        );
      }
      rows.push(await measure(mode, parallel, payload));
    }
  }
}
if (json) {
  for (const row of rows) console.log(JSON.stringify(row));
} else {
  progress("");
  printTable();
}

/** The table: one row per cell, the modes side by side, then Go's figure. */
function printTable(): void {
  const header = [
    "parallel",
    "payload",
    ...modes.map((m) => `${m} req/s`),
    ...(modes.length > 1 ? ["threaded ÷ single"] : []),
    "Gbit/s",
    `cpu % (${modes.join(" / ")})`,
    "mem (MiB)",
    "Go seed req/s",
    ...modes.map((m) => `${m} ÷ Go`),
  ];
  const lines: string[][] = [];
  for (const payload of payloads) {
    for (const parallel of parallels) {
      const cell = modes.map((mode) =>
        rows.find((r) =>
          r.mode === mode && r.parallel === parallel && r.payload === payload
        )!
      );
      const go = GO[payload]?.[parallel];
      lines.push([
        String(parallel),
        formatSize(payload),
        ...cell.map((r) => String(Math.round(r.reqPerSec))),
        ...(modes.length > 1
          ? [(cell[0].reqPerSec / cell[1].reqPerSec).toFixed(2)]
          : []),
        cell.map((r) => r.gbitPerSec.toFixed(3)).join(" / "),
        cell.map((r) => r.cpuPercent.toFixed(0)).join(" / "),
        cell.map((r) => r.rssMiB.toFixed(0)).join(" / "),
        go === undefined ? "–" : String(go),
        ...cell.map((r) =>
          go === undefined ? "–" : (r.reqPerSec / go).toFixed(2)
        ),
      ]);
    }
  }
  const widths = header.map((h, i) =>
    Math.max(h.length, ...lines.map((line) => line[i].length))
  );
  const print = (cells: string[]) =>
    console.log(`| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`);
  print(header);
  print(widths.map((w) => "-".repeat(w)));
  for (const line of lines) print(line);
  console.log(
    "\nGo seed: the Go ListenRain benchmark on this machine type, server and client in one process (both cores), as quoted in issue 18 (maintainers, 2026-12, ±30 %).",
  );
}

for (const { server, client } of setups.values()) {
  await client.close();
  await server.close();
}
