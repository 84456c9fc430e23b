/**
 * The interop client: connects to `--port` on 127.0.0.1 over TCP with the
 * runtime's own adapter, then to `--ws-port` over WebSocket
 * (`ws://127.0.0.1:M/rpc?token=secret`, dialed by the same adapter: the
 * global WebSocket on Deno and Bun, the ws package on Node 20), and over each
 * (`--transports tcp,ws`) sends requests with the default protocol, many at once:
 * every size of `SIZES` (0 B to 4 MiB) to "echo" and to "checksum", `--rounds`
 * times, plus `--small` small echoes and `--metadata` requests to "metadata"
 * with three metadata entries (text and bytes) each, `--concurrency` in
 * flight. Every reply is checked byte for byte against the deterministic
 * payload, and the reply's metadata (read with `withMetadata: true`) against
 * the entries sent. At the same time, the stream checks of _stream_checks.ts
 * on the same connection: `--streams` streams of each kind at once (server, client,
 * bidirectional) of `--stream-messages` messages or more, byte-checked (this
 * side granting `--stream-window` bytes of credit per stream, 16 KiB), and
 * three streams cancelled mid-way (one of each kind) whose handlers must
 * report `ctx.signal` aborted. Prints one JSON line
 * (`{"ok":true,"transports":{"tcp":{"requests":N,"streams":S,"messages":M,"ms":T},…}}`)
 * and exits 0, or prints
 * `{"ok":false,"error":…}` (and the stack on stderr) and exits 1. Stops by
 * itself after `--time-limit` seconds (default 30).
 *
 * @module
 */

import process from "node:process";
import { detectRuntime, loadAdapter } from "../../bench/_runtime.ts";
import { assertSameBytes } from "../_conformance/_helpers.ts";
import { Connection } from "../../src/connection/connection.ts";
import {
  assertSameMetadata,
  checksumOf,
  metadataOf,
  option,
  payloadOf,
  SIZES,
} from "./_protocol.ts";
import { runStreams } from "./_stream_checks.ts";

const argv = process.argv.slice(2);
const port = Number(option(argv, "port", "0"));
const wsPort = Number(option(argv, "ws-port", "0"));
const transports = option(argv, "transports", "tcp,ws").split(",");
const rounds = Number(option(argv, "rounds", "4"));
const small = Number(option(argv, "small", "2000"));
const withMetadata = Number(option(argv, "metadata", "500"));
const concurrency = Number(option(argv, "concurrency", "64"));
const timeLimit = Number(option(argv, "time-limit", "30"));
const streams = Number(option(argv, "streams", "3"));
const streamMessages = Number(option(argv, "stream-messages", "40"));
// The client grants 16 KiB per stream (the server its default 256 KiB): less
// than the largest message, which still goes, one at a time.
const streamWindow = Number(option(argv, "stream-window", "16384"));
const runtime = detectRuntime();

interface Job {
  route: "echo" | "checksum" | "metadata";
  size: number;
}

const jobs: Job[] = [];
for (let round = 0; round < rounds; round++) {
  for (const size of SIZES) {
    jobs.push({ route: "echo", size }, { route: "checksum", size });
  }
}
for (let i = 0; i < small; i++) {
  jobs.push({ route: "echo", size: i % 65 });
}
for (let i = 0; i < withMetadata; i++) {
  jobs.push({ route: "metadata", size: i === 0 ? 64 * 1024 : i % 65 });
}

async function run(peer: Connection): Promise<number> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      const { route, size } = jobs[index];
      const payload = payloadOf(index, size);
      if (route === "metadata") {
        const metadata = metadataOf(index);
        const reply = await peer.request(route, payload, {
          metadata,
          withMetadata: true,
        });
        const what = `metadata #${index} of ${size} B`;
        assertSameBytes(reply.body, payload, what);
        assertSameMetadata(reply.metadata, metadata, what);
        done++;
        continue;
      }
      const reply = await peer.request(route, payload);
      const expected = route === "echo" ? payload : checksumOf(payload);
      assertSameBytes(reply, expected, `${route} #${index} of ${size} B`);
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done;
}

const limit = setTimeout(() => {
  console.error(`interop client (${runtime}): time limit of ${timeLimit} s`);
  process.exit(1);
}, timeLimit * 1000);

/** The key of `transport` on the server. */
function keyOf(transport: string): string {
  const at = transport === "tcp" ? port : wsPort;
  if (!(at > 0 && at < 65536)) {
    throw new RangeError(`Bad --${transport === "tcp" ? "" : "ws-"}port ${at}`);
  }
  if (transport === "tcp") return `tcp://127.0.0.1:${at}`;
  if (transport === "ws") return `ws://127.0.0.1:${at}/rpc?token=secret`;
  throw new TypeError(`Unknown transport "${transport}" (tcp or ws)`);
}

let current = "";
try {
  const adapter = await loadAdapter(runtime);
  const results: Record<
    string,
    { requests: number; streams: number; messages: number; ms: number }
  > = {};
  let seedBase = 1 + ["deno", "bun", "node"].indexOf(runtime) * 1000;
  for (const transport of transports) {
    current = transport;
    const peer = new Connection(await adapter.dial(keyOf(transport)), {
      streamWindow,
    });
    const started = performance.now();
    // Streams and requests at once: they share the connection.
    const plan = { perKind: streams, messages: streamMessages };
    const [requests, count] = await Promise.all([
      run(peer),
      runStreams(peer, plan, seedBase),
    ]);
    seedBase += 100;
    const ms = Math.round(performance.now() - started);
    await peer.close();
    results[transport] = { requests, ...count, ms };
  }
  clearTimeout(limit);
  console.log(JSON.stringify({ ok: true, runtime, transports: results }));
  process.exit(0);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.log(
    JSON.stringify({ ok: false, runtime, transport: current, error: message }),
  );
  console.error(`interop client (${runtime}, ${current}):`, error);
  process.exit(1);
}
