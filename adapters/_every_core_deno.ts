/**
 * One server per core on Deno: each worker is a Web Worker running the entry
 * module again (`Deno.mainModule`), each binding its own `SO_REUSEPORT`
 * listener so that the kernel spreads connections across them. Workers rather
 * than processes because a Worker inherits the process's permissions and its
 * `--unstable-net` flag, which a new `deno run` could not learn, and dies
 * with the process, so none outlives its primary (`deno serve --parallel`
 * makes the same choice). Private to `adapters/`.
 *
 * @module
 */

import type { Listener } from "../src/channel/channel.ts";
import { UnsupportedRuntimeError } from "../src/errors.ts";
import {
  type CoreGroup,
  type CoreRuntime,
  type EveryCoreOptions,
  type PrimaryLink,
  runPrimary,
  runWorker,
  type WorkerLink,
} from "./_every_core.ts";
import type { ListenOptions } from "./_options.ts";

/** A worker's name: `listenrain-core/index/workers/port`. */
const PREFIX = "listenrain-core/";

interface DenoCore {
  mainModule: string;
  listenDatagram?: unknown;
  build: { os: string };
  addSignalListener(signal: string, handler: () => void): void;
  removeSignalListener(signal: string, handler: () => void): void;
}

interface WorkerScope {
  name: string;
  postMessage(message: unknown): void;
  addEventListener(
    type: "message",
    handler: (event: MessageEvent) => void,
  ): void;
}

function denoCore(): DenoCore {
  return (globalThis as unknown as { Deno: DenoCore }).Deno;
}

/** This Worker's scope, if it is one of ours. */
function ownWorker(): WorkerScope | undefined {
  const scope = globalThis as unknown as {
    WorkerGlobalScope?: abstract new () => unknown;
    name?: unknown;
  };
  const inWorker = typeof scope.WorkerGlobalScope === "function" &&
    globalThis instanceof scope.WorkerGlobalScope;
  return inWorker && typeof scope.name === "string" &&
      scope.name.startsWith(PREFIX)
    ? globalThis as unknown as WorkerScope
    : undefined;
}

function spawn(index: number, workers: number, port: number): WorkerLink {
  const worker = new Worker(denoCore().mainModule, {
    type: "module",
    name: `${PREFIX}${index}/${workers}/${port}`,
  });
  let exit!: (code: number | null) => void;
  const exited = new Promise<number | null>((resolve) => exit = resolve);
  const end = (code: number | null) => {
    worker.terminate();
    exit(code);
  };
  worker.addEventListener("message", (event) => {
    const kind = (event.data as { listenrainCore?: string })?.listenrainCore;
    if (kind === "closed") end(0);
    else if (kind === "failed") end(1);
  });
  // An uncaught error ends the worker; keep it from ending the process.
  worker.addEventListener("error", (event) => {
    event.preventDefault();
    end(1);
  });
  return {
    send: (message) => worker.postMessage(message),
    onMessage: (handler) =>
      worker.addEventListener("message", (event) => handler(event.data)),
    exited,
    kill: () => end(null),
  };
}

function onSignals(handler: () => void): () => void {
  const deno = denoCore();
  const signals = deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGTERM", "SIGINT"];
  for (const signal of signals) deno.addSignalListener(signal, handler);
  return () => {
    for (const signal of signals) deno.removeSignalListener(signal, handler);
  };
}

/**
 * `serveOnEveryCore` on Deno: in one of its Workers, serves; in the main
 * thread, starts the Workers.
 */
export async function serveWorkers(
  options: EveryCoreOptions,
  listen: (key: string, options: ListenOptions) => Promise<Listener>,
): Promise<CoreGroup> {
  const parts: CoreRuntime = {
    listen,
    reusePort: true,
    onSignals,
    cores: () => navigator.hardwareConcurrency ?? 1,
    spawn: ({ index, workers }, port) => spawn(index, workers, port),
  };
  const scope = ownWorker();
  if (scope !== undefined) {
    const [index, workers, port] = scope.name.slice(PREFIX.length).split("/")
      .map(Number);
    const link: PrimaryLink = {
      send: (message) => scope.postMessage(message),
      onMessage: (handler) =>
        scope.addEventListener("message", (event) => handler(event.data)),
      onLost: () => {},
      done: () => {},
    };
    // Signals reach the main thread, which tells every Worker.
    const quiet = { ...parts, onSignals: () => () => {} };
    return await runWorker(options, quiet, { index, workers }, port, link);
  }
  const deno = denoCore();
  if (typeof deno.listenDatagram !== "function") {
    throw new UnsupportedRuntimeError(
      'serveOnEveryCore on Deno needs the --unstable-net flag (or "unstable": ["net"] in deno.json): its workers listen with reusePort, an unstable Deno API',
    );
  }
  if (deno.build.os !== "linux") {
    throw new UnsupportedRuntimeError(
      `serveOnEveryCore on Deno needs Linux: Deno sets SO_REUSEPORT on Linux only (this is ${deno.build.os}); run one server per host`,
    );
  }
  return await runPrimary(options, parts);
}
