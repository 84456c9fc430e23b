/**
 * A client process of the connections benchmark. Prints `{"ready": true}`,
 * then on stdin:
 *
 * - `go`: opens `--connections` connections to 127.0.0.1:`--port`, at most
 *   `--window` of them connecting or echoing at a time, and on each sends
 *   one request of `--payload` bytes and checks its reply; prints `{"ms",
 *   "connected", "echoed", "failed"}` once all are done. (The window keeps
 *   the server's accept queue, at most `somaxconn`, from overflowing: an
 *   overflow costs a 1 s SYN retransmission and measures the kernel.)
 * - `open`: opens the next `--step` connections at once and leaves them
 *   idle (`--payload 0`); prints `{"connected", "failed"}`.
 *
 * `--mode listenrain`: a Connection per connection, `request("echo", body)`;
 * `--mode raw`: the runtime's raw socket, one frame each way. A connection
 * that fails is counted, not fatal. Connections stay open until the process
 * exits: on `exit`, when stdin ends, or after `--max-seconds`.
 *
 * @module
 */

import process from "node:process";
import { Connection } from "../../src/connection/connection.ts";
import { args, flag } from "../_process.ts";
import { detectRuntime, loadAdapter } from "../../adapters/runtime.ts";
import { commands, deadline, die, emit } from "../compare/_control.ts";
import { loadRaw } from "../compare/_raw.ts";
import { Bodies } from "../compare/_workload.ts";

const argv = args();
const mode = flag(argv, "mode", "listenrain");
const port = Number(flag(argv, "port", "0"));
const connections = Number(flag(argv, "connections", "5000"));
const payload = Number(flag(argv, "payload", "1024"));
const window = Number(flag(argv, "window", "1000"));
const step = Number(flag(argv, "step", "1000"));
const runtime = detectRuntime();
deadline(Number(flag(argv, "max-seconds", "600")));

/** Held open until the process exits. */
const held: { close(): void }[] = [];

async function listenrainOne(
  adapter: Awaited<ReturnType<typeof loadAdapter>>,
  bodies: Bodies | undefined,
  slot: number,
): Promise<void> {
  const peer = new Connection(
    await adapter.dial(`tcp://127.0.0.1:${port}`),
  );
  held.push({ close: () => void peer.close() });
  if (bodies) bodies.check(slot, await peer.request("echo", bodies.next(slot)));
}

async function rawOne(
  raw: Awaited<ReturnType<typeof loadRaw>>,
  bodies: Bodies | undefined,
  slot: number,
): Promise<void> {
  let replied!: (payload: Uint8Array) => void;
  const reply = new Promise<Uint8Array>((resolve) => replied = resolve);
  const conn = await raw.connect(port, (bytes) => replied(bytes.slice()));
  held.push(conn);
  if (!bodies) return;
  conn.send(bodies.next(slot));
  bodies.check(slot, await reply);
}

async function run(): Promise<void> {
  const bodies = payload > 0 ? new Bodies(payload, connections) : undefined;
  let one: (slot: number) => Promise<void>;
  if (mode === "listenrain") {
    const adapter = await loadAdapter(runtime);
    one = (slot) => listenrainOne(adapter, bodies, slot);
  } else if (mode === "raw") {
    const raw = await loadRaw(runtime);
    one = (slot) => rawOne(raw, bodies, slot);
  } else throw new Error(`Unknown mode "${mode}" (listenrain or raw)`);
  let failed = 0;
  let firstError: string | undefined;
  const attempt = (slot: number) =>
    one(slot).catch((error) => {
      failed++;
      firstError ??= error instanceof Error ? error.message : `${error}`;
    });
  let next = 0;
  let started = false;
  commands({
    // Every connection, at most `window` of them connecting or echoing at a
    // time; reports when all are done.
    go: () => {
      if (started) return;
      started = true;
      const t0 = performance.now();
      const worker = async () => {
        while (next < connections) await attempt(next++);
      };
      const workers = Array.from(
        { length: Math.min(window, connections) },
        worker,
      );
      Promise.all(workers).then(() => {
        emit({
          ms: performance.now() - t0,
          connected: held.length,
          echoed: bodies ? connections - failed : 0,
          failed,
          firstError,
        });
      });
    },
    // The next `step` connections, all at once; reports when they are open.
    open: () => {
      const end = Math.min(connections, next + step);
      const batch: Promise<void>[] = [];
      while (next < end) batch.push(attempt(next++));
      Promise.all(batch).then(() => {
        emit({ connected: held.length, failed, firstError });
      });
    },
    exit: () => process.exit(0),
  });
  emit({ ready: true });
}

run().catch(die);
