/**
 * One port on Node: a `node:http` server answers the page and its script,
 * and its `upgrade` event hands `/rpc` to the adapter's `webSocketListener`
 * (the `ws` package's `handleUpgrade`); a listenrain `Server` serves the
 * channels.
 *
 * ```sh
 * node --import tsx examples/websocket/node.ts 8080   # then open http://127.0.0.1:8080/
 * ```
 *
 * @module
 */

import { createServer } from "node:http";
import process from "node:process";
import { jsonBody, Server } from "../../mod.ts";
import { refuseUpgrade, webSocketListener } from "../../adapters/node.ts";
import { isMain } from "../_main.ts";
import { PAGE, pageScript, router, TYPES } from "./_app.ts";

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
  const http = createServer((request, response) => {
    const { pathname } = new URL(request.url ?? "/", "http://x");
    const [status, headers, body] = pathname === "/app.js"
      ? [200, TYPES.js, script]
      : pathname === "/"
      ? [200, TYPES.html, PAGE]
      : [404, {}, "not found"];
    response.writeHead(status, headers).end(body);
  });
  http.on("upgrade", (request, socket, head) => {
    const { pathname } = new URL(request.url ?? "/", "http://x");
    // Check the caller here (a cookie, a token) and refuse with 401 if wrong.
    if (pathname === "/rpc") rpc.upgrade(request, socket, head);
    else refuseUpgrade(socket, 404, "Not Found");
  });
  await new Promise<void>((resolve) => http.listen(port, "127.0.0.1", resolve));
  const address = http.address();
  const bound = typeof address === "object" && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${bound}/`,
    async close() {
      await server.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

if (isMain(import.meta)) {
  const { url } = await main(Number(process.argv[2] ?? 8080));
  console.log(`page and RPC on ${url} (rpc: ${url.replace("http", "ws")}rpc)`);
}
