/**
 * The server process killed (SIGKILL) while streams flow over TCP on
 * 127.0.0.1: a child process serves server, bidi and client streams, the
 * test reads and feeds many of each, then kills it. Every open stream ends
 * exactly once with `ConnectionClosedError`, every `for await` loop ends,
 * every source the client streamed from is closed, nothing is left in
 * flight, and nothing hangs.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ScriptChild } from "../_helpers/child.ts";
import { Client } from "../../src/client/client.ts";
import { TransportKey } from "../../src/channel/transport_key.ts";
import { Connection } from "../../src/connection/connection.ts";
import { ConnectionClosedError } from "../../src/errors.ts";
import type { ReplyStream } from "../../src/connection/reply_stream.ts";
import type { StreamOptions } from "../../src/connection/stream_options.ts";
import {
  Ledger,
  nameOf,
  sleep,
  tcpAdapter,
  until,
  within,
} from "./_helpers.ts";

const tcp = await tcpAdapter();
const CHILD = fileURLToPath(
  new URL("./_child_stream_server.ts", import.meta.url),
);
/** Streams of each shape open when the server dies. */
const PER_SHAPE = 30;
const BUDGET_MS = 90_000;

/** What the test opens streams on: a Connection, or a Client. */
interface Caller {
  serverStream(
    route: string,
    body: Uint8Array,
    options?: StreamOptions,
  ): ReplyStream<Uint8Array>;
  bidiStream(
    route: string,
    source: AsyncIterable<Uint8Array>,
    options?: StreamOptions,
  ): ReplyStream<Uint8Array>;
  clientStream(
    route: string,
    source: AsyncIterable<Uint8Array>,
    options?: StreamOptions,
  ): Promise<Uint8Array>;
  readonly inFlight: number;
  close(): Promise<void>;
}

async function killMidStream(
  open: (key: string) => Promise<Caller>,
): Promise<void> {
  const child = new ScriptChild(CHILD, ["60000"]);
  let caller: Caller | undefined;
  try {
    const { port } = await within(
      30_000,
      "the child listens",
      child.nextJson<{ port: number }>(),
    );
    caller = await open(`tcp://127.0.0.1:${port}`);
    const ledger = new Ledger();
    /** Messages each stream delivered (read, or sent for a client stream). */
    const seen: number[] = [];
    const loopsEnded: boolean[] = [];
    const sources = { open: 0 };
    /** An endless source: a message every millisecond, counted as sent. */
    const endless = (id: number) =>
      (async function* () {
        sources.open++;
        try {
          for (let i = 0;; i++) {
            await sleep(1);
            seen[id]++;
            yield new Uint8Array([i & 0xff]);
          }
        } finally {
          sources.open--;
        }
      })();
    const read = async (id: number, replies: ReplyStream<Uint8Array>) => {
      try {
        for await (const _ of replies) seen[id]++;
        ledger.settle(id, "ok");
      } catch (error) {
        ledger.settleWith(id, error);
      }
      loopsEnded[id] = true;
    };
    const all: Promise<void>[] = [];
    for (let i = 0; i < PER_SHAPE; i++) {
      for (const shape of ["tail", "chat", "sink"] as const) {
        const id = ledger.open();
        seen[id] = 0;
        loopsEnded[id] = false;
        if (shape === "tail") {
          all.push(read(id, caller.serverStream("tail", new Uint8Array(0))));
        } else if (shape === "chat") {
          all.push(read(id, caller.bidiStream("chat", endless(id))));
        } else {
          all.push(
            caller.clientStream("sink", endless(id)).then(
              () => ledger.settle(id, "ok"),
              (error) => ledger.settleWith(id, error),
            ).finally(() => loopsEnded[id] = true),
          );
        }
      }
    }
    // Every stream flows: replies read, and each client stream sent more
    // than one window (the server read and credited it back).
    await within(
      30_000,
      "every stream flows",
      until(() => seen.every((n) => n >= 40), 30_000, "40 messages each"),
    );
    assert.equal(ledger.settled, 0, JSON.stringify(ledger.summary()));
    child.stop(true);
    await within(
      20_000,
      "every stream ends once the server is killed",
      Promise.all(all),
    );
    ledger.assertExactlyOnce([ConnectionClosedError.name]);
    assert.equal(ledger.size, 3 * PER_SHAPE);
    assert.ok(loopsEnded.every(Boolean), "a for-await loop did not end");
    await until(() => sources.open === 0, 5_000).catch(() => {});
    assert.equal(sources.open, 0, "sources left open");
    assert.equal(caller.inFlight, 0, "inFlight");
    // Another read of an ended stream ends the same way (still once).
    const late = caller.serverStream("tail", new Uint8Array(0));
    const lateEnd = await within(
      10_000,
      "a stream opened after the kill ends",
      (async () => {
        try {
          for await (const _ of late) return "value";
          return "ok";
        } catch (error) {
          return nameOf(error);
        }
      })(),
    );
    assert.notEqual(lateEnd, "value");
    assert.notEqual(lateEnd, "ok");
  } finally {
    child.stop(true);
    await child.exited;
    await caller?.close();
  }
}

describe("Server process killed mid-stream (SIGKILL), over TCP", () => {
  it(
    `${PER_SHAPE} server, ${PER_SHAPE} bidi and ${PER_SHAPE} client streams on one Connection: each ends with ConnectionClosedError exactly once, every loop ends`,
    { timeout: BUDGET_MS },
    () =>
      killMidStream(async (key) =>
        new Connection(await tcp.dial(TransportKey.from(key), {}))
      ),
  );
  it(
    `the same on a Client (which would reconnect): each stream ends with ConnectionClosedError exactly once`,
    { timeout: BUDGET_MS },
    () =>
      killMidStream(async (key) => {
        const client = new Client({
          endpoint: key,
          dial: tcp.dial,
          reconnect: { initialDelay: 20, maxDelay: 100 },
        });
        const transport = await client.pool.get(key);
        return {
          serverStream: (route, body, options) =>
            client.serverStream(route, body, options),
          bidiStream: (route, source, options) =>
            client.bidiStream(route, source, options),
          clientStream: (route, source, options) =>
            client.clientStream(route, source, options),
          get inFlight() {
            return transport.inFlight;
          },
          close: () => client.close(),
        } as Caller;
      }),
  );
});
