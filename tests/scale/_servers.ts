/**
 * N servers for the scale tests, over the memory network or TCP: route
 * `who` answers the server's index and counts it; `delays[i]` slows server i.
 *
 * @module
 */

import { MemoryNetwork } from "../../src/channel/memory_network.ts";
import type { DialFunction } from "../../src/client/dialers.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { Server } from "../../src/server/server.ts";
import { Router } from "../../src/transport/router.ts";
import { tcpAdapter } from "../lifecycle/_helpers.ts";

/** The servers, their keys and counts. */
export interface Servers {
  keys: string[];
  counts: number[];
  dial: DialFunction;
  servers: Server[];
  /** Stops server `i` (its listener and connections). */
  stop(i: number): Promise<void>;
  /** Starts server `i` again on its key. */
  restart(i: number): Promise<void>;
  close(): Promise<void>;
}

/** The router of server `index`. */
function routerOf(index: number, counts: number[], delays: number[]) {
  return new Router().handle("who", async () => {
    counts[index]++;
    const ms = delays[index] ?? 0;
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    return index;
  });
}

/**
 * Starts `n` servers.
 *
 * @param n How many.
 * @param net `"mem"` or `"tcp"` (127.0.0.1, ephemeral ports).
 * @param delays Per-server handler delay, in ms.
 */
export async function startServers(
  n: number,
  net: "mem" | "tcp",
  delays: number[] = [],
): Promise<Servers> {
  const counts = Array(n).fill(0);
  const servers: Server[] = [];
  const keys: string[] = [];
  const listeners: { close(): void }[] = [];
  let dial: DialFunction;
  let listen: (
    key: string,
  ) => Promise<import("../../src/channel/channel.ts").Listener>;
  if (net === "mem") {
    const network = new MemoryNetwork();
    dial = (k, o) => network.dial(k, o);
    listen = (k) => network.listen(k);
  } else {
    const adapter = await tcpAdapter();
    dial = adapter.dial;
    listen = adapter.listen;
  }
  for (let i = 0; i < n; i++) {
    const server = new Server({
      router: routerOf(i, counts, delays),
      body: jsonBody,
    });
    const listener = await listen(
      net === "mem" ? `mem://s${i}` : "tcp://127.0.0.1:0",
    );
    void server.serve(listener);
    servers.push(server);
    listeners.push(listener);
    keys.push(
      net === "mem" ? `mem://s${i}` : `tcp://127.0.0.1:${listener.addr.port}`,
    );
  }
  return {
    keys,
    counts,
    dial,
    servers,
    stop: async (i) => {
      listeners[i].close();
      await servers[i].close({ deadline: 0 });
    },
    restart: async (i) => {
      const server = new Server({
        router: routerOf(i, counts, delays),
        body: jsonBody,
      });
      const listener = await listen(keys[i]);
      void server.serve(listener);
      servers[i] = server;
      listeners[i] = listener;
    },
    close: async () => {
      await Promise.all(servers.map((server) => server.close()));
    },
  };
}
