/**
 * Measures what waiting requests cost the caller, in a process of its own:
 * `<runtime> tests/reliability/_child_request_memory.ts <client|peer> [count]
 * [bodyKiB] [shared|distinct]` listens on 127.0.0.1 with this runtime's adapter, accepts one
 * connection and never reads from it, then sends `count` requests (default
 * 16,384) of `bodyKiB` KiB (default 64) without deadline through a `Client`
 * or a `Connection`, waits until they are all pending, and prints
 * `{"mode","count","bodyBytes","distinct","growth","heapGrowth","pending",
 * "failed"}` on one line: the growth of the resident set size (and of the
 * JavaScript heap in use) over the baseline taken after connecting, both
 * after a full garbage collection. The requests share one body (filled, so
 * its pages are resident) unless `distinct` is given (then each has its own,
 * made before the baseline: 1 GiB for the defaults); either way a copy of a
 * body would show in the growth, so it is what the requests themselves hold.
 * It exits when done, after 60 s, or when stdin ends.
 *
 * @module
 */

import process from "node:process";
import { loadAdapter } from "../../bench/_runtime.ts";
import type { Channel } from "../../src/channel/channel.ts";
import { Client } from "../../src/client/client.ts";
import { Connection } from "../../src/connection/connection.ts";
import { collectGarbage, measureGrowth, sleep } from "./_helpers.ts";

const mode = process.argv[2] ?? "client";
const count = Number(process.argv[3] ?? 16_384);
const bodyBytes = Number(process.argv[4] ?? 64) * 1024;
const distinct = process.argv[5] === "distinct";
if (mode !== "client" && mode !== "peer") {
  throw new TypeError(`mode must be client or peer, got ${mode}`);
}

const guard = setTimeout(() => process.exit(2), 60_000);
process.stdin.on("end", () => process.exit(3));
process.stdin.on("error", () => process.exit(3));
process.stdin.resume();

const adapter = await loadAdapter();
const listener = await adapter.listen("tcp://127.0.0.1:0");
const key = `tcp://127.0.0.1:${(listener.addr as { port: number }).port}`;
const held: Channel[] = [];
void (async () => {
  for await (const channel of listener) held.push(channel); // never read
})();

const shared = new Uint8Array(bodyBytes).fill(7);
const bodies = Array.from(
  { length: count },
  () => distinct ? new Uint8Array(bodyBytes).fill(7) : shared,
);
const failed: unknown[] = [];
const onError = (error: unknown) => failed.push(error);

let send: (body: Uint8Array) => Promise<unknown>;
let pending: () => number;
if (mode === "client") {
  const client = new Client({
    endpoint: key,
    dial: (target) => adapter.dial(target.toString()),
  });
  const transport = await client.pool.get(key);
  send = (body) => client.request("sink", body, { timeout: 0 });
  pending = () => transport.inFlight;
} else {
  const peer = new Connection(await adapter.dial(key));
  send = (body) => peer.request("sink", body, { timeout: 0 });
  pending = () => peer.inFlight;
}
// Warm up the request path (code, the send queue's arenas, first frames).
for (let i = 0; i < 64; i++) send(bodies[i]).catch(onError);
await sleep(100);

collectGarbage();
const heapBase = process.memoryUsage().heapUsed;
const { growth } = await measureGrowth(async () => {
  for (let i = 64; i < count; i++) send(bodies[i]).catch(onError);
  for (let i = 0; i < 200 && pending() < count; i++) await sleep(10);
  await sleep(100);
});
collectGarbage();
const heapGrowth = process.memoryUsage().heapUsed - heapBase;
process.stdout.write(
  `${
    JSON.stringify({
      mode,
      count,
      bodyBytes,
      distinct,
      growth,
      heapGrowth,
      pending: pending(),
      failed: failed.length,
    })
  }\n`,
);
clearTimeout(guard);
process.exit(0);
