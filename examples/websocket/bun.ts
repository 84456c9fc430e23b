/**
 * One port on Bun: `Bun.serve` answers the page and its script from
 * `fetch`, upgrades `/rpc` (through the adapter's `webSocketListener`), and
 * takes the listener's `websocket` handlers (with `drain` and
 * `backpressureLimit`); a listenrain `Server` serves the channels.
 *
 * ```sh
 * bun examples/websocket/bun.ts 8080   # then open http://127.0.0.1:8080/
 * ```
 *
 * @module
 */

import process from "node:process";
import { jsonBody, Server } from "../../mod.ts";
import { type BunServer, webSocketListener } from "../../adapters/bun.ts";
import { isMain } from "../_main.ts";
import { PAGE, pageScript, router, TYPES } from "./_app.ts";

/** Bun's global, as far as this example uses it (bun-types has it all). */
interface BunServe {
  serve(options: {
    hostname: string;
    port: number;
    fetch(request: Request, server: BunServer): Response | undefined;
    websocket: object;
  }): { port: number; stop(closeActive?: boolean): Promise<void> | void };
}

/** A running example. */
export interface OnePort {
  /** The page's URL, like `http://127.0.0.1:8080/`. */
  readonly url: string;
  /** Stops the listenrain server (gracefully), then the HTTP server. */
  close(): Promise<void>;
}

/**
 * Starts the example.
 *
 * @param port The port on 127.0.0.1 (0: any free port).
 * @returns The URL and `close()`.
 */
export async function main(port = 8080): Promise<OnePort> {
  const Bun = (globalThis as unknown as { Bun: BunServe }).Bun;
  const script = await pageScript();
  const server = new Server({ router, body: jsonBody });
  const rpc = webSocketListener({ addr: `ws://127.0.0.1:${port}/rpc` });
  server.serve(rpc);
  const http = Bun.serve({
    hostname: "127.0.0.1",
    port,
    fetch(request, bunServer) {
      const { pathname } = new URL(request.url);
      if (pathname === "/rpc") {
        // Check the caller here (a cookie, a token) and answer 401 if wrong.
        return rpc.upgrade(request, bunServer);
      }
      if (pathname === "/app.js") {
        return new Response(script, { headers: TYPES.js });
      }
      if (pathname === "/") return new Response(PAGE, { headers: TYPES.html });
      return new Response("not found", { status: 404 });
    },
    websocket: rpc.websocket,
  });
  return {
    url: `http://127.0.0.1:${http.port}/`,
    async close() {
      await server.close();
      await http.stop(true);
    },
  };
}

if (isMain(import.meta)) {
  const { url } = await main(Number(process.argv[2] ?? 8080));
  console.log(`page and RPC on ${url} (rpc: ${url.replace("http", "ws")}rpc)`);
}
