/**
 * One client of the side-by-side benchmark, in a process of its own: one
 * connection to the server on `--port`, `--parallel` requests in flight of
 * `--payload` bytes each, every reply checked, counted for `--seconds` after
 * `--warmup`. Prints one JSON line, `{"requests", "seconds", "verified",
 * "rssMiB"}`, and exits.
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
import { args, flag, sizes } from "../_process.ts";
import { detectRuntime, loadAdapter } from "../../adapters/runtime.ts";
import { deadline, die, emit } from "./_control.ts";
import { loadRaw } from "./_raw.ts";
import { clientSetup, LISTENRAIN_PEERS } from "./_listenrain.ts";
import type { RequestOptions } from "../../src/transport/transport_options.ts";
import {
  Bodies,
  type ClientResult,
  closedLoops,
  fifoPipeline,
  Meter,
  type Workload,
} from "./_workload.ts";

const argv = args();
const peer = flag(argv, "peer", "listenrain");
const port = Number(flag(argv, "port", "0"));
const workload: Workload = {
  parallel: Number(flag(argv, "parallel", "1")),
  payload: sizes(flag(argv, "payload", "4k"))[0],
  seconds: Number(flag(argv, "seconds", "3")),
  warmup: Number(flag(argv, "warmup", "0.5")),
};
const api = flag(argv, "api", "request");
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
      client.call("echo", bodies.next(slot), {
        onMessage(reply) {
          inFlight--;
          try {
            bodies.check(slot, reply);
          } catch (error) {
            return reject(error);
          }
          meter.reply();
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

async function runListenrain(): Promise<ClientResult> {
  const adapter = await loadAdapter(runtime);
  const { options, nextRequest } = await clientSetup(peer);
  const client = new Connection(
    await adapter.dial(`tcp://127.0.0.1:${port}`),
    options,
  );
  const result = api === "call"
    ? await callLoops(client, nextRequest)
    : nextRequest === undefined
    ? await closedLoops(workload, (body) => client.request("echo", body))
    : await closedLoops(
      workload,
      (body) => client.request("echo", body, nextRequest()),
    );
  await client.close();
  return result;
}

async function runRaw(): Promise<ClientResult> {
  const raw = await loadRaw(runtime);
  let close = () => {};
  const result = await fifoPipeline(workload, async (onReply) => {
    const conn = await raw.connect(port, onReply);
    close = conn.close;
    return conn;
  });
  close();
  return result;
}

async function runGrpc(): Promise<ClientResult> {
  if (runtime !== "node") throw new Error("The gRPC peer runs on Node");
  const call = await (await import("./grpc.ts")).connect(port);
  return await closedLoops(workload, call);
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
