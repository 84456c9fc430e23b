/**
 * A frame trickled one byte per write over TCP: a raw client announces a
 * 16 MiB frame and sends its payload one byte at a time, so the server reads
 * it in tens of thousands of tiny chunks. The server (a child process, so its
 * resident set is its own) must hold about what it received, not an array
 * per read (each piece used to be kept until the frame completed: 250–400
 * bytes of RSS per byte here, ~1 KB in the first report), and must keep
 * serving another client meanwhile.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { setImmediate } from "node:timers";
import { fileURLToPath } from "node:url";
import type { Channel } from "../../src/channel/channel.ts";
import { Client } from "../../src/client/client.ts";
import { TransportKey } from "../../src/channel/transport_key.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { ScriptChild } from "../_helpers/child.ts";
import { MiB, mib, sleep, tcpAdapter, within } from "./_helpers.ts";

const tcp = await tcpAdapter();
const CHILD = fileURLToPath(new URL("./_trickle_server.ts", import.meta.url));

/** Payload bytes trickled, one per write. */
const BYTES = Number(process.env.TRICKLE_BYTES ?? 80_000);
/** Bytes trickled first, on another connection, before the baseline. */
const WARM_UP = Number(process.env.TRICKLE_WARM_UP ?? 20_000);
/** The trickle's own budget: it stops early, with what it sent, when spent. */
const TRICKLE_MS = 10_000;
/**
 * What the server may grow besides twice the bytes received: the runtime's
 * own noise over a run (heap pages, compiled code, a connection).
 */
const SLACK = 8 * MiB;
/**
 * The same for the engine's own count of its heap and array buffers, a
 * quieter figure than the resident set (each piece kept used to add ~200
 * bytes to it).
 */
const HEAP_SLACK = 2 * MiB;

/** Starts the child server; resolves once it listens (rejects if it cannot). */
async function startChild(): Promise<{ child: ScriptChild; port: number }> {
  const child = new ScriptChild(CHILD, ["60000"]);
  try {
    return { child, port: (await child.nextJson<{ port: number }>()).port };
  } catch (error) {
    child.stop(true);
    throw error;
  }
}

const yieldOnce = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Announces a 16 MiB frame on a new raw connection. */
async function announce(key: string): Promise<Channel> {
  const raw = await tcp.dial(TransportKey.from(key), {});
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, 16 * MiB);
  await raw.io!.write(header);
  return raw;
}

/** Paces one trickle: the time between two writes, widened while the server coalesces them. */
class Pace {
  gap = 0.08;
  #sent = 0;
  #reads = -1;

  /** Widens the gap if fewer than half the writes since last time were reads of their own. */
  check(sent: number, reads: number): void {
    if (this.#reads >= 0 && reads - this.#reads < 0.5 * (sent - this.#sent)) {
      this.gap = Math.min(this.gap * 1.5, 0.5);
    }
    this.#sent = sent;
    this.#reads = reads;
  }
}

/**
 * Writes up to `count` payload bytes on `raw`, one per write, `pace.gap`
 * ms apart (so that the server reads most of them one by one), until
 * `deadline`. After each 5,000 it calls `checkpoint`, which resolves to the
 * server's read count, to adjust the pace. Resolves to how many it wrote.
 */
async function trickle(
  raw: Channel,
  count: number,
  deadline: number,
  pace: Pace,
  checkpoint: (sent: number) => Promise<number>,
): Promise<number> {
  const io = raw.io!;
  let sent = 0;
  let next = performance.now();
  while (sent < count && Date.now() < deadline) {
    await io.write(new Uint8Array([sent & 0xff]));
    sent++;
    if (sent % 5_000 === 0) {
      pace.check(sent, await checkpoint(sent));
      next = performance.now();
    }
    next += pace.gap;
    do await yieldOnce(); while (performance.now() < next);
  }
  return sent;
}

describe("a trickled frame", () => {
  it(
    "a server sent a 16 MiB frame one byte per write holds < 2× the bytes received (+ 8 MiB RSS, + 2 MiB heap), and serves another client meanwhile",
    {
      timeout: 60_000,
    },
    async () => {
      const server = await within(
        20_000,
        "the child server starts",
        startChild(),
      );
      const key = `tcp://127.0.0.1:${server.port}`;
      const client = new Client({
        endpoint: key,
        dial: tcp.dial,
        body: jsonBody,
        timeout: 10_000,
      });
      const memory = () =>
        client.request("memory", null) as Promise<
          { rss: number; heap: number; reads: number }
        >;
      const readCount = () => client.request("reads", null) as Promise<number>;
      let raw: Channel | undefined;
      try {
        assert.deepEqual(await client.request("echo", { n: 0 }), { n: 0 });
        // Warm up: a first frame trickled, then dropped with its connection,
        // so that the baseline already counts the heap the reads churn
        // through (young generation pages a GC keeps).
        const warm = await announce(key);
        const pace = new Pace();
        await trickle(
          warm,
          WARM_UP,
          Date.now() + TRICKLE_MS / 5,
          pace,
          readCount,
        );
        warm.close();
        await sleep(100);
        await memory();
        const base = await memory();
        raw = await announce(key);

        let served = 0;
        const sent = await trickle(
          raw,
          BYTES,
          Date.now() + TRICKLE_MS,
          pace,
          async (sent) => {
            // The other client is served while the frame trickles in.
            const echo = client.request("echo", { sent });
            assert.deepEqual(await within(5_000, "an echo", echo), { sent });
            served++;
            return readCount();
          },
        );
        await sleep(300); // the last bytes reach the server
        const after = await memory();
        const growth = after.rss - base.rss;
        const heap = after.heap - base.heap;
        const reads = after.reads - base.reads;
        const summary = `${sent} bytes trickled in ${reads} reads, ${served} ` +
          `echoes served meanwhile; server grew ${mib(growth)} ` +
          `(${(growth / sent).toFixed(0)} bytes per byte), its heap ` +
          `${mib(heap)}`;
        console.log(summary);
        assert.ok(sent >= 20_000, `too few bytes trickled in time: ${summary}`);
        // Without tiny reads the test would show nothing.
        assert.ok(reads >= sent / 4, `the bytes came in few reads: ${summary}`);
        assert.ok(growth < 2 * sent + SLACK, summary);
        assert.ok(heap < 2 * sent + HEAP_SLACK, summary);
      } finally {
        raw?.close();
        await client.close();
        server.child.stop();
        await within(10_000, "the child exits", server.child.exited).catch(
          () => server.child.stop(true),
        );
      }
    },
  );
});
