/**
 * WebSocket on Node with the `ws` package (an optional peer dependency,
 * loaded on first use): `handleUpgrade` inside the user's own `node:http`
 * server's `upgrade` event, `listen("ws://…")` as a server of its own, and
 * the client's `WebSocket` class where Node has no global one (Node 20).
 * Private to `adapters/`; `adapters/node.ts` exports the public names.
 *
 * @module
 */

import type { Channel, Listener } from "../src/channel/channel.ts";
import type { TransportKey } from "../src/channel/transport_key.ts";
import {
  dialWebSocket,
  webSocketChannel,
  type WebSocketConstructor,
  type WebSocketLike,
} from "../src/channel/websocket_channel.ts";
import {
  WebSocketListenerBase,
  type WebSocketListenerOptions,
  type WebSocketUpgradeOptions,
} from "./_ws_listener.ts";

/**
 * An `http.IncomingMessage` (the parts used).
 *
 * @example Reading the token and the peer of an upgrade request
 * ```ts
 * import type { UpgradeRequest } from "listenrain/adapters/node";
 *
 * // In node:http's `upgrade` event the request is an IncomingMessage.
 * const caller = (request: UpgradeRequest) => ({
 *   token: new URL(request.url ?? "/", "http://x").searchParams.get("token"),
 *   peer: `${request.socket.remoteAddress}:${request.socket.remotePort}`,
 * });
 * const request = { url: "/rpc?token=secret", socket: { remoteAddress: "127.0.0.1", remotePort: 51234 } };
 * console.log(caller(request)); // { token: "secret", peer: "127.0.0.1:51234" }
 * ```
 */
export interface UpgradeRequest {
  /** The request's path and query. */
  readonly url?: string;
  /** The TCP socket, for the peer's address. */
  readonly socket: { remoteAddress?: string; remotePort?: number };
}

/**
 * The socket of Node's `upgrade` event (a `stream.Duplex`).
 *
 * @example Refusing a caller without a token (a stand-in socket)
 * ```ts
 * import { refuseUpgrade, type UpgradeRequest, type UpgradeSocket, webSocketListener } from "listenrain/adapters/node";
 *
 * const rpc = webSocketListener();
 * // http.on("upgrade", onUpgrade)
 * function onUpgrade(request: UpgradeRequest, socket: UpgradeSocket, head: Uint8Array) {
 *   const token = new URL(request.url ?? "/", "http://x").searchParams.get("token");
 *   if (token !== "secret") return refuseUpgrade(socket, 401, "Unauthorized");
 *   rpc.upgrade(request, socket, head, { info: { user: "ada" } });
 * }
 * const written: string[] = [];
 * let destroyed = false;
 * const socket: UpgradeSocket = { write: (s: string) => written.push(s), destroy: () => void (destroyed = true) };
 * onUpgrade({ url: "/rpc", socket: {} }, socket, new Uint8Array());
 * console.log(written[0].split("\r\n")[0]); // "HTTP/1.1 401 Unauthorized"
 * console.log(destroyed); // true
 * rpc.close();
 * ```
 */
export interface UpgradeSocket {
  /** Writes the refusal. */
  write(data: string): unknown;
  /** Closes the socket. */
  destroy(): void;
}

interface WsServer {
  handleUpgrade(
    request: UpgradeRequest,
    socket: UpgradeSocket,
    head: Uint8Array,
    done: (ws: WebSocketLike) => void,
  ): void;
}

interface WsModule {
  WebSocket: WebSocketConstructor;
  WebSocketServer: new (options: {
    noServer: true;
    maxPayload: number;
  }) => WsServer;
}

let wsModule: Promise<WsModule> | undefined;

/** The `ws` package, imported once; a clear error when it is missing. */
function loadWs(): Promise<WsModule> {
  return wsModule ??= import("ws").then(
    (module) => {
      const ws = module as unknown as WsModule & { default?: WsModule };
      return ws.WebSocketServer ? ws : ws.default!;
    },
    (cause) => {
      wsModule = undefined;
      throw new Error(
        "listenrain's WebSocket on Node needs the ws package: npm install ws",
        { cause },
      );
    },
  );
}

/**
 * Dials `ws://` or `wss://` with Node's global `WebSocket` (Node ≥ 22), or
 * the `ws` package's where there is none or where `caCerts` must be
 * trusted (the global one takes no CA).
 *
 * @param key The key.
 * @param signal Aborts the attempt.
 * @param caCerts PEM certificates to trust for `wss://`, beside the system's.
 * @returns The channel.
 */
export async function dialNodeWebSocket(
  key: TransportKey,
  signal?: AbortSignal,
  caCerts?: string[],
): Promise<Channel> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor })
    .WebSocket;
  if (caCerts === undefined || key.transport !== "wss") {
    const WebSocket = global ?? (await loadWs()).WebSocket;
    return await dialWebSocket(key, { signal, WebSocket });
  }
  const ca = caCerts;
  const Base = (await loadWs()).WebSocket as unknown as new (
    url: string,
    protocols: string | string[] | undefined,
    options: { ca: string[] },
  ) => object;
  const Trusting = class extends Base {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { ca });
    }
  } as unknown as WebSocketConstructor;
  return await dialWebSocket(key, { signal, WebSocket: Trusting });
}

/**
 * Answers an upgrade request with an HTTP status and closes the socket: a
 * refusal from your `upgrade` handler (401 when the caller's token is
 * wrong).
 *
 * @param socket The socket of the `upgrade` event.
 * @param status The status code.
 * @param text The reason phrase.
 *
 * @example Refusing a caller without a token
 * ```ts
 * import { refuseUpgrade } from "listenrain/adapters/node";
 * const written: string[] = [];
 * refuseUpgrade({ write: (s: string) => written.push(s), destroy() {} }, 401, "Unauthorized");
 * console.log(written[0].split("\r\n")[0]); // "HTTP/1.1 401 Unauthorized"
 * ```
 */
export function refuseUpgrade(
  socket: UpgradeSocket,
  status: number,
  text = "Refused",
): void {
  try {
    socket.write(
      `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    );
  } finally {
    socket.destroy();
  }
}

/**
 * A listener fed by a `node:http` server's `upgrade` event: call
 * {@linkcode upgrade} with the event's arguments.
 *
 * @example A closed listener refuses with 503
 * ```ts
 * import { NodeWebSocketListener } from "listenrain/adapters/node";
 * const rpc = new NodeWebSocketListener();
 * rpc.close();
 * const written: string[] = [];
 * const socket = { write: (s: string) => written.push(s), destroy() {} };
 * rpc.upgrade({ url: "/rpc", socket: {} }, socket, new Uint8Array());
 * console.log(written[0].startsWith("HTTP/1.1 503")); // true
 * ```
 */
export class NodeWebSocketListener extends WebSocketListenerBase {
  #server: Promise<WsServer> | undefined;

  /**
   * Upgrades the request to a listenrain channel (with `ws`'s
   * `handleUpgrade`). Check the caller first (a header, a cookie, a token
   * in the query) and refuse with `refuseUpgrade(socket, 401)`.
   *
   * @param request The `upgrade` event's request.
   * @param socket Its socket.
   * @param head Its first bytes.
   * @param options `info` for handlers (`webSocketInfo(ctx)`).
   */
  upgrade(
    request: UpgradeRequest,
    socket: UpgradeSocket,
    head: Uint8Array,
    options: Omit<WebSocketUpgradeOptions, "remoteAddr"> = {},
  ): void {
    if (this.refusing) return refuseUpgrade(socket, 503, "Unavailable");
    const limits = this.limits;
    this.#server ??= loadWs().then((ws) =>
      new ws.WebSocketServer({
        noServer: true,
        maxPayload: limits.maxMessageSize,
      })
    );
    this.#server.then((server) =>
      server.handleUpgrade(request, socket, head, (ws) => {
        const [localAddr, remoteAddr] = this.addrs({
          hostname: request.socket.remoteAddress,
          port: request.socket.remotePort,
        });
        this.accept(webSocketChannel(ws, {
          ...limits,
          localAddr,
          remoteAddr,
          info: options.info,
        }));
      })
    ).catch(() => refuseUpgrade(socket, 500, "Internal Server Error"));
  }
}

/**
 * A WebSocket listener for your `node:http` server (its `upgrade` event).
 * Needs the `ws` package.
 *
 * @param options Channel limits, backlog, the address it reports.
 * @returns The listener: give it to `server.serve()` and call its
 *   `upgrade(request, socket, head)` from the `upgrade` event.
 *
 * @example One port for the page and the RPC
 * ```ts
 * import { createServer } from "node:http";
 * import { Router, Server, textBody } from "listenrain";
 * import { refuseUpgrade, webSocketListener } from "listenrain/adapters/node";
 *
 * const router = new Router().handle("hi", (name: string) => `hi ${name}`);
 * await using server = new Server({ router, body: textBody });
 * const rpc = webSocketListener();
 * server.serve(rpc);
 * const http = createServer((_request, response) => response.end("<!doctype html><title>page</title>"));
 * http.on("upgrade", (request, socket, head) => {
 *   if (new URL(request.url ?? "/", "http://x").pathname === "/rpc") rpc.upgrade(request, socket, head);
 *   else refuseUpgrade(socket, 404, "Not Found");
 * });
 * await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
 * http.close();
 * ```
 */
export function webSocketListener(
  options: WebSocketListenerOptions = {},
): NodeWebSocketListener {
  return new NodeWebSocketListener(options);
}

type NotFound = (request: unknown, response: {
  statusCode: number;
  end(): void;
}) => void;

interface HttpServer {
  on(
    event: "upgrade",
    listener: (
      request: UpgradeRequest,
      socket: UpgradeSocket,
      head: Uint8Array,
    ) => void,
  ): void;
  once(event: "error", listener: (error: Error) => void): void;
  listen(port: number, host: string, done: () => void): void;
  address(): { port: number } | string | null;
  close(): void;
}

/** `node:http` and `node:https` (the parts used). */
interface HttpModule {
  createServer(handler: NotFound): HttpServer;
  createServer(
    tls: { cert: string; key: string },
    handler: NotFound,
  ): HttpServer;
}

/**
 * `listen("ws://host:port/path")` (or `wss://` with `tls: { cert, key }`,
 * then a `node:https` server): a server that upgrades requests for the
 * key's path and refuses the rest with 404; `close()` stops it (channels
 * already open stay).
 *
 * @param key The parsed key.
 * @param options Channel limits, backlog, and `tls` for `wss://`.
 * @returns The listener, with the bound port in `addr`.
 */
export async function listenWebSocket(
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
  await loadWs();
  const secure = key.transport === "wss";
  const http =
    await (secure
      ? import("node:https")
      : import("node:http")) as unknown as HttpModule;
  const pathname = new URL(key.path, "http://x").pathname;
  const target: { rpc?: NodeWebSocketListener } = {};
  const notFound: NotFound = (_request, response) => {
    response.statusCode = 404;
    response.end();
  };
  const server = secure
    ? http.createServer({ cert: tls!.cert, key: tls!.key }, notFound)
    : http.createServer(notFound);
  server.on("upgrade", (request, socket, head) => {
    if (new URL(request.url ?? "/", "http://x").pathname !== pathname) {
      refuseUpgrade(socket, 404, "Not Found");
    } else target.rpc!.upgrade(request, socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(key.port, key.hostname, resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const host = key.hostname.includes(":") ? `[${key.hostname}]` : key.hostname;
  const listener = new NodeWebSocketListener({
    ...limits,
    addr: `${key.transport}://${host}:${port}${key.path}`,
  });
  target.rpc = listener;
  const close = listener.close.bind(listener);
  Object.defineProperty(listener, "close", {
    value() {
      close();
      server.close();
    },
  });
  return listener;
}
