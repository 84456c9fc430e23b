/**
 * WebSocket on Deno: `Deno.upgradeWebSocket` inside the user's
 * `Deno.serve`, and `listen("ws://…")` as a `Deno.serve` of its own.
 * Private to `adapters/`; `adapters/deno.ts` exports the public names.
 *
 * @module
 */

import type { Channel, Listener } from "../src/channel/channel.ts";
import type { TransportKey } from "../src/channel/transport_key.ts";
import {
  dialWebSocket,
  webSocketChannel,
  type WebSocketLike,
  webSocketLimits,
} from "../src/channel/websocket_channel.ts";
import { denoWebSocketClass } from "./_deno_ws_client.ts";
import {
  refusedResponse,
  WebSocketListenerBase,
  type WebSocketListenerOptions,
  type WebSocketUpgradeOptions,
} from "./_ws_listener.ts";

interface DenoWebSocketRuntime {
  upgradeWebSocket(request: Request): {
    socket: WebSocketLike;
    response: Response;
  };
  serve(
    options: {
      hostname?: string;
      port?: number;
      cert?: string;
      key?: string;
      onListen?: (addr: { port: number }) => void;
    },
    handler: (
      request: Request,
      info: { remoteAddr: { hostname: string; port: number } },
    ) => Response | Promise<Response>,
  ): { addr: { hostname: string; port: number }; shutdown(): Promise<void> };
}

function runtime(): DenoWebSocketRuntime {
  const denoGlobal = (globalThis as { Deno?: DenoWebSocketRuntime }).Deno;
  if (denoGlobal === undefined) {
    throw new Error(
      "adapters/deno.ts needs the Deno runtime: use adapters/bun.ts or adapters/node.ts",
    );
  }
  return denoGlobal;
}

/**
 * A listener fed by `Deno.serve`: each `upgrade(request)` answers the
 * request with the WebSocket handshake and yields a channel.
 *
 * @example Refusing a request that is no upgrade
 * ```ts
 * import { DenoWebSocketListener } from "listenrain/adapters/deno";
 * const rpc = new DenoWebSocketListener({ addr: "ws://127.0.0.1:8080/rpc" });
 * console.log(rpc.upgrade(new Request("http://127.0.0.1:8080/rpc")).status); // 400
 * rpc.close();
 * ```
 */
export class DenoWebSocketListener extends WebSocketListenerBase {
  /**
   * Upgrades `request` to a listenrain channel: return the response from
   * your `Deno.serve` handler. Check the caller first (a header, a cookie, a
   * token in the query) and answer 401 yourself when it fails.
   *
   * @param request The HTTP request (`Upgrade: websocket`).
   * @param options `info` for handlers, `remoteAddr` (the handler's
   *   `info.remoteAddr`).
   * @returns The 101 response; 400 if the request is no WebSocket upgrade,
   *   503 once the listener is closed.
   */
  upgrade(request: Request, options: WebSocketUpgradeOptions = {}): Response {
    if (this.refusing) return refusedResponse();
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("listenrain: expected a WebSocket upgrade", {
        status: 400,
      });
    }
    const { socket, response } = runtime().upgradeWebSocket(request);
    const [localAddr, remoteAddr] = this.addrs(options.remoteAddr);
    this.accept(webSocketChannel(socket, {
      ...this.limits,
      localAddr,
      remoteAddr,
      info: options.info,
    }));
    return response;
  }
}

/**
 * A WebSocket listener for your `Deno.serve` handler.
 *
 * @param options Channel limits, backlog, the address it reports.
 * @returns The listener: give it to `server.serve()`, and call its
 *   `upgrade(request)` from the HTTP handler.
 *
 * @example One port for the page and the RPC
 * ```ts
 * import { Router, Server, textBody } from "listenrain";
 * import { webSocketListener } from "listenrain/adapters/deno";
 *
 * const router = new Router().handle("hi", (name: string) => `hi ${name}`);
 * await using server = new Server({ router, body: textBody });
 * const rpc = webSocketListener();
 * server.serve(rpc);
 * const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request, info) =>
 *   new URL(request.url).pathname === "/rpc"
 *     ? rpc.upgrade(request, { remoteAddr: info.remoteAddr })
 *     : new Response("<!doctype html><title>page</title>", { headers: { "content-type": "text/html" } }));
 * await http.shutdown();
 * ```
 */
export function webSocketListener(
  options: WebSocketListenerOptions = {},
): DenoWebSocketListener {
  return new DenoWebSocketListener(options);
}

/**
 * `dial("ws://…")` and `dial("wss://…")` on Deno: the channel over the
 * adapter's own WebSocket client (`_deno_ws_client.ts`: `TCP_NODELAY` set,
 * `tls.caCerts` trusted), not Deno's global `WebSocket`.
 *
 * @param key The parsed key.
 * @param options `signal`, and `tls.caCerts` for `wss://`.
 * @returns The channel, once the socket is open.
 */
export function dialDenoWebSocket(
  key: TransportKey,
  options: { signal?: AbortSignal; tls?: { caCerts?: string[] } },
): Promise<Channel> {
  const { maxMessageSize } = webSocketLimits({});
  return dialWebSocket(key, {
    signal: options.signal,
    WebSocket: denoWebSocketClass({
      caCerts: options.tls?.caCerts,
      maxMessageSize,
    }),
  });
}

/**
 * `listen("ws://host:port/path")` (or `wss://` with `tls: { cert, key }`):
 * a `Deno.serve` that upgrades requests for the key's path and answers 404
 * to the rest; `close()` shuts it down (channels already open stay).
 *
 * @param key The parsed key.
 * @param options Channel limits, backlog, and `tls` for `wss://`.
 * @returns The listener, with the bound port in `addr`.
 */
export function listenWebSocket(
  key: TransportKey,
  options: WebSocketListenerOptions & {
    tls?: { cert: string; key: string; caCerts?: string[] };
  },
): Promise<Listener> {
  const { tls, ...limits } = options;
  if (key.transport === "wss" && tls === undefined) {
    throw new TypeError(
      `Cannot listen on ${key}: options.tls (cert and key) is required`,
    );
  }
  const pathname = new URL(key.path, "http://x").pathname;
  const target: { rpc?: DenoWebSocketListener } = {};
  const server = runtime().serve(
    {
      hostname: key.hostname,
      port: key.port,
      ...(key.transport === "wss" ? { cert: tls!.cert, key: tls!.key } : {}),
      onListen() {},
    },
    (request, info) =>
      new URL(request.url).pathname === pathname
        ? target.rpc!.upgrade(request, { remoteAddr: info.remoteAddr })
        : new Response("not found", { status: 404 }),
  );
  const host = key.hostname.includes(":") ? `[${key.hostname}]` : key.hostname;
  const rpc = target.rpc = new DenoWebSocketListener({
    ...limits,
    addr: `${key.transport}://${host}:${server.addr.port}${key.path}`,
  });
  const close = rpc.close.bind(rpc);
  Object.defineProperty(rpc, "close", {
    value() {
      close();
      server.shutdown().catch(() => {});
    },
  });
  return Promise.resolve(rpc);
}
