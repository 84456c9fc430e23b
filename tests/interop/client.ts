/**
 * The interop client: connects to `--port` on 127.0.0.1 with the runtime's
 * own adapter and sends requests with the default protocol, many at once:
 * every size of `SIZES` (0 B to 4 MiB) to "echo" and to "checksum", `--rounds`
 * times, plus `--small` small echoes and `--metadata` requests to "metadata"
 * with three metadata entries (text and bytes) each, `--concurrency` in
 * flight. Every reply is checked byte for byte against the deterministic
 * payload, and the reply's metadata (read with `withMetadata: true`) against
 * the entries sent. Prints one JSON
 * line (`{"ok":true,"requests":N,…}`) and exits 0, or prints
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

const argv = process.argv.slice(2);
const port = Number(option(argv, "port", "0"));
const rounds = Number(option(argv, "rounds", "4"));
const small = Number(option(argv, "small", "2000"));
const withMetadata = Number(option(argv, "metadata", "500"));
const concurrency = Number(option(argv, "concurrency", "64"));
const timeLimit = Number(option(argv, "time-limit", "30"));
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

try {
  if (!(port > 0 && port < 65536)) throw new RangeError(`Bad --port ${port}`);
  const adapter = await loadAdapter(runtime);
  const peer = new Connection(
    await adapter.dial(`tcp://127.0.0.1:${port}`),
  );
  const started = performance.now();
  const requests = await run(peer);
  const ms = Math.round(performance.now() - started);
  await peer.close();
  clearTimeout(limit);
  console.log(JSON.stringify({ ok: true, runtime, requests, ms }));
  process.exit(0);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.log(JSON.stringify({ ok: false, runtime, error: message }));
  console.error(`interop client (${runtime}):`, error);
  process.exit(1);
}
