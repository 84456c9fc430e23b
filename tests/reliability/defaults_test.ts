/**
 * A server started with defaults survives the floods of issue 12 point 7:
 * silent sockets are closed after the default first-frame timeout, and a
 * connection flood past the process's descriptor limit (a child process
 * under `ulimit -n 256`) neither ends the process nor its listener; a
 * well-behaved client is served meanwhile or right after.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadAdapter } from "../../bench/_runtime.ts";
import { MemoryNetwork } from "../../src/channel/memory_network.ts";
import { Server } from "../../src/server/server.ts";
import { DEFAULT_FIRST_FRAME_TIMEOUT } from "../../src/server/server_options.ts";
import { TimerHeap } from "../../src/timer/timer_heap.ts";
import { Connection } from "../../src/connection/connection.ts";
import { Router } from "../../src/transport/router.ts";
import { ScriptChild } from "../_helpers/child.ts";
import { sleep, until, within } from "./_helpers.ts";

const FLOOD_SERVER = fileURLToPath(
  new URL("./_flood_server.ts", import.meta.url),
);
const CA = readFileSync(
  new URL("../_fixtures/ca.pem", import.meta.url),
  "utf8",
);
const FD_LIMIT = 256;
const FLOOD = 400;

interface Child {
  child: ScriptChild;
  port: number;
  alive(): boolean;
}

/** Starts the flood server under a low descriptor limit. */
async function startChild(args: string[]): Promise<Child> {
  const child = new ScriptChild(
    FLOOD_SERVER,
    args,
    `ulimit -n ${FD_LIMIT};`,
  );
  let exited = false;
  void child.exited.then(() => exited = true);
  try {
    const { port } = await child.nextJson<{ port: number }>();
    return { child, port, alive: () => !exited };
  } catch (error) {
    child.stop(true);
    throw error;
  }
}

/** Opens `n` silent TCP connections (errors and closes are counted). */
async function flood(port: number, n: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => {});
    sockets.push(socket);
    if (i % 50 === 49) await sleep(5);
  }
  return sockets;
}

/** Retries a well-behaved request until it gets its reply. */
async function served(key: string, deadlineMs: number): Promise<void> {
  const adapter = await loadAdapter() as unknown as {
    dial(key: string, o?: { tls?: { caCerts: string[] } }): Promise<
      import("../../src/channel/channel.ts").Channel
    >;
  };
  const stop = performance.now() + deadlineMs;
  let last: unknown;
  while (performance.now() < stop) {
    try {
      const peer = new Connection(
        await adapter.dial(key, { tls: { caCerts: [CA] } }),
      );
      try {
        const reply = await peer.request("echo", new Uint8Array([7]), {
          timeout: 15_000,
        });
        assert.deepEqual([...reply], [7]);
        return;
      } finally {
        await peer.close().catch(() => {});
      }
    } catch (error) {
      last = error;
      await sleep(200);
    }
  }
  throw new Error(`no reply within ${deadlineMs} ms`, { cause: last });
}

function stopChild(child: Child): void {
  child.child.stop(true);
}

describe("a server with defaults", () => {
  it(`closes a silent connection after DEFAULT_FIRST_FRAME_TIMEOUT (${DEFAULT_FIRST_FRAME_TIMEOUT} ms) when given no option`, async () => {
    assert.equal(DEFAULT_FIRST_FRAME_TIMEOUT, 10_000);
    let time = 0;
    const armed = new Map<number, () => void>();
    let handles = 0;
    const timers = new TimerHeap({
      now: () => time,
      setTimer: (callback) => {
        armed.set(++handles, callback);
        return handles;
      },
      clearTimer: (handle) => armed.delete(handle as number),
    });
    const fire = (at: number) => {
      time = at;
      for (const [handle, callback] of [...armed]) {
        armed.delete(handle);
        callback();
      }
    };
    const network = new MemoryNetwork();
    const server = new Server({ router: new Router(), timers });
    void server.serve(await network.listen("mem://silent"));
    const silent = await network.dial("mem://silent");
    await until(() => server.stats.connections === 1, 5_000, "accepted");
    fire(DEFAULT_FIRST_FRAME_TIMEOUT - 10); // the heap runs what is due within 1 ms
    await sleep(10);
    assert.equal(server.stats.connections, 1, "closed before the default");
    fire(DEFAULT_FIRST_FRAME_TIMEOUT);
    await until(() => server.stats.connections === 0, 5_000, "closed");
    assert.equal(server.stats.firstFrameClosed, 1);
    silent.close();
    await server.close({ deadline: 0 });
  });

  it(
    "closes 200 silent TCP sockets after the first-frame timeout (shortened here)",
    {
      timeout: 60_000,
    },
    async () => {
      const adapter = await loadAdapter();
      const server = new Server({
        router: new Router(),
        firstFrameTimeout: 200,
      });
      const listener = await adapter.listen("tcp://127.0.0.1:0");
      void server.serve(listener);
      const sockets = await flood(listener.addr.port!, 200);
      const ended = sockets.map((socket) =>
        new Promise<void>((resolve) => {
          socket.once("close", () => resolve());
          socket.resume(); // reads the goaway, so the end is seen
        })
      );
      try {
        await within(
          30_000,
          "every silent socket is closed",
          Promise.all(ended),
        );
        assert.equal(server.stats.connections, 0);
        assert.equal(server.stats.firstFrameClosed, 200);
      } finally {
        for (const socket of sockets) socket.destroy();
        await server.close({ deadline: 0 });
      }
    },
  );

  it(
    `survives ${FLOOD} silent TCP connections under a limit of ${FD_LIMIT} descriptors and serves a client meanwhile`,
    {
      timeout: 90_000,
    },
    async () => {
      const child = await startChild(["tcp", "60000"]);
      const sockets = await flood(child.port, FLOOD);
      try {
        await sleep(1_000);
        assert.ok(child.alive(), "the server process ended");
        // The flood stays open: the first-frame timeout frees the slots.
        await served(`tcp://127.0.0.1:${child.port}`, 60_000);
        assert.ok(child.alive());
      } finally {
        for (const socket of sockets) socket.destroy();
        stopChild(child);
      }
    },
  );

  it(
    `survives ${FLOOD} silent TLS connections under a limit of ${FD_LIMIT} descriptors and serves a client after`,
    {
      timeout: 90_000,
    },
    async () => {
      const child = await startChild(["tls", "60000"]);
      const sockets = await flood(child.port, FLOOD);
      try {
        await sleep(1_000);
        assert.ok(child.alive(), "the server process ended");
        for (const socket of sockets) socket.destroy();
        await served(`tls://127.0.0.1:${child.port}`, 60_000);
        assert.ok(child.alive());
      } finally {
        for (const socket of sockets) socket.destroy();
        stopChild(child);
      }
    },
  );

  it(
    "keeps accepting after running out of descriptors (maxConnections: Infinity)",
    {
      timeout: 90_000,
    },
    async () => {
      const child = await startChild(["tcp", "60000", "Infinity"]);
      // Deno itself panics if it runs out of descriptors in its first half
      // second (it sets up its signal handling then); give it that time.
      await sleep(1_500);
      const sockets = await flood(child.port, FLOOD);
      try {
        await sleep(1_000);
        assert.ok(child.alive(), "the server process ended");
        for (const socket of sockets) socket.destroy();
        await served(`tcp://127.0.0.1:${child.port}`, 30_000);
        assert.ok(child.alive());
      } finally {
        for (const socket of sockets) socket.destroy();
        stopChild(child);
      }
    },
  );
});
