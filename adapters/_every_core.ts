/**
 * One listenrain server per core: the part every runtime shares. The same
 * entry script runs as the primary and as each worker (as with Node's
 * `cluster`); `serveOnEveryCore` tells which it is from how the runtime
 * started it, and either starts the workers or serves. The runtime files
 * (`_every_core_process.ts`, `_every_core_deno.ts`) supply how a worker is
 * started and spoken to. Private to `adapters/`.
 *
 * @module
 */

import type { Listener } from "../src/channel/channel.ts";
import type { Server } from "../src/server/server.ts";
import { DEFAULT_SHUTDOWN_TIMEOUT } from "../src/server/server_options.ts";
import { formatKey, parseKey, type TransportKeyLike } from "./_key.ts";
import type { ListenOptions } from "./_options.ts";

/**
 * Which worker this is: handed to the `server` factory of
 * {@linkcode EveryCoreOptions}.
 *
 * @example Naming the worker in every reply
 * ```ts
 * import type { CoreWorker } from "listenrain/adapters/node";
 * const describe = (worker: CoreWorker) => `worker ${worker.index + 1} of ${worker.workers}`;
 * console.log(describe({ index: 0, workers: 2 })); // "worker 1 of 2"
 * ```
 */
export interface CoreWorker {
  /** 0 for the first worker, up to `workers - 1`. */
  readonly index: number;
  /** How many workers the primary started. */
  readonly workers: number;
}

/**
 * The options of `serveOnEveryCore`.
 *
 * @example Two workers on port 7000, each draining for up to 5 s
 * ```ts
 * import { Router, Server } from "listenrain";
 * import type { EveryCoreOptions } from "listenrain/adapters/node";
 * const options: EveryCoreOptions = {
 *   key: "tcp://0.0.0.0:7000",
 *   workers: 2,
 *   deadline: 5_000,
 *   server: () => new Server({ router: new Router().handle("ping", () => "pong") }),
 * };
 * console.log(options.workers); // 2
 * ```
 */
export interface EveryCoreOptions {
  /** Where every worker listens: `tcp://host:port` or `tls://host:port` (port 0: any free port, the same for all). */
  key: string | TransportKeyLike;
  /** Builds the worker's server; called once in each worker, never in the primary. */
  server: (worker: CoreWorker) => Server | Promise<Server>;
  /** How many workers. @default {the number of cores: `navigator.hardwareConcurrency`} */
  workers?: number;
  /** The workers' listen options (TLS, backlog, maxConnections …); `reusePort` is set where it is used. */
  listen?: Omit<ListenOptions, "reusePort">;
  /** Aborting it shuts every worker down, as `close()` does. */
  signal?: AbortSignal;
  /** Shut down gracefully on `SIGTERM` and `SIGINT` (in the primary and in worker processes). @default {true} */
  handleSignals?: boolean;
  /** How long each worker's in-flight requests may take to finish at shutdown, in ms. @default {10000} */
  deadline?: number;
  /** How long the primary waits for every worker to listen, in ms. @default {30000} */
  startTimeout?: number;
  /** Told when a worker ends before shutdown (it is not restarted; the others keep serving). */
  onWorkerExit?: (worker: CoreWorker, code: number | null) => void;
}

/**
 * What `serveOnEveryCore` returns: in the primary, the group of workers; in
 * a worker, that worker.
 *
 * @example Waiting in the primary until every worker has exited
 * ```ts
 * import type { CoreGroup } from "listenrain/adapters/node";
 * async function wait(group: CoreGroup): Promise<void> {
 *   if (group.role === "primary") console.log(`serving on port ${group.port}`);
 *   await group.closed;
 * }
 * console.log(typeof wait); // "function"
 * ```
 */
export interface CoreGroup {
  /** `"primary"` in the process that started the workers, `"worker"` in each worker. */
  readonly role: "primary" | "worker";
  /** This worker (in a worker), or `undefined` (in the primary). */
  readonly worker: CoreWorker | undefined;
  /** This worker's server (in a worker), or `undefined`. */
  readonly server: Server | undefined;
  /** The port every worker listens on. */
  readonly port: number;
  /** How many workers there are. */
  readonly workers: number;
  /** Shuts down gracefully: every worker stops accepting, drains and exits; resolves once all have. */
  close(): Promise<void>;
  /** Resolves once every worker (in a worker: this one) has drained and exited. */
  readonly closed: Promise<void>;
}

/** What the primary and its workers say to each other. */
export type CoreMessage =
  | { listenrainCore: "listening"; port: number }
  | { listenrainCore: "failed"; name: string; message: string }
  | { listenrainCore: "close" }
  | { listenrainCore: "closed" };

/** The primary's end of one worker. */
export interface WorkerLink {
  send(message: CoreMessage): void;
  onMessage(handler: (message: unknown) => void): void;
  /** Resolves with the exit code once the worker is gone. */
  readonly exited: Promise<number | null>;
  /** Ends the worker at once. */
  kill(): void;
}

/** A worker's end of its primary. */
export interface PrimaryLink {
  send(message: CoreMessage): void;
  onMessage(handler: (message: unknown) => void): void;
  /** Calls `handler` if the primary goes away. */
  onLost(handler: () => void): void;
  /** Lets the worker end, once it has drained. */
  done(): void;
}

/** What a runtime supplies. */
export interface CoreRuntime {
  /** The adapter's `listen`. */
  listen(key: string, options: ListenOptions): Promise<Listener>;
  /** Whether workers bind their own `SO_REUSEPORT` listeners (then they follow the first worker's port). */
  reusePort: boolean;
  /** Starts worker `index`. */
  spawn(worker: CoreWorker, port: number): WorkerLink;
  /** Calls `handler` on `SIGTERM` and `SIGINT`; returns what removes it. */
  onSignals(handler: () => void): () => void;
  /** Cores on this host. */
  cores(): number;
}

const DEFAULT_START_TIMEOUT = 30_000;
/** How long after its deadline a worker that has not exited is killed. */
const KILL_GRACE = 5_000;

/** Checks the options; returns the key's parts and the worker count. */
export function checkOptions(
  options: EveryCoreOptions,
  cores: () => number,
): {
  transport: "tcp" | "tls";
  hostname: string;
  port: number;
  workers: number;
} {
  if (typeof options?.server !== "function") {
    throw new TypeError(
      "serveOnEveryCore needs options.server, a function that builds each worker's Server",
    );
  }
  const key = parseKey(options.key);
  if (key.transport === "unix") {
    throw new TypeError(
      `Cannot serve ${
        formatKey(key)
      } on every core: only tcp:// and tls:// keys share a port`,
    );
  }
  const workers = options.workers ?? Math.max(1, cores());
  if (!Number.isInteger(workers) || workers < 1 || workers > 1024) {
    throw new RangeError(
      `workers must be an integer from 1 to 1024, got ${workers}`,
    );
  }
  for (const name of ["deadline", "startTimeout"] as const) {
    const value = options[name];
    if (value !== undefined && !(value >= 0)) {
      throw new RangeError(`${name} must be a number of ms ≥ 0, got ${value}`);
    }
  }
  return {
    transport: key.transport,
    hostname: key.hostname,
    port: key.port,
    workers,
  };
}

function isMessage(
  value: unknown,
  kind: CoreMessage["listenrainCore"],
): boolean {
  return typeof value === "object" && value !== null &&
    (value as { listenrainCore?: unknown }).listenrainCore === kind;
}

function keyAt(
  key: { transport: "tcp" | "tls"; hostname: string },
  port: number,
): string {
  return formatKey({ ...key, port, path: "" });
}

/**
 * In a worker: builds the server, listens, tells the primary, and drains when
 * told to (by the primary, a signal, `options.signal`, or the primary's loss).
 */
export async function runWorker(
  options: EveryCoreOptions,
  runtime: CoreRuntime,
  worker: CoreWorker,
  port: number,
  link: PrimaryLink,
): Promise<CoreGroup> {
  const key = checkOptions(options, runtime.cores);
  let server: Server;
  let listener: Listener;
  try {
    server = await options.server(worker);
    listener = await runtime.listen(keyAt(key, port), {
      ...options.listen,
      ...(runtime.reusePort ? { reusePort: true } : {}),
    });
  } catch (error) {
    const { name, message } = error instanceof Error
      ? error
      : new Error(String(error));
    link.send({ listenrainCore: "failed", name, message });
    link.done();
    throw error;
  }
  void server.serve(listener).catch(() => {});
  let removeSignals = () => {};
  let closing: Promise<void> | undefined;
  let finish!: () => void;
  const closed = new Promise<void>((resolve) => finish = resolve);
  const close = () =>
    closing ??= (async () => {
      removeSignals();
      options.signal?.removeEventListener("abort", close);
      await server.close({ deadline: options.deadline }).catch(() => {});
      link.send({ listenrainCore: "closed" });
      link.done();
      finish();
    })();
  link.onMessage((message) => {
    if (isMessage(message, "close")) void close();
  });
  link.onLost(() => void close());
  if (options.handleSignals ?? true) {
    removeSignals = runtime.onSignals(() => void close());
  }
  if (options.signal?.aborted) void close();
  else options.signal?.addEventListener("abort", close);
  const bound = listener.addr.port ?? port;
  link.send({ listenrainCore: "listening", port: bound });
  return {
    role: "worker",
    worker,
    server,
    port: bound,
    workers: worker.workers,
    close,
    closed,
  };
}

/** Waits for `link`'s worker to listen; resolves with its port. */
function listening(
  link: WorkerLink,
  index: number,
  timeoutMs: number,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new Error(`worker ${index} did not listen within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    link.onMessage((message) => {
      if (isMessage(message, "listening")) {
        clearTimeout(timer);
        resolve((message as { port: number }).port);
      } else if (isMessage(message, "failed")) {
        clearTimeout(timer);
        const { name, message: text } = message as {
          name: string;
          message: string;
        };
        reject(new Error(`worker ${index} could not start: ${name}: ${text}`));
      }
    });
    void link.exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(`worker ${index} exited with ${code} before it listened`),
      );
    });
  });
}

/**
 * In the primary: starts the first worker, then the others on its port, and
 * shuts all down on `close()`, a signal or `options.signal`.
 *
 * @throws {Error} If a worker cannot start (the others are stopped first).
 */
export async function runPrimary(
  options: EveryCoreOptions,
  runtime: CoreRuntime,
): Promise<CoreGroup> {
  const key = checkOptions(options, runtime.cores);
  const { workers } = key;
  const startTimeout = options.startTimeout ?? DEFAULT_START_TIMEOUT;
  const links: WorkerLink[] = [];
  let closing = false;
  const start = (index: number, port: number) => {
    const worker = { index, workers };
    const link = runtime.spawn(worker, port);
    links.push(link);
    void link.exited.then((code) => {
      if (!closing) options.onWorkerExit?.(worker, code);
    });
    return listening(link, index, startTimeout);
  };
  const stop = async () => {
    closing = true;
    const grace = (options.deadline ?? DEFAULT_SHUTDOWN_TIMEOUT) + KILL_GRACE;
    await Promise.all(links.map(async (link) => {
      link.send({ listenrainCore: "close" });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const killed = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          link.kill();
          resolve();
        }, grace);
      });
      await Promise.race([link.exited, killed]);
      clearTimeout(timer);
      await link.exited;
    }));
  };
  let port: number;
  try {
    port = await start(0, key.port);
    const next = runtime.reusePort ? port : key.port;
    await Promise.all(
      Array.from({ length: workers - 1 }, (_, i) => start(i + 1, next)),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  let removeSignals = () => {};
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      removeSignals();
      options.signal?.removeEventListener("abort", close);
      await stop();
    })();
  if (options.handleSignals ?? true) {
    removeSignals = runtime.onSignals(() => void close());
  }
  if (options.signal?.aborted) void close();
  else options.signal?.addEventListener("abort", close);
  const allExited = Promise.all(links.map((link) => link.exited)).then(() => {
    removeSignals();
    options.signal?.removeEventListener("abort", close);
  });
  return {
    role: "primary",
    worker: undefined,
    server: undefined,
    port,
    workers,
    close,
    closed: allExited,
  };
}
