/**
 * The browser demo's server: one port on 127.0.0.1 serves the page
 * (`index.html`, `app.js`, and `/listenrain.js`, listenrain bundled for the
 * browser by esbuild) and its RPC (`/rpc`, upgraded to a listenrain channel
 * with the Node adapter's `webSocketListener`, the `ws` package underneath).
 * The listenrain `Server` serves `hello`, `double` (answered after a short
 * delay, so replies come back out of order) and `echo` (raw bytes), and
 * pushes `tick` to every page every `tickMs`.
 *
 * Run, then open the printed address in a browser:
 *
 * ```sh
 * node --import tsx examples/browser/server.ts   # http://127.0.0.1:8080/
 * ```
 *
 * @module
 */

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import process from "node:process";
import { build } from "esbuild";
import { jsonBody, rawBody, Router, Server } from "../../mod.ts";
import { refuseUpgrade, webSocketListener } from "../../adapters/node.ts";
import { isMain } from "../_main.ts";

/** The routes the page calls. */
export const router = new Router()
  .handle("hello", (name: string) => `hello, ${name}`)
  .handle("double", async (n: number) => {
    // A delay that differs by request: later requests may finish first.
    await new Promise((resolve) => setTimeout(resolve, (n * 7919) % 20));
    return 2 * n;
  })
  .handle("echo", (bytes: Uint8Array) => bytes, { body: rawBody });

/** Options of {@linkcode startDemo}. */
export interface DemoOptions {
  /** The port on 127.0.0.1; 0 for a free one. @default {0} */
  port?: number;
  /** The period of the `tick` push, in ms. @default {1000} */
  tickMs?: number;
}

/** A running demo server. */
export interface Demo {
  /** `http://127.0.0.1:port`: the page. */
  readonly origin: string;
  /** The port. */
  readonly port: number;
  /** Closes the listenrain server (its connections too) and the HTTP server. */
  close(): Promise<void>;
}

let bundle: Promise<Uint8Array> | undefined;

/** listenrain for the page (`listenrain.ts`), bundled once per process. */
function listenrainBundle(): Promise<Uint8Array> {
  return bundle ??= build({
    entryPoints: [new URL("listenrain.ts", import.meta.url).pathname],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
  }).then((result) => result.outputFiles[0].contents);
}

const FILES: Record<string, [string, string]> = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/index.html": ["index.html", "text/html; charset=utf-8"],
  "/app.js": ["app.js", "text/javascript; charset=utf-8"],
};

/** The body and type of a page file, or undefined. */
async function file(
  pathname: string,
): Promise<[Uint8Array, string] | undefined> {
  if (pathname === "/listenrain.js") {
    return [await listenrainBundle(), "text/javascript; charset=utf-8"];
  }
  const known = FILES[pathname];
  if (known === undefined) return undefined;
  const bytes = await readFile(new URL(known[0], import.meta.url));
  return [new Uint8Array(bytes), known[1]];
}

/**
 * Starts the demo: the page and its RPC on one port.
 *
 * @param options Port and tick period.
 * @returns The running demo.
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  await listenrainBundle();
  const server = new Server({ router, body: jsonBody });
  // Messages of up to 1 MiB (the default maxMessageSize: pages should use
  // the same), and a page may send 4 MiB ahead of what the server has read.
  const rpc = webSocketListener({ window: 4 * 1024 * 1024 });
  server.serve(rpc);
  let n = 0;
  server.runEvery(options.tickMs ?? 1000, () => {
    server.broadcast("tick", { n: ++n, at: new Date().toISOString() });
  });

  const http = createServer(async (request, response) => {
    const { pathname } = new URL(request.url ?? "/", "http://x");
    const found = await file(pathname).catch(() => undefined);
    if (found === undefined) {
      response.writeHead(404).end("not found");
      return;
    }
    response.writeHead(200, {
      "content-type": found[1],
      "cache-control": "no-store",
    });
    response.end(found[0]);
  });
  // The same port: /rpc becomes a listenrain channel, nothing else upgrades.
  // Check the caller here (a cookie, a token) and refuse with 401.
  http.on("upgrade", (request, socket, head) => {
    const { pathname } = new URL(request.url ?? "/", "http://x");
    if (pathname === "/rpc") rpc.upgrade(request, socket, head);
    else refuseUpgrade(socket, 404, "Not Found");
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    async close() {
      rpc.close();
      await server.close({ deadline: 1000 });
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

if (isMain(import.meta)) {
  const demo = await startDemo({ port: Number(process.argv[2] ?? 8080) });
  console.log(`listenrain browser demo: open ${demo.origin}/`);
  process.once("SIGINT", () => demo.close());
}
