/**
 * A peer that opens a server stream and never reads, over TCP on 127.0.0.1:
 * a raw socket writes the request by hand (kind 1, flags 0x08, then after
 * the route the shape byte 1 and the u32 credit it grants) and then reads
 * nothing and grants nothing more. The server's producer (an endless
 * `async function*` of fresh 64 KiB messages, in a child process) is pulled
 * no further than the credit allows, or than the connection's send queue
 * takes when the credit is huge; the server's resident set stays under the
 * stated bound; other connections keep working meanwhile, and once the
 * peer goes, its stream's handler ends.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Channel } from "../../src/channel/channel.ts";
import { TransportKey } from "../../src/channel/transport_key.ts";
import { Connection } from "../../src/connection/connection.ts";
import { DEFAULT_MAX_QUEUE_BYTES } from "../../src/queue/send_queue_options.ts";
import {
  KiB,
  MiB,
  mib,
  sleep,
  tcpAdapter,
  within,
  writeRaw,
} from "./_helpers.ts";
import { type ChildStats, startStreamChild } from "./_stream_child.ts";
import { readStream, streamRequestFrame } from "./_streams.ts";

const tcp = await tcpAdapter();
const BUDGET_MS = 120_000;
const MESSAGE = 64 * KiB;
/** Messages the small peer's credit allows: it never grants more. */
const CREDIT = 16;
/**
 * The credit it grants for them on the wire, in payload bytes: 16 × 64 KiB
 * let 16 messages of 64 KiB + 7 header bytes go (a message goes while any
 * credit is left: the 16th overdraws it).
 */
const CREDIT_ON_WIRE = CREDIT * MESSAGE;
/**
 * What the huge-credit stream may be pulled for: the send queue's bound
 * (8 MiB) plus what the sockets' kernel buffers on both sides and the
 * adapters take before the writes wait (a few MiB on loopback; 32 MiB is
 * far above what was seen), in 64 KiB messages.
 */
const HUGE_PULL_BOUND = (DEFAULT_MAX_QUEUE_BYTES + 32 * MiB) / MESSAGE;
/**
 * What the server may grow by while both peers read nothing: the small
 * peer's 17 messages (1.1 MiB), the send queue of the huge-credit peer's
 * connection (8 MiB at most, plus one message over), and slack for the
 * allocator and the runtime (the 64 KiB chunks the other connections
 * stream meanwhile are garbage, collected before measuring, but the
 * allocator may keep some of their pages). Without flow control the
 * producers would be pulled without end: gigabytes in these seconds.
 */
const SERVER_BOUND = 48 * MiB;

async function openRaw(key: string, id: number, credit: number) {
  const channel: Channel = await tcp.dial(TransportKey.from(key), {});
  assert.ok(
    await writeRaw(channel, streamRequestFrame(id, "flood", "server", credit)),
    "the request was written",
  );
  return channel; // never read
}

/** Waits until `pulled[tag]` stays the same for `quietMs`; returns the stats. */
async function settledPull(
  stats: () => Promise<ChildStats>,
  tags: string[],
  quietMs = 500,
): Promise<ChildStats> {
  let last = await stats();
  for (let i = 0; i < 60; i++) {
    await sleep(quietMs);
    const now = await stats();
    if (
      tags.every((tag) =>
        now.pulled[tag] !== undefined && now.pulled[tag] > 0 &&
        now.pulled[tag] === last.pulled[tag]
      )
    ) return now;
    last = now;
  }
  throw new Error(`pulls never settled: ${JSON.stringify(last.pulled)}`);
}

describe("A peer that opens a stream and never reads (raw TCP, hand-written frames)", () => {
  it(
    `the producer waits at the credit (${CREDIT}) or at the send queue (credit 2^32-1), the server grows < ${
      mib(SERVER_BOUND)
    }, other connections keep working`,
    { timeout: BUDGET_MS },
    async () => {
      const server = await startStreamChild();
      const raws: Channel[] = [];
      try {
        // Warm up: the stream paths and 64 KiB messages through a
        // connection of its own, then the baseline.
        const warm = new Connection(
          await tcp.dial(TransportKey.from(server.key), {}),
        );
        const warmed = await readStream(
          warm.serverStream("flood", new Uint8Array(0), {
            metadata: { tag: "warm" },
          }),
          300,
        );
        assert.equal(warmed.values.length, 300);
        await warm.close();
        await sleep(100);
        const base = await server.stats();

        raws.push(await openRaw(server.key, 101, CREDIT_ON_WIRE));
        raws.push(await openRaw(server.key, 102, 0xffff_ffff));
        const stalled = await within(
          60_000,
          "both producers stop being pulled",
          settledPull(server.stats, ["id101", "id102"]),
        );
        // The small credit: its messages, and one more pulled that waits.
        assert.ok(
          stalled.pulled.id101 >= CREDIT &&
            stalled.pulled.id101 <= CREDIT + 1,
          `pulled ${stalled.pulled.id101} for a credit of ${CREDIT}`,
        );
        // The huge credit: the connection's send queue holds it back.
        assert.ok(
          stalled.pulled.id102 <= HUGE_PULL_BOUND,
          `pulled ${stalled.pulled.id102} (> ${HUGE_PULL_BOUND})`,
        );
        const growth = stalled.rss - base.rss;
        assert.ok(
          growth < SERVER_BOUND,
          `the server grew by ${mib(growth)} (bound ${mib(SERVER_BOUND)})`,
        );

        // Other connections keep working: a new one streams 500 messages
        // (31 MiB) through, and the control connection chats.
        const other = new Connection(
          await tcp.dial(TransportKey.from(server.key), {}),
        );
        const flowed = await within(
          60_000,
          "another connection streams while the peer reads nothing",
          readStream(
            other.serverStream("flood", new Uint8Array(0), {
              metadata: { tag: "other" },
            }),
            500,
          ),
        );
        assert.equal(flowed.values.length, 500);
        assert.ok(
          flowed.values.every((v, i) =>
            (v as Uint8Array).byteLength === MESSAGE &&
            (v as Uint8Array)[0] === (i & 0xff)
          ),
        );
        await other.close();
        const lines = Array.from(
          { length: 100 },
          (_, i) => new Uint8Array([i]),
        );
        const echoed = await within(
          30_000,
          "a bidi round trip on the control connection",
          readStream(server.control.bidiStream("chat", lines)),
        );
        assert.equal(echoed.outcome, "ok");
        assert.deepEqual(
          echoed.values.map((v) => (v as Uint8Array)[0]),
          lines.map((l) => l[0]),
        );

        // Still held back after all that, and memory still bounded.
        const after = await server.stats();
        assert.equal(after.pulled.id101, stalled.pulled.id101);
        assert.equal(after.pulled.id102, stalled.pulled.id102);
        const growthAfter = after.rss - base.rss;
        assert.ok(
          growthAfter < SERVER_BOUND,
          `the server grew by ${mib(growthAfter)} (bound ${mib(SERVER_BOUND)})`,
        );

        // The peers go: their streams' handlers end (only `stats` itself
        // is being handled then).
        for (const raw of raws.splice(0)) await raw.close();
        let last = after;
        for (let i = 0; i < 100; i++) {
          last = await server.stats();
          if (last.handling === 1 && last.connections === 1) break;
          await sleep(50);
        }
        assert.equal(last.handling, 1, "handlers left running");
        assert.equal(last.connections, 1, "connections left open");
        console.log(
          `never-read peer: pulled ${stalled.pulled.id101} (credit ${CREDIT}), ${stalled.pulled.id102} (credit 2^32-1); server RSS growth ${
            mib(growth)
          } stalled, ${mib(growthAfter)} after other traffic`,
        );
      } finally {
        for (const raw of raws) {
          try {
            await raw.close();
          } catch {
            // closed already
          }
        }
        await server.stop();
      }
    },
  );
});
