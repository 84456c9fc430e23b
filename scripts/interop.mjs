/**
 * The cross-runtime interop matrix (`npm test` step `interop`): a server on
 * each of Deno, Bun and Node (tests/interop/server.ts), and against each a
 * client on each runtime (tests/interop/client.ts), nine pairs over loopback TCP and nine over ws://
 * TCP and nine over WebSocket (the server's runtime's own HTTP server with
 * the adapter's upgrade; the client's adapter dials ws://), with the default
 * protocol. Prints one line per pair and transport,
 * `interop tcp server=<runtime> client=<runtime> ok <n> requests, <s> streams
 * (<m> messages) in <t> ms`, then a summary, and exits 1 if any pair failed.
 * Each pair runs request/reply checks and, at the same time, server, client
 * and bidirectional streams (byte-checked) and three the client cancels
 * mid-way (one of each kind), whose
 * server handlers must see `ctx.signal` abort (tests/interop/_streams.ts).
 *
 * Pairs run one after another; each server serves its three clients, and
 * each client process runs its checks over TCP, then over WebSocket (one
 * process per pair keeps the step's wall time near the TCP-only one). Every
 * process gets a time limit of its own (it stops by itself) and is killed,
 * with its process group, if it outlives ours; none is left behind.
 *
 * Usage:
 *   node scripts/interop.mjs                    all nine pairs (TCP and ws:// each)
 *   node scripts/interop.mjs --runtimes deno,node
 *   node scripts/interop.mjs --transports ws
 *
 * @module
 */

import { spawn } from "node:child_process";
import { delimiter, join } from "node:path";
import process from "node:process";
import { ROOT } from "./_files.mjs";

const BIN = join(ROOT, "node_modules", ".bin");
const RUNTIMES = ["deno", "bun", "node"];
const TRANSPORTS = ["tcp", "ws"];
/** The server stops by itself after this long (it normally stops on stdin close). */
const SERVER_LIMIT_S = 60;
/** The client stops by itself after this long. */
const CLIENT_LIMIT_S = 30;
/** Ours: how long a server may take to print its port, and a client to finish. */
const SERVER_START_MS = 30_000;
const CLIENT_KILL_MS = (CLIENT_LIMIT_S + 10) * 1000;
const SERVER_STOP_MS = 5_000;

const ENV = {
  ...process.env,
  PATH: `${BIN}${delimiter}${process.env.PATH ?? ""}`,
  DENO_NO_UPDATE_CHECK: "1",
  DENO_NO_PROMPT: "1",
  DO_NOT_TRACK: "1",
};

/** The command that runs `script` on `runtime`. */
function command(runtime, script, args) {
  switch (runtime) {
    case "deno":
      return [join(BIN, "deno"), ["run", "-A", script, ...args]];
    case "bun":
      return [join(BIN, "bun"), [script, ...args]];
    case "node":
      return [process.execPath, ["--import", "tsx", script, ...args]];
  }
  throw new TypeError(`Unknown runtime "${runtime}"`);
}

/** Every child still running, killed with its group when we exit. */
const children = new Set();

function killGroup(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch { /* already gone */ }
}

process.on("exit", () => children.forEach(killGroup));
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    children.forEach(killGroup);
    process.exit(130);
  });
}

/**
 * Starts `script` on `runtime` in its own process group, collecting output.
 * `exited` resolves with `{ code, signal }` once it is gone.
 */
function start(runtime, script, args, stdin) {
  const [cmd, cmdArgs] = command(runtime, script, args);
  const child = spawn(cmd, cmdArgs, {
    cwd: ROOT,
    env: ENV,
    stdio: [stdin, "pipe", "pipe"],
    detached: true,
  });
  children.add(child);
  const out = { stdout: "", stderr: "" };
  child.stdout.setEncoding("utf8").on("data", (text) => out.stdout += text);
  child.stderr.setEncoding("utf8").on("data", (text) => out.stderr += text);
  const exited = new Promise((resolve) => {
    child.on("error", (error) => {
      out.stderr += `${error.message}\n`;
      resolve({ code: null, signal: null });
    });
    child.on("close", (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, out, exited };
}

/** Resolves with `value` after `ms`, and cancels the timer on `clear()`. */
function timer(ms, value) {
  let id;
  const promise = new Promise((resolve) => id = setTimeout(resolve, ms, value));
  return { promise, clear: () => clearTimeout(id) };
}

function lastLines(text, count = 8) {
  return text.trim().split("\n").slice(-count).map((l) => `    ${l}`)
    .join("\n");
}

/** Starts a server; resolves with its port, or throws why it did not start. */
async function startServer(runtime) {
  const proc = start(
    runtime,
    "tests/interop/server.ts",
    ["--time-limit", String(SERVER_LIMIT_S)],
    "pipe",
  );
  const ports = new Promise((resolve) => {
    const look = () => {
      const line = proc.out.stdout.split("\n").find((l) => l.startsWith("{"));
      if (line === undefined) return;
      proc.child.stdout.off("data", look);
      try {
        const { port, wsPort } = JSON.parse(line);
        resolve({ port, wsPort });
      } catch {
        resolve(undefined);
      }
    };
    proc.child.stdout.on("data", look);
  });
  const limit = timer(SERVER_START_MS, "timeout");
  const first = await Promise.race([ports, proc.exited, limit.promise]);
  limit.clear();
  if (typeof first?.port === "number") return { ...proc, ...first };
  killGroup(proc.child);
  const why = first === "timeout"
    ? `printed no port within ${SERVER_START_MS / 1000} s`
    : `exited (${JSON.stringify(first)}) without a port`;
  throw new Error(`server on ${runtime} ${why}\n${lastLines(proc.out.stderr)}`);
}

/** Closes the server's stdin and waits for it to exit; kills it if it does not. */
async function stopServer(server) {
  server.child.stdin.end();
  const limit = timer(SERVER_STOP_MS, "timeout");
  const result = await Promise.race([server.exited, limit.promise]);
  limit.clear();
  if (result === "timeout") {
    killGroup(server.child);
    await server.exited;
    return `did not stop within ${SERVER_STOP_MS / 1000} s of stdin closing`;
  }
  if (result.code !== 0) {
    return `exited with ${result.code ?? result.signal}\n${
      lastLines(server.out.stderr)
    }`;
  }
  return undefined;
}

/**
 * Runs one client against `server`; resolves with `{ ok, transports, why }`
 * (`transports`: requests and ms per transport).
 */
async function runClient(runtime, server) {
  const proc = start(runtime, "tests/interop/client.ts", [
    ...["--port", String(server.port), "--ws-port", String(server.wsPort)],
    ...["--transports", transports.join(",")],
    "--time-limit",
    String(CLIENT_LIMIT_S),
  ], "ignore");
  const limit = timer(CLIENT_KILL_MS, "timeout");
  const result = await Promise.race([proc.exited, limit.promise]);
  limit.clear();
  if (result === "timeout") {
    killGroup(proc.child);
    await proc.exited;
    return { ok: false, why: `killed after ${CLIENT_KILL_MS / 1000} s` };
  }
  const line = proc.out.stdout.trim().split("\n").at(-1) ?? "";
  let report;
  try {
    report = JSON.parse(line);
  } catch { /* not a report */ }
  if (result.code === 0 && report?.ok === true) {
    return { ok: true, transports: report.transports };
  }
  const status = `exit ${result.code ?? result.signal}`;
  return {
    ok: false,
    transport: report?.transport,
    why: `${report?.error ?? status} (${status})\n${
      lastLines(proc.out.stderr)
    }`,
  };
}

/** The values of `--name a,b` (or `--name=a,b`), each one of `all`. */
function select(argv, name, all) {
  const at = argv.findIndex((a) =>
    a === `--${name}` || a.startsWith(`--${name}=`)
  );
  if (at < 0) return all;
  const value = argv[at].includes("=") ? argv[at].split("=")[1] : argv[at + 1];
  const picked = (value ?? "").split(",").map((r) => r.trim()).filter(Boolean);
  const unknown = picked.filter((r) => !all.includes(r));
  if (picked.length === 0 || unknown.length > 0) {
    console.error(`interop: --${name} takes a list of ${all.join(", ")}`);
    process.exit(2);
  }
  return picked;
}

const runtimes = select(process.argv.slice(2), "runtimes", RUNTIMES);
const transports = select(process.argv.slice(2), "transports", TRANSPORTS);
const started = performance.now();
let passed = 0;
let failed = 0;
let serverFailures = 0;
let requests = 0;
let streams = 0;
const problems = [];

for (const serverRuntime of runtimes) {
  let server;
  try {
    server = await startServer(serverRuntime);
  } catch (error) {
    for (const clientRuntime of runtimes) {
      for (const transport of transports) {
        console.log(
          `interop ${transport} server=${serverRuntime} client=${clientRuntime} FAILED: the server did not start`,
        );
        failed++;
      }
    }
    problems.push(error.message);
    continue;
  }
  for (const clientRuntime of runtimes) {
    const result = await runClient(clientRuntime, server);
    const pair = (transport) =>
      `interop ${transport} server=${serverRuntime} client=${clientRuntime}`;
    for (const transport of transports) {
      const done = result.transports?.[transport];
      if (done !== undefined) {
        console.log(
          `${
            pair(transport)
          } ok ${done.requests} requests, ${done.streams} streams (${done.messages} messages) in ${done.ms} ms`,
        );
        passed++;
        requests += done.requests;
        streams += done.streams;
      } else {
        // The client stops at the first failure: later transports did not run.
        const why = result.transport === transport || result.ok
          ? result.why ?? "no report"
          : `not run (${result.transport ?? "the client"} failed first)`;
        console.log(`${pair(transport)} FAILED: ${why.split("\n")[0]}`);
        problems.push(`${pair(transport)}: ${why}`);
        failed++;
      }
    }
  }
  const why = await stopServer(server);
  if (why) {
    problems.push(`server on ${serverRuntime} ${why}`);
    serverFailures++;
  }
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
for (const problem of problems) console.error(`\n${problem}`);
const pairs = runtimes.length ** 2 * transports.length;
console.log(
  `interop: ${passed}/${pairs} pairs ok, ${requests} requests, ${streams} streams, ${seconds} s` +
    (failed ? `; ${failed} pairs FAILED` : "") +
    (serverFailures ? `; ${serverFailures} servers did not stop cleanly` : ""),
);
process.exitCode = failed || serverFailures ? 1 : 0;
