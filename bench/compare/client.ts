/**
 * One client of the side-by-side benchmark, in a process of its own: one
 * connection to the server on `--port`, `--parallel` requests in flight of
 * `--payload` bytes each, every reply checked, counted for `--seconds` after
 * `--warmup`. Then, with `--rate r` (requests/s) or `--rate-fraction f` (of
 * the rate the closed loops just measured), an open loop on the same
 * connection: that rate offered for another warm-up and window, at most
 * `--parallel` in flight (_open_loop.ts). Prints one JSON line,
 * `{"requests", "seconds", "verified", "rssMiB", "latency", "cpuMs", "open"}`
 * (`cpuMs`: this process's CPU time in the closed loops, warm-up included;
 * `open`:
 * the open loop's `{"offered", "requests", "seconds", "latency", …}` or
 * absent), and exits.
 *
 * - `--peer listenrain`: a Connection over the runtime's adapter, `parallel` closed
 *   loops of `request("echo", body)` (`--api call`: the callback API).
 *   `listenrain-metadata` and `listenrain-otel` add metadata and
 *   interceptors (_listenrain.ts).
 * - `--peer raw`: the runtime's raw socket, replies matched in FIFO order.
 * - `--peer grpc`: one `@grpc/grpc-js` channel, `parallel` closed loops of
 *   unary calls (Node only).
 *
 * @module
 */

import process from "node:process";
import { Connection } from "../../src/connection/connection.ts";
import { args, cpuMs, flag } from "../_process.ts";
import { detectRuntime, loadAdapter } from "../../adapters/runtime.ts";
import { deadline, die, emit } from "./_control.ts";
import { loadRaw } from "./_raw.ts";
import { clientSetup, LISTENRAIN_PEERS } from "./_listenrain.ts";
import type { RequestOptions } from "../../src/transport/transport_options.ts";
import {
  Bodies,
  type ClientResult,
  closedLoops,
  type FifoConnection,
  fifoPipeline,
  Meter,
  type Workload,
  workloadFlags,
} from "./_workload.ts";
import {
  fifoSlots,
  openLoop,
  type OpenResult,
  type Pace,
  promiseSlots,
  type SlotReply,
} from "./_open_loop.ts";

const argv = args();
const peer = flag(argv, "peer", "listenrain");
const port = Number(flag(argv, "port", "0"));
const workload: Workload = workloadFlags(argv, {
  parallel: "1",
  payload: "4k",
  seconds: "3",
});
const api = flag(argv, "api", "request");
const rate = Number(flag(argv, "rate", "0"));
const rateFraction = Number(flag(argv, "rate-fraction", "0"));
const pace = flag(argv, "pace", "sleep") as Pace;
if (pace !== "sleep" && pace !== "poll") {
  throw new Error(`--pace ${pace}: expected sleep or poll`);
}
const runtime = detectRuntime();
deadline(Number(flag(argv, "max-seconds", "600")));

/** listenrain's callback API: each reply's callback sends the next request. */
function callLoops(
  client: Connection,
  nextRequest: (() => RequestOptions) | undefined,
): Promise<ClientResult> {
  const bodies = new Bodies(workload.payload, workload.parallel);
  const meter = new Meter(workload);
  let inFlight = 0;
  return new Promise((resolve, reject) => {
    const send = (slot: number) => {
      inFlight++;
      const start = meter.timing() ? performance.now() : -1;
      client.call("echo", bodies.next(slot), {
        onMessage(reply) {
          inFlight--;
          try {
            bodies.check(slot, reply);
          } catch (error) {
            return reject(error);
          }
          if (start < 0) meter.reply();
          else meter.replyAfter(performance.now() - start);
          if (meter.running) send(slot);
          else if (inFlight === 0) resolve(meter.result());
        },
        onError: reject,
        onTimeout: reject,
      }, nextRequest?.());
    };
    for (let slot = 0; slot < workload.parallel; slot++) send(slot);
  });
}

/**
 * What a peer's run reports: the closed loops (with this process's CPU
 * time in them, warm-up included), then the open loop.
 */
type Result = ClientResult & { cpuMs: number; open?: OpenResult };

/** The closed loops' result, and the open loop's at the rate asked for. */
async function both(
  closed: () => Promise<ClientResult>,
  open: (rate: number) => Promise<OpenResult>,
): Promise<Result> {
  const cpuBefore = cpuMs();
  const result = { ...await closed(), cpuMs: 0 };
  result.cpuMs = cpuMs() - cpuBefore;
  const offered = rate > 0
    ? rate
    : rateFraction * result.requests / result.seconds;
  if (!(offered > 0)) return result;
  const openResult = await open(offered);
  return {
    ...result,
    rssMiB: Math.max(result.rssMiB, openResult.rssMiB),
    open: openResult,
  };
}

async function runListenrain(): Promise<Result> {
  const adapter = await loadAdapter(runtime);
  const { options, nextRequest } = await clientSetup(peer);
  const client = new Connection(
    await adapter.dial(`tcp://127.0.0.1:${port}`),
    options,
  );
  const request = nextRequest === undefined
    ? (body: Uint8Array) => client.request("echo", body)
    : (body: Uint8Array) => client.request("echo", body, nextRequest());
  const callSlots =
    (reply: SlotReply, fail: (e: unknown) => void) =>
    (slot: number, body: Uint8Array) =>
      client.call("echo", body, {
        onMessage: (payload) => reply(slot, payload),
        onError: fail,
        onTimeout: fail,
      }, nextRequest?.());
  const result = await both(
    () =>
      api === "call"
        ? callLoops(client, nextRequest)
        : closedLoops(workload, request),
    (offered) =>
      openLoop(
        workload,
        offered,
        api === "call" ? callSlots : promiseSlots(request),
        pace,
      ),
  );
  await client.close();
  return result;
}

async function runRaw(): Promise<Result> {
  const raw = await loadRaw(runtime);
  const fifo: FifoConnection = { onReply: () => {}, send: () => {} };
  const conn = await raw.connect(port, (payload) => fifo.onReply(payload));
  fifo.send = conn.send;
  const result = await both(
    () => fifoPipeline(workload, fifo),
    (offered) =>
      openLoop(workload, offered, fifoSlots(fifo, workload.parallel), pace),
  );
  conn.close();
  return result;
}

async function runGrpc(): Promise<Result> {
  if (runtime !== "node") throw new Error("The gRPC peer runs on Node");
  const call = await (await import("./grpc.ts")).connect(port);
  return await both(
    () => closedLoops(workload, call),
    (offered) => openLoop(workload, offered, promiseSlots(call), pace),
  );
}

try {
  const run = LISTENRAIN_PEERS.includes(peer)
    ? runListenrain
    : peer === "raw"
    ? runRaw
    : peer === "grpc"
    ? runGrpc
    : () => {
      throw new Error(
        `Unknown peer "${peer}" (${LISTENRAIN_PEERS.join(", ")}, raw or grpc)`,
      );
    };
  emit({ ...(await run()) });
  process.exit(0);
} catch (error) {
  die(error);
}
