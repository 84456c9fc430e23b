/**
 * Scale-out measurements (issue 16), on the runtime running this file:
 *
 * `node --import tsx bench/scale/every_core_bench.ts [--seconds 5]
 * [--requests 10000] [--parts cores,balance]` (or `deno run -A
 * --unstable-net …`, `bun …`).
 *
 * - `cores`: one server process against two (`serveOnEveryCore` with 1 and
 *   with 2 workers: Node's cluster, Bun's and Deno's `reusePort`) under the
 *   same load from a separate process (`_load.ts`: 64 connections × 16
 *   requests in flight, 4 KiB echo), one after the other in one run; prints
 *   each throughput and the ratio two / one. The load process needs a core
 *   too: on a 2-core host the three processes share two cores.
 * - `balance`: 4 servers behind one name (`ListResolver`, TCP on 127.0.0.1,
 *   in this process), `requests` requests 32 at a time: the share of each
 *   server for `round_robin`, for `p2c` with server 0 slow (5 ms a request,
 *   the others at once), and for `hash` (1,000 keys, or requests / 10: whether each key always
 *   lands on the same server, and which keys move when server 3 is removed).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { spawn } from "node:child_process";
import { args, flag } from "../_process.ts";
import { detectRuntime, scriptCommand } from "../_runtime.ts";
import { Client } from "../../src/client/client.ts";
import type { BalancerName } from "../../src/client/balancer.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { ListResolver } from "../../src/resolve/resolver.ts";
import { EveryCoreChild } from "../../tests/scale/_every_core_child.ts";
import { startServers } from "../../tests/scale/_servers.ts";

const argv = args();
const seconds = Number(flag(argv, "seconds", "5"));
const requests = Number(flag(argv, "requests", "10000"));
const parts = flag(argv, "parts", "cores,balance").split(",");
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

interface Load {
  requests: number;
  seconds: number;
  rps: number;
  cpuMs: number;
}

/** Runs the load process against `port`; returns what it printed. */
function load(port: number): Promise<Load> {
  const [cmd, cmdArgs] = scriptCommand(here("./_load.ts"), [
    ...["--port", String(port), "--connections", "64", "--inflight", "16"],
    ...["--payload", "4096", "--seconds", String(seconds)],
    ...["--warmup", String(Math.min(1, seconds / 2))],
  ]);
  const child = spawn(cmd, cmdArgs, { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (chunk) => out += chunk);
  return new Promise((resolve, reject) =>
    child.once("exit", (code) => {
      if (code === 0) resolve(JSON.parse(out.trim().split("\n").at(-1)!));
      else reject(new Error(`the load process exited with ${code}: ${out}`));
    })
  );
}

async function cores(): Promise<void> {
  const results: Record<number, Load> = {};
  for (const workers of [1, 2]) {
    const server = new EveryCoreChild(
      fileURLToPath(
        new URL("../../tests/scale/_every_core_server.ts", import.meta.url),
      ),
      [String(workers)],
    );
    const { port } = await server.nextJson<{ port: number }>(60_000);
    results[workers] = await load(port);
    await server.stop();
    const what = detectRuntime() === "deno" ? "Worker" : "process";
    const { rps, requests: n, seconds: s, cpuMs } = results[workers];
    console.log(
      `${workers} server ${what}${
        workers === 1 ? "" : what === "Worker" ? "s" : "es"
      }: ${rps} requests/s (${n} in ${
        s.toFixed(1)
      } s; load process CPU ${cpuMs} ms)`,
    );
  }
  console.log(
    `ratio two / one: ${(results[2].rps / results[1].rps).toFixed(2)}`,
  );
}

/** Sends `n` requests 32 at a time; `body(i)` gives each one's options. */
async function send(
  client: Client,
  n: number,
  hashKey?: (i: number) => string,
): Promise<number[]> {
  const answers: number[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < n) {
      const i = next++;
      const options = hashKey ? { hashKey: hashKey(i) } : {};
      answers[i] = await client.request("who", null, options) as number;
    }
  }));
  return answers;
}

const percent = (part: number, whole: number) =>
  `${(100 * part / whole).toFixed(1)} %`;

async function spread(balancer: BalancerName, delays: number[] = []) {
  const servers = await startServers(4, "tcp", delays);
  const client = new Client({
    resolver: new ListResolver(servers.keys),
    balancer,
    dial: servers.dial,
    body: jsonBody,
  });
  try {
    await send(client, requests);
    const shares = servers.counts.map((c) => percent(c, requests));
    console.log(
      `${balancer}${delays.length ? " (server 0 slow)" : ""}: ${
        shares.join(" / ")
      }`,
    );
  } finally {
    await client.close();
    await servers.close();
  }
}

async function hash(): Promise<void> {
  const servers = await startServers(4, "tcp");
  const resolver = new ListResolver(servers.keys);
  const client = new Client({
    resolver,
    balancer: "hash",
    dial: servers.dial,
    body: jsonBody,
  });
  // 1,000 keys, each sent 10 times with 10,000 requests.
  const keys = Math.max(1, Math.min(1000, Math.floor(requests / 10)));
  const key = (i: number) => `tenant-${i % keys}`;
  try {
    const answers = await send(client, requests, key);
    const home = new Map<string, Set<number>>();
    answers.forEach((server, i) => {
      const set = home.get(key(i)) ?? new Set<number>();
      set.add(server);
      home.set(key(i), set);
    });
    const stable = [...home.values()].filter((s) => s.size === 1).length;
    const shares = servers.counts.map((c) => percent(c, requests));
    console.log(
      `hash: ${
        shares.join(" / ")
      }; ${stable} of ${keys} keys always on one server`,
    );
    resolver.set(servers.keys.slice(0, 3));
    // The client learns the new set; wait until no request reaches server 3.
    let after: number[] = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = await send(client, keys, key);
      if (!after.includes(3)) break;
    }
    let moved = 0;
    let fromRemoved = 0;
    for (let i = 0; i < keys; i++) {
      const before = [...home.get(key(i))!][0];
      if (after[i] !== before) moved++;
      if (before === 3) fromRemoved++;
    }
    console.log(
      `hash, server 3 removed: ${percent(moved, keys)} of keys moved (${
        percent(fromRemoved, keys)
      } were on server 3)`,
    );
  } finally {
    await client.close();
    await servers.close();
  }
}

console.log(
  `bench/scale on ${detectRuntime()}, ${new Date().toISOString().slice(0, 10)}`,
);
if (parts.includes("cores")) await cores();
if (parts.includes("balance")) {
  await spread("round_robin");
  await spread("p2c", [5]);
  await hash();
}
