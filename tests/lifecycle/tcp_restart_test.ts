/**
 * The client and server over real TCP on 127.0.0.1 (this runtime's adapter):
 * a server restart on the same port, with requests all along.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client/client.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { Server } from "../../src/server/server.ts";
import {
  delay,
  sleep,
  tcpAdapter,
  testRouter,
  until,
  within,
} from "./_helpers.ts";

const tcp = await tcpAdapter();

async function startServer(key: string): Promise<Server> {
  const server = new Server({ router: testRouter(), body: jsonBody });
  void server.serve(await tcp.listen(key));
  return server;
}

/** Listens again on a port just freed, retrying while the runtime still holds it. */
async function restartServer(key: string): Promise<Server> {
  for (let attempt = 0;; attempt++) {
    try {
      return await startServer(key);
    } catch (error) {
      if (attempt >= 50) throw error;
      await sleep(20);
    }
  }
}

describe("Client and Server over TCP", () => {
  it(
    "reconnect after the server restarts, every request settled exactly once",
    { timeout: 60_000 },
    async () => {
      let server = await startServer("tcp://127.0.0.1:0");
      const key = `tcp://127.0.0.1:${server.addrs[0].port}`;
      const client = new Client({
        endpoint: key,
        dial: tcp.dial,
        body: jsonBody,
        timeout: 3000,
        reconnect: { initialDelay: 20, maxDelay: 100 },
      });
      const outcomes: string[][] = [];
      const fire = (): number => {
        const id = outcomes.length;
        const seen: string[] = [];
        outcomes.push(seen);
        client.call("echo", id, {
          onMessage: (reply) =>
            seen.push(reply === id ? "ok" : `wrong ${reply}`),
          onTimeout: () => seen.push("TimeoutError"),
          onError: (error) => seen.push(error.name),
        });
        return id;
      };
      await within(
        20_000,
        "restart scenario",
        (async () => {
          for (let i = 0; i < 10; i++) {
            fire();
            await sleep(5);
          }
          await until(
            () => outcomes.every((o) => o.length > 0),
            5000,
            "phase 1 settled",
          );
          assert.ok(
            outcomes.every((o) => o[0] === "ok"),
            JSON.stringify(outcomes),
          );
          // An idempotent request that waits through the restart.
          const waiting = client.request("echo", "waited", {
            waitForReady: true,
            retry: 20,
            timeout: 10_000,
          }).catch((error) => error);
          await server.close({ deadline: 1000 });
          const down = outcomes.length;
          for (let i = 0; i < 10; i++) {
            fire();
            await sleep(10);
          }
          server = await restartServer(key);
          let last = fire();
          await until(
            () => {
              if (outcomes[last].length === 0) return false;
              if (outcomes[last][0] === "ok") return true;
              last = fire();
              return false;
            },
            10_000,
            "a request succeeds after the restart",
          );
          assert.equal(
            await waiting,
            "waited",
            "waitForReady rode out the restart",
          );
          await until(
            () => outcomes.every((o) => o.length > 0),
            5000,
            "all settled",
          );
          await delay(50);
          for (const [id, seen] of outcomes.entries()) {
            assert.equal(
              seen.length,
              1,
              `request ${id} settled ${seen.length} times: ${seen}`,
            );
            assert.ok(
              ["ok", "ConnectError", "ConnectionClosedError"].includes(seen[0]),
              `request ${id}: ${seen[0]}`,
            );
          }
          assert.ok(
            outcomes.slice(down, down + 10).some((o) => o[0] !== "ok"),
            "requests while down failed",
          );
        })(),
      );
      await client.close();
      await server.close();
    },
  );
});
