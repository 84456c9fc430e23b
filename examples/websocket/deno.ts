/**
 * One port on Deno: `Deno.serve` answers the page and its script, and
 * upgrades `/rpc` with `Deno.upgradeWebSocket` (through the adapter's
 * `webSocketListener`) to a listenrain channel that a `Server` serves.
 *
 * ```sh
 * deno run -A examples/websocket/deno.ts 8080   # then open http://127.0.0.1:8080/
 * ```
 *
 * @module
 */

import { jsonBody, Server } from "../../mod.ts";
import { webSocketListener } from "../../adapters/deno.ts";
import { isMain } from "../_main.ts";
import { PAGE, pageScript, router, TYPES } from "./_app.ts";

/** Deno's global, as far as this example uses it (typed here for tsc too). */
interface DenoServe {
  args: string[];
  serve(
    options: { hostname: string; port: number; onListen(): void },
    handler: (
      request: Request,
      info: { remoteAddr: { hostname: string; port: number } },
    ) => Response,
  ): { addr: { port: number }; shutdown(): Promise<void> };
}
const Deno = (globalThis as unknown as { Deno: DenoServe }).Deno;

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
  const script = await pageScript();
  const server = new Server({ router, body: jsonBody });
  const rpc = webSocketListener({ addr: `ws://127.0.0.1:${port}/rpc` });
  server.serve(rpc);
  const http = Deno.serve(
    { hostname: "127.0.0.1", port, onListen() {} },
    (request, info) => {
      const { pathname } = new URL(request.url);
      if (pathname === "/rpc") {
        // Check the caller here (a cookie, a token) and answer 401 if wrong.
        return rpc.upgrade(request, { remoteAddr: info.remoteAddr });
      }
      if (pathname === "/app.js") {
        return new Response(script, { headers: TYPES.js });
      }
      if (pathname === "/") return new Response(PAGE, { headers: TYPES.html });
      return new Response("not found", { status: 404 });
    },
  );
  return {
    url: `http://127.0.0.1:${http.addr.port}/`,
    async close() {
      await server.close();
      await http.shutdown();
    },
  };
}

if (isMain(import.meta)) {
  const { url } = await main(Number(Deno.args[0] ?? 8080));
  console.log(`page and RPC on ${url} (rpc: ${url.replace("http", "ws")}rpc)`);
}
