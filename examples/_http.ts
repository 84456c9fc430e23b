/**
 * `serveHttp(port, handler)`: a small HTTP server on 127.0.0.1 with the
 * runtime's own API (`Deno.serve`, `Bun.serve` or `node:http`), for the
 * examples that expose something over HTTP. The runtime is detected in one
 * place, bench/_runtime.ts; the Deno and Bun APIs are typed as the small
 * local interfaces below.
 *
 * @module
 */

import { createServer } from "node:http";
import { detectRuntime } from "../adapters/runtime.ts";

/** Answers one request. */
export type HttpHandler = (request: Request) => Response | Promise<Response>;

/** A running HTTP server. */
export interface HttpServer {
  /** Its origin, like `http://127.0.0.1:9464`. */
  readonly origin: string;
  /** Stops it and closes its connections. */
  close(): Promise<void>;
}

interface DenoServe {
  serve(
    options: {
      hostname: string;
      port: number;
      onListen?: (addr: { port: number }) => void;
    },
    handler: HttpHandler,
  ): { addr: { port: number }; shutdown(): Promise<void> };
}

interface BunServe {
  serve(options: {
    hostname: string;
    port: number;
    fetch: HttpHandler;
  }): { port: number; stop(closeActive?: boolean): void | Promise<void> };
}

/**
 * Serves `handler` on 127.0.0.1.
 *
 * @param port The port; 0 for a free one.
 * @param handler Answers each request.
 * @returns The server, once it listens.
 */
export async function serveHttp(
  port: number,
  handler: HttpHandler,
): Promise<HttpServer> {
  const hostname = "127.0.0.1";
  const runtime = detectRuntime();
  if (runtime === "deno") {
    const deno = (globalThis as unknown as { Deno: DenoServe }).Deno;
    const server = deno.serve({ hostname, port, onListen: () => {} }, handler);
    return {
      origin: `http://${hostname}:${server.addr.port}`,
      close: () => server.shutdown(),
    };
  }
  if (runtime === "bun") {
    const bun = (globalThis as unknown as { Bun: BunServe }).Bun;
    const server = bun.serve({ hostname, port, fetch: handler });
    return {
      origin: `http://${hostname}:${server.port}`,
      close: async () => await server.stop(true),
    };
  }
  const server = createServer(async (incoming, outgoing) => {
    const response = await handler(
      new Request(`http://${hostname}${incoming.url ?? "/"}`, {
        method: incoming.method,
      }),
    );
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    outgoing.end(new Uint8Array(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, resolve);
  });
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  return {
    origin: `http://${hostname}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
