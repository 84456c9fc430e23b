/**
 * One port for a page and its RPC, on the runtime running the test, as a
 * user writes it: the runtime's own HTTP server answers `/` with a page and
 * upgrades `/rpc` to a listenrain channel when the query's token is
 * `secret` (401 otherwise), attaching `{ user: "ada" }` as the channel's
 * info.
 *
 * @module
 */

import type { Listener } from "../../src/channel/channel.ts";
import type { WebSocketListenerOptions } from "../../adapters/_ws_listener.ts";
import { detectRuntime } from "../../adapters/runtime.ts";

/** A running HTTP server with its WebSocket listener. */
export interface WsHttpServer {
  /** The listener to give `server.serve()`. */
  listener: Listener;
  /** `http://127.0.0.1:port`. */
  origin: string;
  /** Stops the HTTP server. */
  close(): Promise<void>;
}

const PAGE = "<!doctype html><title>listenrain</title>";

/** The caller's check at the upgrade: a token in the query. */
function authorized(url: URL): boolean {
  return url.searchParams.get("token") === "secret";
}

/**
 * Starts the server on a free port of 127.0.0.1.
 *
 * @param options The WebSocket listener's options.
 * @returns The server.
 */
export async function startWsHttp(
  options: WebSocketListenerOptions = {},
): Promise<WsHttpServer> {
  const runtime = detectRuntime();
  const info = { user: "ada" };
  if (runtime === "deno") {
    const { webSocketListener } = await import("../../adapters/deno.ts");
    const rpc = webSocketListener(options);
    // deno-lint-ignore no-explicit-any
    const server = (globalThis as any).Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (
        request: Request,
        conn: { remoteAddr: { hostname: string; port: number } },
      ) => {
        const url = new URL(request.url);
        if (url.pathname !== "/rpc") return new Response(PAGE);
        if (!authorized(url)) return new Response("no", { status: 401 });
        return rpc.upgrade(request, { info, remoteAddr: conn.remoteAddr });
      },
    );
    return {
      listener: rpc,
      origin: `http://127.0.0.1:${server.addr.port}`,
      close: () => server.shutdown(),
    };
  }
  if (runtime === "bun") {
    const { webSocketListener } = await import("../../adapters/bun.ts");
    const rpc = webSocketListener(options);
    // deno-lint-ignore no-explicit-any
    const server = (globalThis as any).Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      // deno-lint-ignore no-explicit-any
      fetch(request: Request, bunServer: any) {
        const url = new URL(request.url);
        if (url.pathname !== "/rpc") return new Response(PAGE);
        if (!authorized(url)) return new Response("no", { status: 401 });
        return rpc.upgrade(request, bunServer, { info });
      },
      websocket: rpc.websocket,
    });
    return {
      listener: rpc,
      origin: `http://127.0.0.1:${server.port}`,
      close: () => server.stop(true),
    };
  }
  const { refuseUpgrade, webSocketListener } = await import(
    "../../adapters/node.ts"
  );
  const { createServer } = await import("node:http");
  const rpc = webSocketListener(options);
  const server = createServer((_request, response) => response.end(PAGE));
  server.on("upgrade", (request, socket, head) => {
    const url = new URL(request.url ?? "/", "http://x");
    if (url.pathname !== "/rpc") return refuseUpgrade(socket, 404, "Not Found");
    if (!authorized(url)) return refuseUpgrade(socket, 401, "Unauthorized");
    rpc.upgrade(request, socket, head, { info });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    listener: rpc,
    origin: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
