/**
 * The page's script of the one-port examples, bundled by `_app.ts`: a
 * listenrain Client over WebSocket to `/rpc` on the page's own host and port,
 * a call, and the server's pushes, shown in the page.
 *
 * @module
 */

import { Client, jsonBody, Router } from "../../mod.ts";
import { dialWebSocket } from "../../advanced.ts";

const doc = globalThis as unknown as {
  document: { getElementById(id: string): { textContent: string | null } };
  location: { protocol: string; host: string };
};
const out = doc.document.getElementById("out");
const show = (line: string) => out.textContent += `\n${line}`;
const scheme = doc.location.protocol === "https:" ? "wss" : "ws";
const client = new Client({
  endpoint: `${scheme}://${doc.location.host}/rpc`,
  dial: dialWebSocket,
  body: jsonBody,
  router: new Router().handle("tick", (tick: string) => show(`push: ${tick}`)),
});
show(`request: ${await client.request("hello", "browser")}`);
show(`request: ${await client.request("subscribe", "weather")}`);
