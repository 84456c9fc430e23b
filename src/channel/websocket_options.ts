/**
 * The options of a WebSocket channel: {@linkcode WebSocketChannelOptions},
 * and the socket shapes the channel takes ({@linkcode WebSocketLike},
 * {@linkcode WebSocketConstructor}).
 *
 * @module
 */

import type { ChannelAddr } from "./channel.ts";

/**
 * The limits of a WebSocket channel; each end sets its own.
 *
 * @example Smaller messages: a long write is split
 * ```ts
 * import { webSocketChannel, type WebSocketChannelOptions } from "listenrain/advanced";
 *
 * const limits: WebSocketChannelOptions = { maxMessageSize: 1024 };
 * const sent: Uint8Array[] = [];
 * const socket = {
 *   readyState: 1,
 *   bufferedAmount: 0,
 *   binaryType: "blob",
 *   send: (message: Uint8Array) => void sent.push(message),
 *   close() {},
 *   addEventListener() {},
 * };
 * const addr = { transport: "ws", hostname: "127.0.0.1", port: 8080 } as const;
 * const channel = webSocketChannel(socket, { ...limits, localAddr: addr, remoteAddr: addr });
 * await channel.writable.getWriter().write(new Uint8Array(4000));
 * console.log(Math.max(...sent.map((message) => message.length))); // 1024
 * channel.close();
 * ```
 */
export interface WebSocketChannelOptions {
  /**
   * The largest message this end accepts (a larger one closes the channel
   * with {@linkcode MessageTooLargeError} on both ends) and the largest it
   * sends (a longer write is split). Both ends should use the same value.
   * @default {1048576}
   */
  maxMessageSize?: number;
  /** A write waits while the socket's `bufferedAmount` is above this. @default {1048576} */
  highWaterMark?: number;
  /** How many bytes the peer may send that this end has not read yet. @default {1048576} */
  window?: number;
}

/**
 * A `WebSocket` class: the global one, or the `ws` package's.
 *
 * @example Choosing the class a client dials with
 * ```ts
 * import { Client, jsonBody } from "listenrain";
 * import { dialWebSocket, type WebSocketConstructor } from "listenrain/advanced";
 *
 * // The global class; on Node 20, `import { WebSocket } from "ws"` instead.
 * const WebSocket: WebSocketConstructor = globalThis.WebSocket;
 * const client = new Client({
 *   endpoint: "ws://127.0.0.1:8080/rpc",
 *   dial: (key, options) => dialWebSocket(key, { ...options, WebSocket }),
 *   body: jsonBody,
 * });
 * console.log(typeof WebSocket); // "function"
 * await client.close();
 * ```
 */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
) => WebSocketLike;

/**
 * What the channel uses of a `WebSocket` (the web standard's shape).
 *
 * @example A socket made by hand (a test's stand-in)
 * ```ts
 * import { webSocketChannel, type WebSocketLike } from "listenrain/advanced";
 *
 * class OpenSocket implements WebSocketLike {
 *   readonly readyState = 1;
 *   readonly bufferedAmount = 0;
 *   binaryType = "blob";
 *   closed = false;
 *   send(_data: Uint8Array) {}
 *   close() {
 *     this.closed = true;
 *   }
 *   addEventListener() {}
 * }
 * const socket = new OpenSocket();
 * const addr = { transport: "ws", hostname: "127.0.0.1", port: 8080 } as const;
 * const channel = webSocketChannel(socket, { localAddr: addr, remoteAddr: addr });
 * console.log(socket.binaryType); // "arraybuffer"
 * channel.close();
 * console.log(socket.closed); // true
 * ```
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Bytes queued by `send()` and not yet sent. */
  readonly bufferedAmount: number;
  /** Set to `"arraybuffer"` by the channel. */
  binaryType: string;
  /** Queues a message. */
  send(data: Uint8Array): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Listens for `open`, `message`, `close` and `error`. */
  addEventListener(
    type: "open" | "message" | "close" | "error",
    // deno-lint-ignore no-explicit-any
    listener: (event: any) => void,
  ): void;
}

/**
 * Options of {@linkcode dialWebSocket}.
 *
 * @example Dialing with a signal and a subprotocol
 * ```ts
 * import { dialWebSocket, type WebSocketDialOptions } from "listenrain/advanced";
 *
 * const options: WebSocketDialOptions = {
 *   signal: AbortSignal.abort(), // in practice AbortSignal.timeout(5_000)
 *   protocols: "listenrain",
 *   maxMessageSize: 64 * 1024,
 * };
 * try {
 *   await dialWebSocket("ws://127.0.0.1:8080/rpc", options);
 * } catch (error) {
 *   console.log((error as Error).name); // "AbortedError"
 * }
 * ```
 */
export interface WebSocketDialOptions extends WebSocketChannelOptions {
  /** Aborts the attempt. */
  signal?: AbortSignal;
  /**
   * The `WebSocket` class to dial with.
   * @default {globalThis.WebSocket}
   */
  WebSocket?: WebSocketConstructor;
  /** Subprotocols to offer (`Sec-WebSocket-Protocol`). */
  protocols?: string | string[];
}

/**
 * Options of {@linkcode webSocketChannel}.
 *
 * @example Who called, and knowing when the channel closes
 * ```ts
 * import { webSocketChannel, webSocketInfo, type WebSocketAcceptOptions } from "listenrain/advanced";
 *
 * const socket = {
 *   readyState: 1,
 *   bufferedAmount: 0,
 *   binaryType: "blob",
 *   send() {},
 *   close() {},
 *   addEventListener() {},
 * };
 * let open = 1;
 * const options: WebSocketAcceptOptions = {
 *   localAddr: { transport: "ws", hostname: "127.0.0.1", port: 8080, path: "/rpc" },
 *   remoteAddr: { transport: "ws", hostname: "127.0.0.1", port: 51234 },
 *   info: { user: "ada" },
 *   onClose: () => open--,
 * };
 * const channel = webSocketChannel(socket, options);
 * console.log(webSocketInfo(channel)); // { user: "ada" }
 * channel.close();
 * console.log(open); // 0
 * ```
 */
export interface WebSocketAcceptOptions extends WebSocketChannelOptions {
  /** This end's address. */
  localAddr: ChannelAddr;
  /** The peer's address. */
  remoteAddr: ChannelAddr;
  /** What the upgrade handler learned (see {@linkcode webSocketInfo}). */
  info?: unknown;
  /** Called once when the channel closes. */
  onClose?: () => void;
}
