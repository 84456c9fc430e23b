/**
 * What one hostile connection costs a server with default settings, measured
 * in a server process of its own (`_hostile_server.ts`) over TCP on
 * 127.0.0.1 (issue 12, points 1 and 2):
 * - a client that sends tiny requests to a fast async route and never reads
 *   the replies: reading pauses, requests wait unread, and no flood of
 *   `OVERLOADED` error replies is made;
 * - a client that sends tiny requests without deadline to a route that
 *   never answers: the handling bound counts what each request holds, so it
 *   bounds memory.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { detectRuntime } from "../../bench/_runtime.ts";
import type { Channel } from "../../src/channel/channel.ts";
import { TransportKey } from "../../src/channel/transport_key.ts";
import {
  DEFAULT_MAX_HANDLING_BYTES,
  HANDLING_CHARGE,
} from "../../src/transport/transport.ts";
import { ScriptChild } from "../_helpers/child.ts";
import { frameOf, MiB, mib, sleep, tcpAdapter } from "./_helpers.ts";

const tcp = await tcpAdapter();
const SERVER = fileURLToPath(new URL("./_hostile_server.ts", import.meta.url));

/**
 * What the server may hold for one such connection: its send queue (8 MiB)
 * and the requests charged against `maxHandlingBytes` (4 MiB), with room for
 * the rest of one read chunk. On Bun the same bytes cost more: a server
 * there holding 3 MiB in its send queue measured +7 MiB live where Node and
 * Deno measure about +3.5 MiB, so Bun gets 24 MiB (measured 21.2 MiB, the
 * same after three times the traffic).
 */
const BOUND = detectRuntime() === "bun" ? 24 * MiB : 16 * MiB;
/**
 * What its resident set may grow by: what it holds, plus the collector's
 * own growth while it works through a flood (V8's young generation grows to
 * tens of MiB and keeps its pages; Bun's allocator keeps freed pages too).
 * Measured +25–83 MiB; before the fix +165–184 MiB (Node, Bun).
 */
const RSS_BOUND = 128 * MiB;

interface Measure {
  rss: number;
  live: number;
  handling: number;
  handlingBytes: number;
  queuedBytes: number;
  errorRepliesSent: number;
  requestsReceived: number;
}

/** The server process: its port, and `measure()` over its stdin and stdout. */
class HostileServer {
  #child = new ScriptChild(SERVER, ["60000"]);
  port = 0;

  async start(): Promise<void> {
    this.port = (await this.#child.nextJson<{ port: number }>()).port;
  }

  measure(): Promise<Measure> {
    this.#child.send("measure");
    return this.#child.nextJson<Measure>();
  }

  stop(): void {
    this.#child.stop();
  }
}

/**
 * Starts a server process, measures it, and gives `body` the server, a raw
 * TCP connection to it and that first measure; closes both after.
 */
async function attack(
  body: (
    server: HostileServer,
    channel: Channel,
    before: Measure,
  ) => Promise<void>,
): Promise<void> {
  const server = new HostileServer();
  let channel: Channel | undefined;
  try {
    await server.start();
    const before = await server.measure();
    channel = await tcp.dial(
      TransportKey.from(`tcp://127.0.0.1:${server.port}`),
      {},
    );
    await body(server, channel, before);
  } finally {
    channel?.close();
    server.stop();
  }
}

/**
 * Asserts what the server holds for the connection: its live memory (heap
 * in use and buffers, after a full collection) grew by less than `bound`,
 * and its resident set by less than {@linkcode RSS_BOUND}.
 */
function assertBounded(before: Measure, after: Measure, bound: number): void {
  const live = after.live - before.live;
  const resident = after.rss - before.rss;
  const facts = `live +${mib(live)}, resident +${mib(resident)}; ${
    JSON.stringify(after)
  }`;
  console.log(facts);
  assert.ok(live < bound, `held more than ${mib(bound)}: ${facts}`);
  assert.ok(
    resident < RSS_BOUND,
    `resident set grew by more than ${mib(RSS_BOUND)}: ${facts}`,
  );
}

/** `count` tiny requests to `route`, ids from `firstId` on, in one buffer. */
function tinyRequests(route: string, firstId: number, count: number) {
  const frames = Array.from(
    { length: count },
    (_, i) =>
      frameOf({
        kind: "request",
        id: firstId + i,
        route,
        body: new Uint8Array([i & 0xff]),
      }),
  );
  const chunk = new Uint8Array(frames.reduce((n, f) => n + f.byteLength, 0));
  let at = 0;
  for (const frame of frames) {
    chunk.set(frame, at);
    at += frame.byteLength;
  }
  return chunk;
}

/**
 * Sends tiny requests until `limit` are sent or a write stays pending for
 * 3 s (the server stopped reading). Never reads.
 *
 * @returns How many requests were sent.
 */
async function flood(
  channel: Channel,
  route: string,
  limit: number,
): Promise<number> {
  const batch = 4096;
  const writer = channel.writable.getWriter();
  let sent = 0;
  while (sent < limit) {
    const written = writer.write(tinyRequests(route, sent + 1, batch)).then(
      () => true,
      () => true,
    );
    const stalled = await Promise.race([written, sleep(3000).then(() => false)])
      .then((done) => !done);
    if (stalled) break;
    sent += batch;
  }
  writer.releaseLock();
  return sent;
}

describe("Hostile peers cost a server with defaults bounded memory (its own process, TCP)", () => {
  it(
    "a client that never reads the replies of a fast async route: bounded memory, no flood of error replies",
    {
      timeout: 120_000,
    },
    () =>
      attack(async (server, channel, before) => {
        const sent = await flood(channel, "async", 1_500_000);
        // The handlers admitted finish and their replies wait, however long
        // the handlers take: then the server holds what it will hold.
        let after = await server.measure();
        for (let i = 0; i < 100 && after.handling > 0; i++) {
          await sleep(200);
          after = await server.measure();
        }
        assert.ok(
          sent > 100_000,
          `the server read at least a little (${sent} sent)`,
        );
        // The replies filled the server's send queue: the case is reached.
        assert.ok(
          after.queuedBytes > 4 * MiB,
          `${mib(after.queuedBytes)} of replies queued`,
        );
        assertBounded(before, after, BOUND);
        assert.equal(after.errorRepliesSent, 0, "no OVERLOADED replies made");
      }),
  );

  it(
    "350,000 tiny requests without deadline to a route that never answers: handlingBytes bounds what they hold",
    {
      timeout: 120_000,
    },
    () =>
      attack(async (server, channel, before) => {
        await flood(channel, "wait", 350_000);
        const after = await server.measure();
        // Each waiting request is charged what it holds: 4 MiB / 1 KiB.
        assert.ok(
          after.handling <= DEFAULT_MAX_HANDLING_BYTES / HANDLING_CHARGE,
          `${after.handling} requests handled at once`,
        );
        assert.ok(after.handling > 1000, `${after.handling} requests handled`);
        assertBounded(before, after, BOUND);
      }),
  );
});
