/**
 * The worker thread of the seed benchmark: starts the echo server
 * (bench/_seed_server.ts), posts `{ port }` to its parent, and on the message
 * `"close"` closes it and posts `{ closed: true }`. Runs as a web `Worker`
 * (Deno, Bun) or a `node:worker_threads` one (Node).
 *
 * @module
 */

import { serveEcho } from "./_seed_server.ts";

interface Port {
  postMessage(message: unknown): void;
  onMessage(handler: (message: unknown) => void): void;
}

async function parentPort(): Promise<Port> {
  const self = globalThis as unknown as {
    postMessage?: (message: unknown) => void;
    onmessage?: ((event: MessageEvent) => void) | null;
  };
  if (typeof self.postMessage === "function") {
    return {
      postMessage: (message) => self.postMessage!(message),
      onMessage: (handler) => self.onmessage = (event) => handler(event.data),
    };
  }
  const { parentPort } = await import("node:worker_threads");
  if (!parentPort) throw new Error("Not running in a worker thread");
  return {
    postMessage: (message) => parentPort.postMessage(message),
    onMessage: (handler) => parentPort.on("message", handler),
  };
}

const port = await parentPort();
try {
  const server = await serveEcho();
  port.onMessage(async (message) => {
    if (message !== "close") return;
    await server.close();
    port.postMessage({ closed: true });
  });
  port.postMessage({ port: server.port });
} catch (error) {
  port.postMessage({
    error: error instanceof Error ? error.message : String(error),
  });
}
