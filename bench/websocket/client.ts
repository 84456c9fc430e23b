/**
 * One client of the WebSocket benchmark, in a process of its own: one
 * connection to the server on `--port`, `--parallel` requests in flight of
 * `--payload` bytes each, every reply checked, counted for `--seconds` after
 * `--warmup`. `--peer tcp` and `--peer ws`: a listenrain Connection dialed
 * by the runtime's adapter, `parallel` closed loops of `request("echo")`;
 * `--peer raw-ws`: one WebSocket message per request, replies in FIFO order.
 * Prints one JSON line, `{"requests", "seconds", "verified", "rssMiB",
 * "cpuMs"}` (`cpuMs`: this process's CPU time from the open connection to the
 * last reply, warm-up included, so per request it is `cpuMs / verified`).
 *
 * @module
 */

import process from "node:process";
import { Connection } from "../../src/connection/connection.ts";
import { args, cpuMs, flag } from "../_process.ts";
import { detectRuntime, loadAdapter } from "../../adapters/runtime.ts";
import { deadline, die, emit } from "../compare/_control.ts";
import {
  type ClientResult,
  closedLoops,
  type FifoConnection,
  fifoPipeline,
  type Workload,
  workloadFlags,
} from "../compare/_workload.ts";
import { connect } from "./_raw_ws.ts";

const argv = args();
const peer = flag(argv, "peer", "ws");
const port = Number(flag(argv, "port", "0"));
const workload: Workload = workloadFlags(argv, {
  parallel: "16",
  payload: "64",
  seconds: "3",
});
const runtime = detectRuntime();
deadline(Number(flag(argv, "max-seconds", "600")));

async function runListenrain(): Promise<ClientResult & { cpuMs: number }> {
  const adapter = await loadAdapter(runtime);
  const key = peer === "tcp"
    ? `tcp://127.0.0.1:${port}`
    : `ws://127.0.0.1:${port}/`;
  const client = new Connection(await adapter.dial(key));
  const cpu = cpuMs();
  const result = await closedLoops(
    workload,
    (body) => client.request("echo", body),
  );
  const used = cpuMs() - cpu;
  await client.close();
  return { ...result, cpuMs: used };
}

async function runRaw(): Promise<ClientResult & { cpuMs: number }> {
  const fifo: FifoConnection = { send: () => {}, onReply: () => {} };
  const conn = await connect(runtime, port, (payload) => fifo.onReply(payload));
  fifo.send = conn.send;
  const cpu = cpuMs();
  const result = await fifoPipeline(workload, fifo);
  const used = cpuMs() - cpu;
  conn.close();
  return { ...result, cpuMs: used };
}

try {
  if (peer !== "tcp" && peer !== "ws" && peer !== "raw-ws") {
    throw new Error(`Unknown peer "${peer}" (tcp, ws or raw-ws)`);
  }
  emit({ ...(await (peer === "raw-ws" ? runRaw() : runListenrain())) });
  process.exit(0);
} catch (error) {
  die(error);
}
