/**
 * The server of the seed benchmark (bench/seed_table.ts): listenrain's echo
 * route on 127.0.0.1, any free port, either on the calling thread or in a
 * `Worker` of its own (bench/_seed_worker.ts), so that server and client use
 * two cores of one process as the Go library's benchmark does. The web
 * `Worker` where the runtime has one (Deno, Bun), `node:worker_threads` on
 * Node.
 *
 * @module
 */

import { Connection } from "../src/connection/connection.ts";
import { Router } from "../src/transport/router.ts";
import { detectRuntime, loadAdapter } from "../adapters/runtime.ts";

/** A running echo server. */
export interface EchoServer {
  /** The bound port on 127.0.0.1. */
  port: number;
  /** Where it runs: `"main thread"` or the kind of worker. */
  where: string;
  /** Closes the listener and every connection (and ends the worker). */
  close(): Promise<void>;
}

/**
 * Serves the "echo" route on this thread.
 *
 * @returns The server.
 */
export async function serveEcho(): Promise<EchoServer> {
  const adapter = await loadAdapter(detectRuntime());
  const listener = await adapter.listen("tcp://127.0.0.1:0");
  const router = new Router().handle("echo", (body: Uint8Array) => body);
  const connections: Connection[] = [];
  const accepting = (async () => {
    for await (const channel of listener) {
      connections.push(new Connection(channel, { router }));
    }
  })();
  return {
    port: listener.addr.port!,
    where: "main thread",
    async close() {
      listener.close();
      await Promise.all(connections.map((c) => c.close()));
      await accepting.catch(() => {});
    },
  };
}

/** The worker's side of the conversation: `{ port }`, then `{ closed }`. */
interface Reply {
  port?: number;
  closed?: boolean;
  error?: string;
}

/** What both kinds of worker offer here. */
interface AnyWorker {
  post(message: string): void;
  terminate(): void;
}

/**
 * Serves the "echo" route in a new worker thread.
 *
 * @returns The server; `close()` closes it and terminates the worker.
 * @throws {Error} If the worker fails to start the server within 30 s.
 */
export async function serveEchoInWorker(): Promise<EchoServer> {
  // The Node benchmark runs as JavaScript built by tsc, which rewrites
  // import specifiers but not this URL.
  const ext = import.meta.url.endsWith(".ts") ? "ts" : "js";
  const url = new URL(`./_seed_worker.${ext}`, import.meta.url);
  const replies: Reply[] = [];
  const waiters: ((reply: Reply) => void)[] = [];
  const deliver = (reply: Reply) => {
    const waiter = waiters.shift();
    if (waiter) waiter(reply);
    else replies.push(reply);
  };
  const next = (seconds: number) =>
    new Promise<Reply>((resolve, reject) => {
      const queued = replies.shift();
      if (queued) return resolve(queued);
      const timer = setTimeout(
        () =>
          reject(new Error(`No answer from the server worker in ${seconds} s`)),
        seconds * 1000,
      );
      waiters.push((reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
  let worker: AnyWorker;
  let where: string;
  const WebWorker = (globalThis as { Worker?: typeof Worker }).Worker;
  if (typeof WebWorker === "function") {
    const web = new WebWorker(url, { type: "module" });
    web.onmessage = (event: MessageEvent<Reply>) => deliver(event.data);
    web.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      deliver({ error: event.message });
    };
    worker = {
      post: (m) => web.postMessage(m),
      terminate: () => web.terminate(),
    };
    where = "a web Worker";
  } else {
    const threads = await import("node:worker_threads");
    // Under tsx (tests), the worker registers tsx's loader before it loads
    // the TypeScript file; npm start runs the tsc build and needs none.
    const node = ext === "js" ? new threads.Worker(url) : new threads.Worker(
      `import("tsx/esm/api").then(({ register }) => { register(); return import(${
        JSON.stringify(url.href)
      }); });`,
      { eval: true },
    );
    node.on("message", deliver);
    node.on("error", (error: Error) => deliver({ error: error.message }));
    worker = {
      post: (m) => node.postMessage(m),
      terminate: () => void node.terminate(),
    };
    where = "a node:worker_threads Worker";
  }
  const ready = await next(30);
  if (ready.port === undefined) {
    worker.terminate();
    throw new Error(`The server worker failed: ${ready.error ?? "no port"}`);
  }
  return {
    port: ready.port,
    where,
    async close() {
      worker.post("close");
      await next(10).catch(() => {});
      worker.terminate();
    },
  };
}
