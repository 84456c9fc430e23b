/**
 * The child of request_garbage_bench.ts: one process that is both the
 * server and the client of `requests` echo requests of 64 B (`BODY=<bytes>`
 * for another size), `parallel` in
 * flight, over TCP on 127.0.0.1 — listenrain's `Connection.request`, or the
 * raw length-prefixed echo of bench/compare (FIFO, no ids). It prints
 * `MARK-START` and `MARK-END {json}` around the measured requests, so that
 * the parent can sum V8's `--trace-gc-nvp` lines between them;
 * `ALLOC_PROFILE=<file>` writes V8's sampling heap profile of the measured
 * requests there (for bench/alloc_profile.ts).
 *
 * Run by the parent: node --trace-gc-nvp --import tsx bench/_request_garbage_child.ts listenrain|raw parallel requests
 *
 * @module
 */

import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import process from "node:process";
import { Connection, Router } from "../mod.ts";
import { dial, listen } from "../adapters/node.ts";
import { connect, serveEcho } from "./compare/raw_node.ts";

const [peer = "listenrain", parallelArg = "256", requestsArg = "300000"] =
  process.argv.slice(2);
const parallel = Number(parallelArg);
const requests = Number(requestsArg);
const body = new Uint8Array(Number(process.env.BODY ?? 64)).fill(7);

/** Sends `total` requests, `parallel` in flight; resolves when all are answered. */
type Run = (total: number) => Promise<void>;

async function listenrainRun(): Promise<Run> {
  // ASYNC=1: an async handler (its reply a promise), as most real ones are.
  const router = process.env.ASYNC
    // deno-lint-ignore require-await
    ? new Router().handle("echo", async (bytes: Uint8Array) => bytes)
    : new Router().handle("echo", (bytes: Uint8Array) => bytes);
  const listener = await listen("tcp://127.0.0.1:0");
  (async () => {
    for await (const channel of listener) new Connection(channel, { router });
  })();
  const client = new Connection<typeof router>(
    await dial(`tcp://127.0.0.1:${listener.addr.port}`),
  );
  return async (total) => {
    let sent = 0;
    await Promise.all(Array.from({ length: parallel }, async () => {
      while (sent < total) {
        sent++;
        const reply = await client.request("echo", body);
        if (reply.byteLength !== body.byteLength) throw new Error("bad reply");
      }
    }));
  };
}

async function rawRun(): Promise<Run> {
  const server = await serveEcho();
  let onDone = (): void => {};
  let sent = 0;
  let received = 0;
  let total = 0;
  const client = await connect(server.port, (payload) => {
    if (payload.byteLength !== body.byteLength) throw new Error("bad reply");
    if (++received === total) onDone();
    else if (sent < total) {
      sent++;
      client.send(body);
    }
  });
  return (count) =>
    new Promise<void>((resolve) => {
      total = count;
      sent = received = 0;
      onDone = resolve;
      for (; sent < Math.min(parallel, total); sent++) client.send(body);
    });
}

/** Starts sampling allocations; the result stops it and returns the profile. */
async function startSampling(
  samplingInterval: number,
): Promise<() => Promise<unknown>> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(
        method,
        params,
        (error, result) => error ? reject(error) : resolve(result),
      )
    );
  await post("HeapProfiler.enable");
  await post("HeapProfiler.startSampling", {
    samplingInterval,
    includeObjectsCollectedByMinorGC: true,
    includeObjectsCollectedByMajorGC: true,
  });
  return async () => {
    const { profile } = await post("HeapProfiler.stopSampling") as {
      profile: unknown;
    };
    session.disconnect();
    return profile;
  };
}

const run = peer === "raw" ? await rawRun() : await listenrainRun();
await run(Math.min(requests, 50_000)); // warm-up: optimized code, grown tables
// ALLOC_PROFILE=<file> (bench/alloc_profile.ts): V8's sampling heap profile
// of the measured requests, every object counted, collected or not.
const profile = process.env.ALLOC_PROFILE
  ? await startSampling(Number(process.env.ALLOC_SAMPLE ?? 512))
  : undefined;
console.log("MARK-START");
const start = process.cpuUsage();
await run(requests);
const cpu = process.cpuUsage(start);
if (profile) {
  writeFileSync(process.env.ALLOC_PROFILE!, JSON.stringify(await profile()));
}
console.log(
  "MARK-END",
  JSON.stringify({ requests, cpuUs: cpu.user + cpu.system }),
);
process.exit(0);
