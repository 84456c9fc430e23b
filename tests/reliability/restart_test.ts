/**
 * The server process killed (SIGKILL) and restarted on the same port during
 * steady load: a child process on 127.0.0.1, started with the runtime that
 * runs this test. The client reconnects by itself, and every request of the
 * run is accounted for exactly once, as replied or rejected; the restarted
 * server handled exactly the requests whose replies came from it.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ScriptChild } from "../_helpers/child.ts";
import { Client } from "../../src/client/client.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import {
  Ledger,
  sleep,
  stress,
  tcpAdapter,
  until,
  within,
} from "./_helpers.ts";

const tcp = await tcpAdapter();
const CHILD = fileURLToPath(new URL("./_child_server.ts", import.meta.url));

interface ChildServer {
  child: ScriptChild;
  port: number;
  pid: number;
  exited: Promise<unknown>;
}

/** Starts the child server; resolves once it listens (rejects if it cannot). */
async function startChild(port: number): Promise<ChildServer> {
  const child = new ScriptChild(CHILD, [String(port), "60000"]);
  try {
    const info = await child.nextJson<{ port: number; pid: number }>();
    return { child, port: info.port, pid: info.pid, exited: child.exited };
  } catch (error) {
    child.stop(true);
    throw error;
  }
}

/** Starts the child on a port just freed, retrying while it is still busy. */
async function restartChild(port: number): Promise<ChildServer> {
  for (let attempt = 0;; attempt++) {
    try {
      return await startChild(port);
    } catch (error) {
      if (attempt >= 20) throw error;
      await sleep(50);
    }
  }
}

const CONCURRENCY = 16;

describe("Server process killed and restarted under load", () => {
  it(
    "the client reconnects by itself; every request is replied or rejected exactly once; the new server handled exactly what it replied",
    { timeout: 120_000 },
    async () => {
      const children: ChildServer[] = [];
      const first = await within(
        30_000,
        "the first child listens",
        startChild(0),
      );
      children.push(first);
      const key = `tcp://127.0.0.1:${first.port}`;
      const client = new Client({
        endpoint: key,
        dial: tcp.dial,
        body: jsonBody,
        timeout: 5000,
        reconnect: { initialDelay: 20, maxDelay: 100 },
      });
      const ledger = new Ledger();
      const repliesBy = new Map<number, number>();
      let running = true;
      const worker = async () => {
        for (let n = 0; running && n < 1_000_000; n++) {
          const id = ledger.open();
          try {
            const reply = await client.request("echo", { id });
            if (reply.id !== id) ledger.settle(id, `wrong reply ${reply.id}`);
            else {
              ledger.settle(id, "ok");
              repliesBy.set(reply.pid!, (repliesBy.get(reply.pid!) ?? 0) + 1);
            }
          } catch (error) {
            ledger.settleWith(id, error);
            await sleep(5); // no hot loop while the server is down
          }
        }
      };
      const okFrom = (pid: number) => repliesBy.get(pid) ?? 0;
      try {
        const workers = Array.from({ length: CONCURRENCY }, worker);
        await within(
          20_000,
          "steady load on the first server",
          until(() => okFrom(first.pid) >= 300, 20_000, "300 replies"),
        );
        first.child.stop(true);
        await first.exited;
        const killedAt = ledger.size;
        await sleep(100); // requests meet a dead server for a while
        const second = await within(
          30_000,
          "the second child listens",
          restartChild(first.port),
        );
        children.push(second);
        await within(
          20_000,
          "the client reconnects by itself",
          until(
            () => okFrom(second.pid) >= (stress() ? 20_000 : 300),
            20_000,
            "replies from the restarted server",
          ),
        );
        running = false;
        await within(15_000, "every worker stops", Promise.all(workers));
        ledger.assertExactlyOnce([
          "ok",
          "ConnectionClosedError",
          "ConnectError",
        ]);
        const summary = JSON.stringify(ledger.summary());
        assert.equal(
          ledger.count("ok"),
          okFrom(first.pid) + okFrom(second.pid),
          summary,
        );
        assert.ok(
          ledger.count("ConnectionClosedError") <= CONCURRENCY,
          `only requests in flight at the kill fail with ConnectionClosedError: ${summary}`,
        );
        assert.ok(ledger.size > killedAt, "requests were sent after the kill");
        // The restarted server handled exactly the requests it replied to:
        // none lost, none run twice.
        const stats = await client.request("stats", { id: -1 }) as unknown as {
          handled: number;
          pid: number;
        };
        assert.equal(stats.pid, second.pid);
        assert.equal(stats.handled, okFrom(second.pid), summary);
      } finally {
        running = false;
        await client.close();
        for (const { child, exited } of children) {
          child.stop();
          await within(10_000, "the child exits", exited).catch(() =>
            child.stop(true)
          );
        }
      }
    },
  );
});
