/**
 * One client of the stream benchmark, in a process of its own, against the
 * server on `--port`. Prints one JSON line and exits.
 *
 * `--mode flood` (every peer): one stream of `--payload`-byte messages,
 * server → client, read for `--warmup` then counted for `--seconds`, then
 * cancelled. Prints `{"messages", "bytes", "seconds", "allBytes", "cpuMs",
 * "rssMiB"}` (`allBytes`: warm-up included, read in `cpuMs` of CPU time).
 * - listenrain: `for await` over `connection.serverStream("flood", …)`,
 *   leaving the loop at the end (that cancels the stream on both sides);
 * - raw: the runtime's socket (_raw.ts); grpc: grpc-js (Node only).
 *
 * `--mode many` (listenrain): `--streams` concurrent server streams of
 * `--per-stream` messages of `--payload` bytes each on one connection, then
 * the same number of messages as request/reply (`request("echo", body)`,
 * `--streams` closed loops, one reply counted per request); a warm-up round
 * of each at a fifth of the count first. Prints `{"messages",
 * "streamSeconds", "requestSeconds", "rssMiB"}`.
 *
 * Every message is checked (_payload.ts).
 *
 * @module
 */

import process from "node:process";
import { Connection } from "../../src/connection/connection.ts";
import { detectRuntime, loadAdapter } from "../../adapters/runtime.ts";
import { args, cpuMs, flag, rssMiB, sizes } from "../_process.ts";
import { deadline, die, emit } from "../compare/_control.ts";
import { check, encodeRequest, payload } from "./_payload.ts";
import { loadRaw } from "./_raw.ts";
import type { router } from "./_routes.ts";

const argv = args();
const peer = flag(argv, "peer", "listenrain");
const mode = flag(argv, "mode", "flood");
const port = Number(flag(argv, "port", "0"));
const size = sizes(flag(argv, "payload", "64k"))[0];
const seconds = Number(flag(argv, "seconds", "3"));
const warmup = Number(flag(argv, "warmup", "0.5"));
const streams = Number(flag(argv, "streams", "1000"));
const perStream = Number(flag(argv, "per-stream", "100"));
const runtime = detectRuntime();
deadline(Number(flag(argv, "max-seconds", "600")));

/**
 * A one-way reading: messages counted after the warm-up, for `seconds`;
 * and every byte read with the CPU time this process took for them (from
 * before connecting, to the end).
 */
class Meter {
  #cpu = cpuMs();
  #start = performance.now();
  #from = -1;
  #counted = 0;
  #all = 0;
  #end = 0;

  /** Counts one message; false once the window is over. */
  message(): boolean {
    this.#all++;
    if (this.#from >= 0) {
      this.#counted++;
      const now = performance.now();
      if (now - this.#from < seconds * 1000) return true;
      this.#end = now;
      return false;
    }
    if (performance.now() - this.#start >= warmup * 1000) {
      this.#from = performance.now();
    }
    return true;
  }

  result(): Record<string, number> {
    const elapsed = (this.#end - this.#from) / 1000;
    return {
      messages: this.#counted,
      bytes: this.#counted * size,
      seconds: elapsed,
      allBytes: this.#all * size,
      cpuMs: cpuMs() - this.#cpu,
      rssMiB: rssMiB(),
    };
  }
}

async function dial(): Promise<Connection<typeof router>> {
  const adapter = await loadAdapter(runtime);
  return new Connection<typeof router>(
    await adapter.dial(`tcp://127.0.0.1:${port}`),
  );
}

async function floodListenrain(): Promise<Record<string, number>> {
  const meter = new Meter();
  const client = await dial();
  for await (
    const message of client.serverStream("flood", encodeRequest(0, size))
  ) {
    check(message, size);
    if (!meter.message()) break;
  }
  await client.close();
  return meter.result();
}

/** A peer whose reader calls back per message (raw, grpc). */
async function floodCallback(
  readFlood: (
    port: number,
    request: Uint8Array,
    onMessage: (message: Uint8Array) => void,
  ) => Promise<{ close(): void; ended: Promise<void> }>,
): Promise<Record<string, number>> {
  const meter = new Meter();
  let failed: unknown;
  let done = false;
  const reader = await readFlood(port, encodeRequest(0, size), (message) => {
    if (done) return;
    try {
      check(message, size);
    } catch (error) {
      failed = error;
      done = true;
    }
    if (!done && !meter.message()) done = true;
    if (done) reader.close();
  });
  await reader.ended;
  if (failed !== undefined) throw failed;
  if (!done) throw new Error("The stream ended before the window did");
  return meter.result();
}

/** `streams` concurrent streams of `count` messages; seconds taken. */
async function streamRound(
  client: Connection<typeof router>,
  count: number,
): Promise<number> {
  const request = encodeRequest(count, size);
  const start = performance.now();
  await Promise.all(Array.from({ length: streams }, async () => {
    let got = 0;
    for await (const message of client.serverStream("flood", request)) {
      check(message, size);
      got++;
    }
    if (got !== count) throw new Error(`${got} messages, not ${count}`);
  }));
  return (performance.now() - start) / 1000;
}

/** `total` requests in `streams` closed loops; seconds taken. */
async function requestRound(
  client: Connection<typeof router>,
  total: number,
): Promise<number> {
  const body = payload(size);
  let left = total;
  const start = performance.now();
  await Promise.all(Array.from({ length: streams }, async () => {
    while (left > 0) {
      left--;
      check(await client.request("echo", body), size);
    }
  }));
  return (performance.now() - start) / 1000;
}

async function many(): Promise<Record<string, number>> {
  if (peer !== "listenrain") throw new Error("--mode many is listenrain's");
  const client = await dial();
  const warm = Math.max(1, Math.ceil(perStream / 5));
  await streamRound(client, warm);
  await requestRound(client, warm * streams);
  const streamSeconds = await streamRound(client, perStream);
  const requestSeconds = await requestRound(client, perStream * streams);
  await client.close();
  return {
    messages: perStream * streams,
    streamSeconds,
    requestSeconds,
    rssMiB: rssMiB(),
  };
}

async function flood(): Promise<Record<string, number>> {
  switch (peer) {
    case "listenrain":
      return await floodListenrain();
    case "raw":
      return await floodCallback((await loadRaw(runtime)).readFlood);
    case "grpc":
      if (runtime !== "node") throw new Error("The gRPC peer runs on Node");
      return await floodCallback((await import("./grpc.ts")).readFlood);
  }
  throw new Error(`Unknown peer "${peer}" (listenrain, raw or grpc)`);
}

try {
  emit(mode === "many" ? await many() : await flood());
  process.exit(0);
} catch (error) {
  die(error);
}
