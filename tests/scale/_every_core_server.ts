/**
 * `serveOnEveryCore` in a child process, for tests/scale/every_core_test.ts
 * and bench/scale/every_core_bench.ts:
 * `<runtime> tests/scale/_every_core_server.ts <workers> [port] [deadlineMs]`
 * serves 127.0.0.1:<port> (default 0: any free port) with `<workers>`
 * workers of this runtime's adapter (Deno needs `--unstable-net`). The
 * primary prints `{"port","pid","workers"}` once every worker listens (or
 * `{"error","name","code"}` and exits 1), then `{"closed":true}` once every
 * worker drained and exited after `SIGTERM` (or once its parent is gone, or
 * after 2 minutes: it never outlives its test). Workers print nothing. Routes (JSON): `who` answers
 * `{ index, pid }` after `body.ms` ms (default 0); `echo` answers its body.
 *
 * @module
 */

import process from "node:process";
import { detectRuntime } from "../../bench/_runtime.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { Server } from "../../src/server/server.ts";
import { Router } from "../../src/transport/router.ts";
import type { CoreGroup, EveryCoreOptions } from "../../adapters/node.ts";

const workers = Number(process.argv[2] ?? 2);
const port = Number(process.argv[3] ?? 0);
const deadline = Number(process.argv[4] ?? 10_000);

const serve: (options: EveryCoreOptions) => Promise<CoreGroup> =
  detectRuntime() === "deno"
    ? (await import("../../adapters/deno.ts")).serveOnEveryCore
    : detectRuntime() === "bun"
    ? (await import("../../adapters/bun.ts")).serveOnEveryCore
    : (await import("../../adapters/node.ts")).serveOnEveryCore;

const print = (value: unknown) =>
  process.stdout.write(`${JSON.stringify(value)}\n`);

let group: CoreGroup;
try {
  group = await serve({
    key: `tcp://127.0.0.1:${port}`,
    workers,
    deadline,
    server: ({ index }) =>
      new Server({
        body: jsonBody,
        router: new Router()
          .handle("who", async (body: { ms?: number }) => {
            if (body?.ms) {
              await new Promise((resolve) => setTimeout(resolve, body.ms));
            }
            return { index, pid: process.pid };
          })
          .handle("echo", (body: unknown) => body),
      }),
  });
} catch (error) {
  const { name, message, code } = error as Error & { code?: string };
  print({ error: message, name, code });
  process.exit(1);
}

if (group.role === "primary") {
  print({ port: group.port, pid: process.pid, workers: group.workers });
  // Never outlive the test: shut down once the parent is gone (its pid is no
  // longer ours) or after two minutes. (Not on stdin's end: a Deno parent's
  // pipe may end early.)
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) void group.close();
  }, 500);
  const lifetime = setTimeout(() => void group.close(), 120_000);
  await group.closed;
  clearInterval(watch);
  clearTimeout(lifetime);
  print({ closed: true });
  process.exit(0);
}
