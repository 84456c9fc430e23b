/**
 * MessagePack bodies (through msgpackr): types JSON cannot carry travel as
 * they are: `Date` (MessagePack's timestamp), binary (`Uint8Array`, not
 * base64) and, with `createMsgpackBody({ int64AsType: "bigint" })`, 64-bit
 * integers as `bigint`. `msgpackBody` is the same codec with msgpackr's
 * defaults. Records (msgpackr's own extension) are off, so any MessagePack
 * implementation reads the bodies.
 *
 * Needs `msgpackr` (a devDependency here; `npm install msgpackr` in your
 * project).
 *
 * Run (any runtime; the adapter is picked for it):
 *
 * ```sh
 * node --import tsx examples/msgpack.ts     # or: deno run -A examples/msgpack.ts, bun examples/msgpack.ts
 * ```
 *
 * @module
 */

import { loadAdapter } from "../adapters/runtime.ts";
import { createMsgpackBody } from "../codecs/msgpack.ts";
import { Client, Router, Server } from "../mod.ts";
import { isMain } from "./_main.ts";

/** A reading a sensor uploads. */
export interface Reading {
  /** The sensor. */
  sensor: string;
  /** When it was taken. */
  at: Date;
  /** Raw samples, as bytes. */
  samples: Uint8Array;
  /** A 64-bit counter. */
  sequence: bigint;
  /** Labels. */
  labels: Record<string, string>;
}

/** What the server answers. */
export interface Receipt {
  /** The reading's sensor. */
  sensor: string;
  /** When the server stored it. */
  storedAt: Date;
  /** The samples' sum. */
  sum: number;
  /** The next sequence number it expects. */
  next: bigint;
  /** How many labels came. */
  labels: number;
}

/**
 * Uploads a reading to a server over loopback TCP with MessagePack bodies.
 *
 * @param log Where the lines go.
 * @returns The receipt, and the body's size as MessagePack.
 */
export async function main(
  log: (line: string) => void = console.log,
): Promise<{ receipt: Receipt; bytes: number }> {
  const adapter = await loadAdapter(); // listenrain/adapters/{deno,bun,node}
  // 64-bit integers decode as bigint; maps decode as plain objects.
  const msgpackBody = createMsgpackBody({ int64AsType: "bigint" });
  const router = new Router().handle("upload", (reading: Reading): Receipt => ({
    sensor: reading.sensor,
    storedAt: new Date(reading.at.getTime() + 1),
    sum: reading.samples.reduce((sum, sample) => sum + sample, 0),
    next: reading.sequence + 1n,
    labels: Object.keys(reading.labels).length,
  }));
  const server = new Server({ router, body: msgpackBody });
  server.serve(await adapter.listen("tcp://127.0.0.1:0"));

  const client = new Client({
    endpoint: `tcp://127.0.0.1:${server.addrs[0].port}`,
    dial: (key) => adapter.dial(key.toString()),
    body: msgpackBody,
  });
  const reading: Reading = {
    sensor: "roof-1",
    at: new Date("2024-06-01T12:00:00Z"),
    samples: new Uint8Array([3, 1, 4, 1, 5, 9, 2, 6]),
    sequence: 2n ** 53n + 7n, // past Number.MAX_SAFE_INTEGER: stays exact
    labels: { site: "north", unit: "mm" },
  };
  const bytes = msgpackBody.encode(reading).byteLength;
  const receipt: Receipt = await client.request("upload", reading);
  log(
    `upload: ${receipt.sensor} stored at ${receipt.storedAt.toISOString()}, ` +
      `sum ${receipt.sum}, next ${receipt.next}, ${receipt.labels} labels ` +
      `(${bytes} bytes of MessagePack)`,
  );
  await client.close();
  await server.close();
  return { receipt, bytes };
}

if (isMain(import.meta)) await main();
