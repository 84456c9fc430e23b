// The demo page's module, loaded by a plain <script type="module"> with no
// bundler: it imports listenrain from /listenrain.js, the bundle server.ts
// builds with esbuild (a page built with a bundler imports "listenrain" and
// "listenrain/advanced" instead). It calls the `hello` route over a
// WebSocket to the page's own origin, shows the reply, and shows each `tick`
// the server pushes. The browser test imports this module too, to use the
// same client.

import { Client, dialWebSocket, jsonBody, Router } from "/listenrain.js";

const show = (id, text) => {
  document.getElementById(id).textContent = text;
};

/** What the page received, for the browser test. */
export const received = { ticks: 0, last: null };

/** The page's client: one WebSocket to /rpc, reconnected when it drops. */
export const client = new Client({
  endpoint: `${
    location.protocol === "https:" ? "wss" : "ws"
  }://${location.host}/rpc`,
  dial: dialWebSocket,
  body: jsonBody,
  // Routes the server calls on the page: server push.
  router: new Router().handle("tick", (tick) => {
    received.ticks++;
    received.last = tick;
    show("push", `tick ${tick.n} at ${tick.at}`);
  }),
});

try {
  show("reply", await client.request("hello", "browser"));
} catch (error) {
  show("error", `${error.name}: ${error.message}`);
}
