/**
 * One server per core in worker processes, for Node and Bun. Node: the
 * `cluster` module (the primary owns the listening socket and hands each
 * accepted connection to a worker, round robin except on Windows). Bun:
 * `child_process.fork` of the entry script, each worker binding its own
 * `SO_REUSEPORT` listener so that the kernel spreads connections (Linux).
 * Private to `adapters/`.
 *
 * @module
 */

import { fork } from "node:child_process";
import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import process from "node:process";
import { isMainThread } from "node:worker_threads";
import type { Listener } from "../src/channel/channel.ts";
import { UnsupportedRuntimeError } from "../src/errors.ts";
import {
  type CoreGroup,
  type CoreMessage,
  type CoreRuntime,
  type EveryCoreOptions,
  type PrimaryLink,
  runPrimary,
  runWorker,
  type WorkerLink,
} from "./_every_core.ts";
import type { ListenOptions } from "./_options.ts";

/** The variable that tells a worker process who it is: `index/workers/port`. */
const ENV = "LISTENRAIN_CORE_WORKER";

type Send = (
  message: unknown,
  handle: undefined,
  options: undefined,
  callback: (error: Error | null) => void,
) => boolean;

/** Listens, and which runtime this is. */
export interface ProcessRuntime {
  runtime: "node" | "bun";
  listen(key: string, options: ListenOptions): Promise<Listener>;
}

function onSignals(handler: () => void): () => void {
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
  return () => {
    process.off("SIGTERM", handler);
    process.off("SIGINT", handler);
  };
}

/** Throws if this process cannot start worker processes of itself. */
function checkSupported(runtime: "node" | "bun"): void {
  const name = runtime === "node" ? "Node" : "Bun";
  if (!isMainThread) {
    throw new UnsupportedRuntimeError(
      `serveOnEveryCore must run in the main thread of ${name}'s entry script: workers are new processes of that script, and a worker thread is not one`,
    );
  }
  const evaluated = process.execArgv.some((arg) =>
    /^(-e|-p|--eval|--print)(=|$)/.test(arg)
  );
  if (process.argv[1] === undefined || evaluated) {
    throw new UnsupportedRuntimeError(
      `serveOnEveryCore needs an entry script to start as each worker: ${name} is running code given with -e/--eval or on stdin`,
    );
  }
  if (runtime === "bun" && process.platform !== "linux") {
    throw new UnsupportedRuntimeError(
      `serveOnEveryCore on Bun needs Linux: only Linux spreads connections across SO_REUSEPORT listeners (this is ${process.platform}); run one server per host, or use Node's cluster`,
    );
  }
}

function sendQuietly(send: Send | undefined, message: CoreMessage): void {
  try {
    send?.(message, undefined, undefined, () => {});
  } catch { /* the channel closed: the other end is gone */ }
}

function nodeWorker(index: number, workers: number, port: number): WorkerLink {
  const worker = cluster.fork({ [ENV]: `${index}/${workers}/${port}` });
  // A send to a worker that died emits 'error': keep it from crashing us.
  worker.on("error", () => {});
  return {
    send: (message) =>
      sendQuietly(worker.send.bind(worker) as unknown as Send, message),
    onMessage: (handler) => void worker.on("message", handler),
    exited: new Promise((resolve) => worker.once("exit", resolve)),
    kill: () => void worker.process.kill("SIGKILL"),
  };
}

function bunWorker(index: number, workers: number, port: number): WorkerLink {
  const child = fork(process.argv[1], process.argv.slice(2), {
    env: { ...process.env, [ENV]: `${index}/${workers}/${port}` },
    execArgv: process.execArgv,
  });
  child.on("error", () => {});
  return {
    send: (message) =>
      sendQuietly(child.send.bind(child) as unknown as Send, message),
    onMessage: (handler) => void child.on("message", handler),
    exited: new Promise((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.once("exit", resolve);
    }),
    kill: () => void child.kill("SIGKILL"),
  };
}

const primaryLink: PrimaryLink = {
  send: (message) =>
    sendQuietly(
      process.connected
        ? process.send?.bind(process) as unknown as Send
        : undefined,
      message,
    ),
  onMessage: (handler) => void process.on("message", handler),
  onLost: (handler) => void process.once("disconnect", handler),
  done() {
    if (!process.connected) return;
    if (cluster.isWorker) cluster.worker?.disconnect();
    else process.disconnect?.();
  },
};

/**
 * `serveOnEveryCore` on Node and Bun: in a worker process, serves; in the
 * primary, starts the workers.
 */
export async function serveProcesses(
  options: EveryCoreOptions,
  { runtime, listen }: ProcessRuntime,
): Promise<CoreGroup> {
  const reusePort = runtime === "bun";
  const parts: CoreRuntime = {
    listen,
    reusePort,
    onSignals,
    cores: () => availableParallelism(),
    spawn: ({ index, workers }, port) =>
      reusePort
        ? bunWorker(index, workers, port)
        : nodeWorker(index, workers, port),
  };
  const role = process.env[ENV];
  if (role !== undefined && typeof process.send === "function") {
    // Not inherited by the processes this worker's own code may start.
    delete process.env[ENV];
    const [index, workers, port] = role.split("/").map(Number);
    return await runWorker(
      options,
      parts,
      { index, workers },
      port,
      primaryLink,
    );
  }
  checkSupported(runtime);
  return await runPrimary(options, parts);
}
