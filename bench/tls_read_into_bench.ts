/**
 * Large replies over TLS on Node: the client's CPU time per request, which
 * is where reading into buffers the channel chooses (`readInto`, the
 * `onread` option of `tls.connect`) shows. A listenrain server in a child
 * process (the Node adapter, `tls://127.0.0.1`, the tests' certificates)
 * answers each small request with a reply of the asked size; the client in
 * this process sends them one at a time and reports requests/s and its CPU
 * µs per request (`process.cpuUsage`, user + system: decrypting, reading and
 * the rest). Every reply is checked (its length, first and last byte).
 *
 * Run: node --import tsx bench/tls_read_into_bench.ts
 *      [--payload 256k,4m] [--requests 200] [--repeat 1]
 *
 * To compare two trees, run the same file in each, in alternating pairs
 * (the script is self-contained: copy it into the other tree's bench/).
 *
 * With `BENCH_QUICK=1` (the `bench` step of `npm test`) it runs a few
 * requests of 256 KiB.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { dial, listen } from "../adapters/node.ts";
import { Connection } from "../src/connection/connection.ts";
import { Router } from "../src/transport/router.ts";
import { args, flag, formatSize, sizes } from "./_process.ts";

const argv = args();
const quick = process.env.BENCH_QUICK === "1";

const fixture = (name: string) =>
  readFileSync(new URL(`../tests/_fixtures/${name}`, import.meta.url), "utf8");

/** The reply's size, asked in the request's 4 bytes. */
function sizeOf(body: Uint8Array): number {
  return new DataView(body.buffer, body.byteOffset, 4).getUint32(0);
}

/** A reply of `size` bytes, first and last byte marked. */
function reply(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes[0] = 0x5a;
  bytes[size - 1] = 0xa5;
  return bytes;
}

/** The child: serves `blob` on a free port, printed on stdout. */
async function serve(): Promise<void> {
  const listener = await listen("tls://127.0.0.1:0", {
    tls: { cert: fixture("server.pem"), key: fixture("server-key.pem") },
  });
  const replies = new Map<number, Uint8Array>();
  const router = new Router().handle("blob", (body: Uint8Array) => {
    const size = sizeOf(body);
    let bytes = replies.get(size);
    if (bytes === undefined) replies.set(size, bytes = reply(size));
    return bytes;
  });
  console.log(JSON.stringify({ port: listener.addr.port }));
  // The parent closes stdin when it is done.
  process.stdin.on("end", () => process.exit(0)).resume();
  for await (const channel of listener) new Connection(channel, { router });
}

/** Starts the server child; resolves with its port and a stop function. */
async function startServer(): Promise<{ port: number; stop(): void }> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    [...process.execArgv, script, "--serve"],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`server exited: ${code}`)));
  });
  const { port } = JSON.parse(first) as { port: number };
  return { port, stop: () => child.stdin!.end() };
}

/** `requests` replies of `size` bytes, one in flight. */
async function cell(
  client: Connection,
  size: number,
  requests: number,
): Promise<{ rate: number; cpuUs: number }> {
  const ask = new Uint8Array(4);
  new DataView(ask.buffer).setUint32(0, size);
  const one = async () => {
    const bytes: Uint8Array = await client.request("blob", ask);
    if (
      bytes.length !== size || bytes[0] !== 0x5a || bytes[size - 1] !== 0xa5
    ) {
      throw new Error(`wrong reply of ${bytes.length} bytes`);
    }
  };
  for (let i = 0; i < Math.min(10, requests); i++) await one(); // warm up
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < requests; i++) await one();
  const { user, system } = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  return { rate: requests / seconds, cpuUs: (user + system) / requests };
}

async function main(): Promise<void> {
  const payloads = sizes(flag(argv, "payload", quick ? "256k" : "256k,4m"));
  const requests = Number(flag(argv, "requests", quick ? "5" : "200"));
  const repeat = Number(flag(argv, "repeat", "1"));
  const server = await startServer();
  const client = new Connection(
    await dial(`tls://127.0.0.1:${server.port}`, {
      tls: { caCerts: [fixture("ca.pem")] },
    }),
  );
  try {
    console.log(
      `TLS replies on Node ${process.versions.node}, one in flight, ` +
        `${requests} requests per cell; client CPU per request`,
    );
    console.log("| payload | run | req/s | client CPU µs per request |");
    console.log("| --- | --- | --- | --- |");
    for (const size of payloads) {
      for (let run = 1; run <= repeat; run++) {
        const { rate, cpuUs } = await cell(client, size, requests);
        console.log(
          `| ${formatSize(size)} | ${run} | ${rate.toFixed(1)} | ${
            cpuUs.toFixed(0)
          } |`,
        );
      }
    }
  } finally {
    await client.close();
    server.stop();
  }
}

if (argv.includes("--serve")) await serve();
else await main();
