/**
 * listenrain over WebSocket, with the web-standard `WebSocket` only (a
 * global in browsers, Deno, Bun and Node ≥ 22; on Node 20 pass the `ws`
 * package's): {@linkcode dialWebSocket} opens a {@linkcode Channel} to a
 * `ws://` or `wss://` key, {@linkcode webSocketChannel} makes one of a socket
 * a server accepted, {@linkcode webSocketInfo} reads what the server's
 * upgrade attached to it.
 *
 * The channel is a byte stream over binary messages, not one listenrain
 * frame per message: the send queue already batches frames into large
 * writes (one message carries many small frames, and a large frame is split
 * over messages of at most `maxMessageSize`), and the channel stays what
 * every channel is, a byte stream, so any protocol and framing run on it.
 * Flow control is end to end (credits, see `_websocket_core.ts`), so a peer
 * that stops reading holds at most its window and the sender's `write()`
 * waits; `bufferedAmount` above `highWaterMark` makes a write wait too.
 *
 * @module
 */

import type { Channel, ChannelAddr } from "./channel.ts";
import { TransportKey, type TransportKeyInit } from "./transport_key.ts";
import { AbortedError, ConnectError } from "../errors.ts";
import { MessageChannel, type MessageLimits } from "./_websocket_core.ts";
import type {
  WebSocketAcceptOptions,
  WebSocketChannelOptions,
  WebSocketConstructor,
  WebSocketDialOptions,
  WebSocketLike,
} from "./websocket_options.ts";

export type {
  WebSocketAcceptOptions,
  WebSocketChannelOptions,
  WebSocketConstructor,
  WebSocketDialOptions,
  WebSocketLike,
} from "./websocket_options.ts";

const MiB = 1024 * 1024;
const infos = new WeakMap<object, unknown>();
const copying = new WeakSet<object>();

/**
 * Whether `socket.send` is done with the bytes when it returns, so the
 * channel may build its messages in one reused buffer: true for the web
 * `WebSocket` (its standard sends "a copy of the bytes"; Deno's server
 * sockets are ones too) and sockets marked by {@linkcode markSendCopies};
 * false for the rest, such as the `ws` package's, which keeps the bytes
 * until it writes them.
 */
function sendCopies(socket: WebSocketLike): boolean {
  const Standard = (globalThis as { WebSocket?: WebSocketConstructor })
    .WebSocket;
  return copying.has(socket) ||
    (Standard !== undefined && socket instanceof Standard);
}

/**
 * Marks a socket whose `send` copies the bytes (or writes them) before it
 * returns, for an adapter's own `WebSocket` class: its channel then builds
 * every message in one reused buffer instead of a new one each.
 *
 * @param socket The socket.
 *
 * @example An adapter's socket class marks its sockets
 * ```ts
 * import { markSendCopies } from "./websocket_channel.ts";
 *
 * class CopyingSocket {
 *   constructor() {
 *     markSendCopies(this);
 *   }
 * }
 * console.log(new CopyingSocket() instanceof CopyingSocket); // true
 * ```
 */
export function markSendCopies(socket: object): void {
  copying.add(socket);
}

/**
 * The limits of `options`, checked, with their defaults.
 *
 * @param options The options.
 * @returns The limits.
 * @throws {RangeError} If a limit is not an integer in range.
 *
 * @example The defaults
 * ```ts
 * import { webSocketLimits } from "./websocket_channel.ts";
 * console.log(webSocketLimits({}).maxMessageSize); // 1048576
 * ```
 */
export function webSocketLimits(
  options: WebSocketChannelOptions,
): MessageLimits {
  const check = (name: string, value: number, least: number) => {
    if (!Number.isInteger(value) || value < least || value > 2 ** 31) {
      throw new RangeError(
        `${name} must be an integer from ${least} to 2^31, got ${value}`,
      );
    }
    return value;
  };
  return {
    maxMessageSize: check("maxMessageSize", options.maxMessageSize ?? MiB, 16),
    highWaterMark: check("highWaterMark", options.highWaterMark ?? MiB, 0),
    window: check("window", options.window ?? MiB, 256 * 1024),
  };
}

/**
 * Makes a channel of a `WebSocket` a server accepted (Deno's
 * `Deno.upgradeWebSocket`, the `ws` package's `handleUpgrade`); the
 * adapters' `webSocketListener` calls it for you.
 *
 * @param socket The socket, open or still connecting.
 * @param options Addresses, limits, `info`.
 * @returns The channel.
 *
 * @example A channel of a socket (here a stand-in that is already open)
 * ```ts
 * import { webSocketChannel } from "listenrain/advanced";
 *
 * const socket = {
 *   readyState: 1,
 *   bufferedAmount: 0,
 *   binaryType: "blob",
 *   send() {},
 *   close() {},
 *   addEventListener() {},
 * };
 * const addr = { transport: "ws", hostname: "127.0.0.1", port: 8080 } as const;
 * const channel = webSocketChannel(socket, { localAddr: addr, remoteAddr: addr, info: { user: "ada" } });
 * console.log(socket.binaryType); // "arraybuffer"
 * channel.close();
 * ```
 */
export function webSocketChannel(
  socket: WebSocketLike,
  options: WebSocketAcceptOptions,
): Channel {
  const channel = new MessageChannel(
    {
      send: (message) => socket.send(message),
      bufferedAmount: () => socket.bufferedAmount,
      close: (code, reason) => socket.close(code, reason),
      copies: sendCopies(socket),
    },
    webSocketLimits(options),
    options.localAddr,
    options.remoteAddr,
    options.info,
    options.onClose,
  );
  if (options.info !== undefined) infos.set(options.remoteAddr, options.info);
  socket.binaryType = "arraybuffer";
  socket.addEventListener("open", () => channel.opened());
  socket.addEventListener("message", (event) => channel.received(event.data));
  // ws (Node) reports its own maxPayload as an error, then closes with 1006;
  // Deno's server socket buffers a message up to its fixed 64 MiB before the
  // channel can check it, and past that reports "Frame too large", then
  // closes with code 0.
  let tooBig = false;
  socket.addEventListener(
    "close",
    (event) =>
      channel.ended(tooBig ? 1009 : event.code ?? 1005, event.reason ?? ""),
  );
  // A close event follows; ws also throws on an error nobody listens to.
  socket.addEventListener("error", (event) => {
    tooBig ||= event?.error?.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH" ||
      /frame too large/i.test(String(event?.message ?? ""));
  });
  if (socket.readyState === 1) channel.opened();
  return channel;
}

/**
 * Opens a channel to a `ws://` or `wss://` key with the web-standard
 * `WebSocket`. Its signature is a `DialFunction`'s, so a client dials by key:
 * `new Client({ endpoint: "ws://127.0.0.1:8080/rpc", dial: dialWebSocket })`.
 *
 * @param key `ws://host:port/path` or `wss://host:port/path`.
 * @param options `signal`, limits, and `WebSocket` (the class; the global
 *   one by default, which Node 20 lacks: pass the `ws` package's).
 * @returns The channel, once the socket is open.
 * @throws {TypeError} If the key is not a WebSocket key, or there is no
 *   `WebSocket` class.
 * @throws {ConnectError} If the socket closes before it opens (refused,
 *   the upgrade answered 401 …).
 * @throws {AbortedError} If `signal` aborts first.
 *
 * @example A browser page calling its server
 * ```ts
 * import { Client, jsonBody } from "listenrain";
 * import { dialWebSocket } from "listenrain/advanced";
 *
 * const client = new Client({ endpoint: "ws://127.0.0.1:8080/rpc", dial: dialWebSocket, body: jsonBody });
 * await client.close();
 * ```
 */
export function dialWebSocket(
  key: string | TransportKeyInit,
  options: WebSocketDialOptions = {},
): Promise<Channel> {
  const parsed = TransportKey.from(key);
  const { transport, hostname, port, path } = parsed;
  if (transport !== "ws" && transport !== "wss") {
    throw new TypeError(
      `Cannot dial ${parsed} over WebSocket: expected a ws:// or wss:// key`,
    );
  }
  const Socket = options.WebSocket ??
    (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (Socket === undefined) {
    throw new TypeError(
      `Cannot dial ${parsed}: this runtime has no global WebSocket (Node 20); pass options.WebSocket, for example the ws package's`,
    );
  }
  const limits = webSocketLimits(options);
  const { signal } = options;
  if (signal?.aborted) {
    return Promise.reject(
      new AbortedError(`Cannot dial ${parsed}: aborted`, {
        cause: signal.reason,
      }),
    );
  }
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const socket = new Socket(
    `${transport}://${host}:${port}${path}`,
    options.protocols,
  );
  const remoteAddr: ChannelAddr = { transport, hostname, port, path };
  const channel = new MessageChannel(
    {
      send: (message) => socket.send(message),
      bufferedAmount: () => socket.bufferedAmount,
      close: (code, reason) => socket.close(code, reason),
      copies: sendCopies(socket),
    },
    limits,
    { transport, hostname: "", port: 0 },
    remoteAddr,
  );
  socket.binaryType = "arraybuffer";
  return new Promise<Channel>((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      socket.close(1000, "");
      reject(
        new AbortedError(`Cannot dial ${parsed}: aborted`, {
          cause: signal?.reason,
        }),
      );
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.addEventListener("open", () => {
      channel.opened();
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      resolve(channel);
    });
    socket.addEventListener("message", (event) => channel.received(event.data));
    socket.addEventListener("close", (event) => {
      channel.ended(event.code ?? 1005, event.reason ?? "");
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      reject(
        new ConnectError(
          `Cannot connect to ${parsed}: the WebSocket closed before it opened (code ${event.code})`,
        ),
      );
    });
    socket.addEventListener("error", (event) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      try {
        socket.close();
      } catch { /* not open */ }
      reject(
        new ConnectError(`Cannot connect to ${parsed}`, {
          cause: event.error ?? event.message ?? event,
        }),
      );
    });
  });
}

/**
 * What the server's upgrade handler attached to a WebSocket channel (its
 * `info`: the user a token named, say), read from a request's context or a
 * connection: `webSocketInfo<User>(ctx)`. `undefined` for channels that are
 * not WebSocket or had no `info`.
 *
 * @param of A request context, a connection or a channel: anything with the
 *   channel's `remoteAddr`.
 * @returns The info.
 *
 * @example A handler reads who called
 * ```ts
 * import { Router } from "listenrain";
 * import { webSocketInfo } from "listenrain/advanced";
 *
 * const router = new Router().handle("whoami", (_body: Uint8Array, ctx) =>
 *   new TextEncoder().encode(webSocketInfo<{ user: string }>(ctx)?.user ?? "anonymous"));
 * console.log(router.routes.length > 0); // true
 * ```
 */
export function webSocketInfo<T = unknown>(
  of: { readonly remoteAddr: ChannelAddr },
): T | undefined {
  return infos.get(of.remoteAddr) as T | undefined;
}

/**
 * Remembers `info` for {@linkcode webSocketInfo} (for adapters that make
 * their channel with the core's `MessageChannel` directly).
 *
 * @param remoteAddr The channel's remote address object.
 * @param info The info.
 *
 * @example
 * ```ts
 * import { rememberInfo, webSocketInfo } from "./websocket_channel.ts";
 * const remoteAddr = { transport: "ws", hostname: "127.0.0.1", port: 1 } as const;
 * rememberInfo(remoteAddr, "ada");
 * console.log(webSocketInfo({ remoteAddr })); // "ada"
 * ```
 */
export function rememberInfo(remoteAddr: ChannelAddr, info: unknown): void {
  if (info !== undefined) infos.set(remoteAddr, info);
}
