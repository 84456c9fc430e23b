/**
 * `serveOnEveryCore` on each runtime, with the workers in child processes
 * (Node: `cluster`; Bun: forked processes with `reusePort`; Deno: Workers with
 * `reusePort`, under `--unstable-net`): two workers on 127.0.0.1 both serve
 * a pooled client; `SIGTERM` to the primary drains every worker (no request
 * in flight is lost) and ends them all; and the runtime limits are clear
 * `UnsupportedRuntimeError`s (Deno without `--unstable-net`; Node and Bun
 * with no entry script to start as each worker).
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { loadAdapter } from "../../bench/_runtime.ts";
import { Client } from "../../src/client/client.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { EveryCoreChild, everyCoreCommand } from "./_every_core_child.ts";

const SERVER = fileURLToPath(
  new URL("./_every_core_server.ts", import.meta.url),
);

interface Who {
  index: number;
  pid: number;
}

/** Starts the per-core server with `workers` workers; returns it and its port. */
async function start(
  workers: number,
): Promise<{ child: EveryCoreChild; port: number; pid: number }> {
  const child = new EveryCoreChild(SERVER, [String(workers)]);
  const { port, pid } = await child.nextJson<{ port: number; pid: number }>(
    60_000,
  );
  return { child, port, pid };
}

async function client(port: number): Promise<Client> {
  const { dial } = await loadAdapter();
  return new Client({
    endpoint: `tcp://127.0.0.1:${port}`,
    dial,
    poolSize: 16,
    body: jsonBody,
    timeout: 30_000,
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("serveOnEveryCore", () => {
  it(
    "serves a pooled client from both workers",
    { timeout: 90_000 },
    async () => {
      const { child, port } = await start(2);
      const c = await client(port);
      try {
        const seen = new Map<number, number>();
        // Three rounds of 64 concurrent requests: the pool opens its 16
        // connections, which the primary (Node) or the kernel (reusePort)
        // spreads over the workers (all 16 on one worker: 2 in 65 536).
        for (let round = 0; round < 3; round++) {
          const replies = await Promise.all(
            Array.from(
              { length: 64 },
              () => c.request("who", { ms: 5 }) as Promise<Who>,
            ),
          );
          for (const { index } of replies) {
            seen.set(index, (seen.get(index) ?? 0) + 1);
          }
        }
        assert.deepEqual([...seen.keys()].sort(), [0, 1]);
        assert.equal([...seen.values()].reduce((a, b) => a + b), 192);
      } finally {
        await c.close();
        await child.stop();
      }
    },
  );

  it(
    "drains every worker on SIGTERM: no request in flight is lost, all exit",
    { timeout: 90_000 },
    async () => {
      const { child, port, pid } = await start(2);
      const c = await client(port);
      try {
        // Learn the workers' pids (on Deno they are the primary's: Workers)
        // while the pool opens its 16 connections.
        const warm: Who[] = [];
        for (let round = 0; round < 3; round++) {
          warm.push(
            ...await Promise.all(Array.from(
              { length: 64 },
              () => c.request("who", { ms: 5 }) as Promise<Who>,
            )),
          );
        }
        const pids = new Set(warm.map((reply) => reply.pid));
        // 64 requests that each take 1.5 s, then SIGTERM while they run.
        const inFlight = Array.from(
          { length: 64 },
          () =>
            (c.request("who", { ms: 1_500 }) as Promise<Who>).then(
              (reply) => ({ ok: true as const, reply }),
              (error: Error) => ({ ok: false as const, error }),
            ),
        );
        await new Promise((resolve) => setTimeout(resolve, 500));
        child.kill("SIGTERM");
        const settled = await Promise.all(inFlight);
        const failed = settled.filter((s) => !s.ok);
        assert.equal(failed.length, 0, `lost: ${JSON.stringify(failed)}`);
        // Both workers had requests in flight, and both finished them.
        assert.deepEqual(
          new Set(settled.map((s) => s.ok && s.reply.index)),
          new Set([0, 1]),
        );
        assert.deepEqual(await child.nextJson(30_000), { closed: true });
        const code = await child.exited;
        // Deno's node:child_process reports the signal it sent (null) rather
        // than the exit code; the primary exits 0 there too.
        if (!process.versions.deno) assert.equal(code, 0);
        for (const worker of pids) {
          if (worker !== pid) assert.equal(alive(worker), false, `${worker}`);
        }
      } finally {
        await c.close();
        await child.stop();
      }
    },
  );

  it(
    "refuses an unsupported runtime setup with UnsupportedRuntimeError",
    { timeout: 60_000 },
    async () => {
      const [cmd, args] = everyCoreCommand(SERVER, ["2"], "unsupported");
      const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (chunk) => out += chunk);
      const code = await new Promise((resolve) => child.once("exit", resolve));
      const line = JSON.parse(out.trim().split("\n").at(-1)!);
      assert.equal(code, 1);
      assert.equal(line.name, "UnsupportedRuntimeError");
      assert.equal(line.code, "ERR_UNSUPPORTED_RUNTIME");
      assert.match(
        line.error,
        process.versions.deno ? /--unstable-net/ : /entry script/,
      );
    },
  );
});
