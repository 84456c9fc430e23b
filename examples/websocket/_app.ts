/**
 * What the three one-port examples (bun.ts, deno.ts, node.ts) share: the
 * routes, the HTML page, and the page's script (browser.ts bundled for the
 * browser by esbuild, once, at startup). Each example serves `/` (the page),
 * `/app.js` (the script) and `/rpc` (listenrain over WebSocket) on one port.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { Router } from "../../mod.ts";

/**
 * The server's routes: `hello` answers, `subscribe` pushes three `tick`s to
 * the caller (server push), then answers.
 */
export const router: Router = new Router()
  .handle("hello", (name: string) => `hello, ${name}`)
  .handle("subscribe", async (topic: string, ctx) => {
    for (let n = 1; n <= 3; n++) {
      await ctx.connection.notify("tick", `${topic} ${n}`);
    }
    return `subscribed to ${topic}`;
  });

/** The page: its script dials `/rpc` on the same host and port. */
export const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>listenrain over WebSocket</title>
<h1>listenrain over WebSocket</h1>
<p>The page and its RPC share one port: <code>/rpc</code> is upgraded to a listenrain channel.</p>
<pre id="out">calling…</pre>
<script type="module" src="/app.js"></script>
`;

/** The `content-type` of the page and of the script. */
export const TYPES = {
  html: { "content-type": "text/html; charset=utf-8" },
  js: { "content-type": "text/javascript; charset=utf-8" },
} as const;

interface Esbuild {
  build(options: object): Promise<{ outputFiles: { text: string }[] }>;
}

/**
 * The page's script: browser.ts and the listenrain code it imports, bundled
 * for the browser (ES modules, no Node, Deno or Bun API).
 *
 * @returns The JavaScript.
 */
export async function pageScript(): Promise<string> {
  const esbuild = await import("esbuild") as unknown as Esbuild;
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(new URL("./browser.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
  });
  return result.outputFiles[0].text;
}
