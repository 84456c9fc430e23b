/**
 * WebSocket on Bun: `Bun.serve`'s `websocket` handlers and
 * `server.upgrade()` inside the user's own `fetch`, and
 * `listen("ws://…")` as a `Bun.serve` of its own. Private to `adapters/`;
 * `adapters/bun.ts` exports the public names.
 *
 * Bun's server sockets are not web `WebSocket`s: the channel is the core's
 * `MessageChannel`, fed by the handlers. `send()` returning `-1` means
 * queued over the backpressure; `drain` wakes a waiting write; `0` (dropped)
 * cannot happen, since `backpressureLimit` is set above the channel's
 * high-water mark plus its largest message.
 *
 * @module
 */

import type { Listener } from "../src/channel/channel.ts";
import type { TransportKey } from "../src/channel/transport_key.ts";
import { rememberInfo } from "../src/channel/websocket_channel.ts";
import { MessageChannel } from "../src/channel/_websocket_core.ts";
import {
  refusedResponse,
  WebSocketListenerBase,
  type WebSocketListenerOptions,
  type WebSocketUpgradeOptions,
} from "./_ws_listener.ts";

/**
 * What a Bun server socket's `data` holds for listenrain.
 *
 * @example What `upgrade()` attaches to the socket
 * ```ts
 * import { type BunSocketData, webSocketListener } from "listenrain/adapters/bun";
 *
 * const rpc = webSocketListener();
 * let data: BunSocketData | undefined;
 * const server = {
 *   upgrade: (_request: Request, options: { data: BunSocketData }) => {
 *     data = options.data;
 *     return true;
 *   },
 *   requestIP: () => ({ address: "127.0.0.1", port: 51234 }),
 * };
 * rpc.upgrade(new Request("http://127.0.0.1:3000/rpc"), server, { info: { user: "ada" } });
 * console.log(data?.options.info); // { user: "ada" }
 * console.log(data?.listener === rpc); // true
 * rpc.close();
 * ```
 */
export interface BunSocketData {
  /** The listener that upgraded it. */
  listener: BunWebSocketListener;
  /** The upgrade's `info` and the peer's address. */
  options: WebSocketUpgradeOptions;
  /** The channel, once open. */
  channel?: { received(message: string | Uint8Array): void };
}

const channels = new WeakMap<BunSocketData, MessageChannel>();

/**
 * A Bun `ServerWebSocket` (the parts used).
 *
 * @example Opening a channel with a stand-in socket (in a test)
 * ```ts
 * import { type BunServerWebSocket, webSocketListener } from "listenrain/adapters/bun";
 *
 * const rpc = webSocketListener();
 * const ws: BunServerWebSocket = {
 *   data: { listener: rpc, options: { info: "ada" } },
 *   send: (data) => data.length,
 *   close() {},
 *   getBufferedAmount: () => 0,
 * };
 * rpc.websocket.open(ws);
 * for await (const channel of rpc) {
 *   console.log(channel.remoteAddr.transport); // "ws"
 *   channel.close();
 *   break;
 * }
 * rpc.close();
 * ```
 */
export interface BunServerWebSocket {
  /** What the upgrade attached. */
  readonly data: BunSocketData;
  /** Sends: bytes sent, `-1` queued over the backpressure, `0` dropped. */
  send(data: Uint8Array): number;
  /** Closes. */
  close(code?: number, reason?: string): void;
  /** Bytes queued. */
  getBufferedAmount(): number;
}

/**
 * A Bun `Server` (the parts used).
 *
 * @example A stand-in server that is asked to upgrade (in a test)
 * ```ts
 * import { type BunServer, webSocketListener } from "listenrain/adapters/bun";
 *
 * const rpc = webSocketListener();
 * const upgraded: Request[] = [];
 * const server: BunServer = {
 *   upgrade: (request) => upgraded.push(request) > 0,
 *   requestIP: () => ({ address: "127.0.0.1", port: 51234 }),
 * };
 * const response = rpc.upgrade(new Request("http://127.0.0.1:3000/rpc"), server);
 * console.log(response); // undefined
 * console.log(upgraded.length); // 1
 * rpc.close();
 * ```
 */
export interface BunServer {
  /** Upgrades the request; `false` if it is no WebSocket upgrade. */
  upgrade(request: Request, options: { data: BunSocketData }): boolean;
  /** The peer's address. */
  requestIP(request: Request): { address: string; port: number } | null;
}

/**
 * The `websocket` option of `Bun.serve`, as the listener makes it.
 *
 * @example Bun enforces the channel's largest message
 * ```ts
 * import { webSocketListener } from "listenrain/adapters/bun";
 *
 * const rpc = webSocketListener({ maxMessageSize: 64 * 1024 });
 * // Bun.serve({ fetch, websocket: rpc.websocket })
 * console.log(rpc.websocket.maxPayloadLength); // 65536
 * console.log(rpc.websocket.closeOnBackpressureLimit); // false
 * rpc.close();
 * ```
 */
export interface BunWebSocketHandlers {
  /** Makes the channel. */
  open(ws: BunServerWebSocket): void;
  /** Feeds it. */
  message(ws: BunServerWebSocket, message: string | Uint8Array): void;
  /** Wakes a waiting write. */
  drain(ws: BunServerWebSocket): void;
  /** Ends it. */
  close(ws: BunServerWebSocket, code: number, reason: string): void;
  /** The channel's `maxMessageSize`: Bun closes with 1009 past it. */
  maxPayloadLength: number;
  /** Above the channel's high-water mark plus its largest message. */
  backpressureLimit: number;
  /** `false`: the channel waits for `drain` instead. */
  closeOnBackpressureLimit: false;
}

/**
 * A listener fed by `Bun.serve`: pass its {@linkcode websocket} handlers as
 * the server's `websocket` option and call {@linkcode upgrade} from `fetch`.
 *
 * @example Refusing a request that is no upgrade, and once closed
 * ```ts
 * import { type BunServer, BunWebSocketListener } from "listenrain/adapters/bun";
 *
 * const rpc = new BunWebSocketListener({ addr: "ws://127.0.0.1:3000/rpc" });
 * // A stand-in for the `server` argument of `fetch`: no WebSocket upgrade.
 * const server: BunServer = { upgrade: () => false, requestIP: () => null };
 * const request = () => new Request("http://127.0.0.1:3000/rpc");
 * console.log(rpc.upgrade(request(), server)?.status); // 400
 * rpc.close();
 * console.log(rpc.upgrade(request(), server)?.status); // 503
 * ```
 */
export class BunWebSocketListener extends WebSocketListenerBase {
  /** The `websocket` option for `Bun.serve`. */
  readonly websocket: BunWebSocketHandlers;

  /**
   * Makes the listener and its handlers.
   *
   * @param options Channel limits, backlog, the address it reports.
   */
  constructor(options: WebSocketListenerOptions = {}) {
    super(options);
    const limits = this.limits;
    this.websocket = {
      open(ws) {
        const { listener, options } = ws.data;
        const [localAddr, remoteAddr] = listener.addrs(options.remoteAddr);
        const channel = new MessageChannel(
          {
            send: (message) => ws.send(message) !== 0,
            bufferedAmount: () => ws.getBufferedAmount(),
            close: (code, reason) => ws.close(code, reason),
            // Bun copies a message into its own buffer before send returns.
            copies: true,
          },
          listener.limits,
          localAddr,
          remoteAddr,
          options.info,
        );
        rememberInfo(remoteAddr, options.info);
        channels.set(ws.data, channel);
        ws.data.channel = channel;
        channel.opened();
        listener.accept(channel);
      },
      message: (ws, message) => ws.data.channel?.received(message),
      drain: (ws) => channels.get(ws.data)?.drained(),
      close: (ws, code, reason) =>
        channels.get(ws.data)?.ended(
          // Bun reports its own maxPayloadLength as 1006 "Received too big message".
          code === 1006 && /too big/i.test(reason) ? 1009 : code,
          reason,
        ),
      maxPayloadLength: limits.maxMessageSize,
      backpressureLimit: limits.highWaterMark + 2 * limits.maxMessageSize +
        64 * 1024,
      closeOnBackpressureLimit: false,
    };
  }

  /**
   * Upgrades `request` to a listenrain channel, from your `fetch(request,
   * server)`. Check the caller first (a header, a cookie, a token in the
   * query) and answer 401 yourself when it fails.
   *
   * @param request The HTTP request (`Upgrade: websocket`).
   * @param server The `server` argument of `fetch`.
   * @param options `info` for handlers (`webSocketInfo(ctx)`).
   * @returns `undefined` once upgraded (return it from `fetch`, as Bun
   *   wants); 400 if the request is no WebSocket upgrade, 503 once the
   *   listener is closed.
   */
  upgrade(
    request: Request,
    server: BunServer,
    options: Omit<WebSocketUpgradeOptions, "remoteAddr"> = {},
  ): Response | undefined {
    if (this.refusing) return refusedResponse();
    const ip = server.requestIP(request);
    const data: BunSocketData = {
      listener: this,
      options: {
        info: options.info,
        remoteAddr: ip === null
          ? undefined
          : { hostname: ip.address, port: ip.port },
      },
    };
    return server.upgrade(request, { data }) ? undefined : new Response(
      "listenrain: expected a WebSocket upgrade",
      { status: 400 },
    );
  }
}

/**
 * A WebSocket listener for your `Bun.serve`.
 *
 * @param options Channel limits, backlog, the address it reports.
 * @returns The listener: give it to `server.serve()`, its `websocket` to
 *   `Bun.serve`, and call its `upgrade(request, server)` from `fetch`.
 *
 * @example One port for the page and the RPC
 * ```ts
 * import { Router, Server, textBody } from "listenrain";
 * import { type BunServer, webSocketListener } from "listenrain/adapters/bun";
 *
 * // Bun's global, as bun-types declares it (the part used here).
 * declare const Bun: {
 *   serve(options: {
 *     hostname: string;
 *     port: number;
 *     fetch(request: Request, server: BunServer): Response | undefined;
 *     websocket: object;
 *   }): { stop(): Promise<void> };
 * };
 * const router = new Router().handle("hi", (name: string) => `hi ${name}`);
 * await using server = new Server({ router, body: textBody });
 * const rpc = webSocketListener();
 * server.serve(rpc);
 * const http = Bun.serve({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   fetch: (request, bunServer) =>
 *     new URL(request.url).pathname === "/rpc"
 *       ? rpc.upgrade(request, bunServer)
 *       : new Response("<!doctype html><title>page</title>", { headers: { "content-type": "text/html" } }),
 *   websocket: rpc.websocket,
 * });
 * await http.stop();
 * ```
 */
export function webSocketListener(
  options: WebSocketListenerOptions = {},
): BunWebSocketListener {
  return new BunWebSocketListener(options);
}

interface BunServeRuntime {
  serve(options: {
    hostname: string;
    port: number;
    fetch(
      request: Request,
      server: BunServer,
    ): Response | undefined;
    websocket: BunWebSocketHandlers;
    tls?: { cert: string; key: string };
  }): { port: number; stop(force?: boolean): Promise<void> | void };
}

/**
 * `listen("ws://host:port/path")` (or `wss://` with `tls: { cert, key }`):
 * a `Bun.serve` that upgrades requests for the key's path and answers 404
 * to the rest; `close()` stops it (channels already open stay).
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
  options = limits;
  const bun = (globalThis as { Bun?: BunServeRuntime }).Bun;
  if (bun === undefined) {
    throw new Error("adapters/bun.ts needs the Bun runtime");
  }
  const pathname = new URL(key.path, "http://x").pathname;
  let rpc = new BunWebSocketListener(options);
  const server = bun.serve({
    hostname: key.hostname,
    port: key.port,
    fetch: (request, bunServer) =>
      new URL(request.url).pathname === pathname
        ? rpc.upgrade(request, bunServer)
        : new Response("not found", { status: 404 }),
    websocket: rpc.websocket,
    ...(key.transport === "wss"
      ? { tls: { cert: tls!.cert, key: tls!.key } }
      : {}),
  });
  const host = key.hostname.includes(":") ? `[${key.hostname}]` : key.hostname;
  const bound = new BunWebSocketListener({
    ...options,
    addr: `${key.transport}://${host}:${server.port}${key.path}`,
  });
  // The handlers route by each socket's data, so the second listener's
  // upgrade works with the first's handlers.
  rpc = bound;
  const close = bound.close.bind(bound);
  Object.defineProperty(bound, "close", {
    value() {
      close();
      Promise.resolve(server.stop()).catch(() => {});
    },
  });
  return Promise.resolve(bound);
}
