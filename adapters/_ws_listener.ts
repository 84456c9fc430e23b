/**
 * The runtime-neutral half of the adapters' WebSocket listeners: a
 * {@linkcode Listener} the user's HTTP handler feeds with upgraded sockets.
 * Each adapter adds its `upgrade()` (`_deno_ws.ts`, `_bun_ws.ts`,
 * `_node_ws.ts`). Private to `adapters/`.
 *
 * @module
 */

import type { Channel, ChannelAddr, Listener } from "../src/channel/channel.ts";
import {
  TransportKey,
  type TransportKeyInit,
} from "../src/channel/transport_key.ts";
import {
  type WebSocketChannelOptions,
  webSocketLimits,
} from "../src/channel/websocket_channel.ts";
import { AcceptQueue, DEFAULT_BACKLOG } from "./_accept_queue.ts";

/**
 * Options of `webSocketListener()` in each adapter: the channel limits
 * (see `WebSocketChannelOptions`), how many upgraded channels may wait for
 * the server, and the address the listener reports.
 *
 * @example Smaller messages, a shorter queue, the address for logs
 * ```ts
 * import { webSocketListener, type WebSocketListenerOptions } from "listenrain/adapters/deno";
 *
 * const options: WebSocketListenerOptions = {
 *   maxMessageSize: 64 * 1024,
 *   backlog: 64,
 *   addr: "ws://127.0.0.1:8080/rpc",
 * };
 * const rpc = webSocketListener(options);
 * console.log(rpc.addr.port); // 8080
 * console.log(rpc.limits.maxMessageSize); // 65536
 * rpc.close();
 * ```
 */
export interface WebSocketListenerOptions extends WebSocketChannelOptions {
  /**
   * How many upgraded channels wait for the server to take them; past it,
   * `upgrade()` answers 503.
   * @default {511}
   */
  backlog?: number;
  /**
   * The listener's address (its `addr`), for logs: the URL the page dials.
   * @default {"ws://localhost:0/"}
   */
  addr?: string | TransportKeyInit;
}

/**
 * Options of one `upgrade()` call: what the caller's check found, and the
 * peer's address where the HTTP server knows it.
 *
 * @example Checking a token, then passing who called to the handlers
 * ```ts
 * import { webSocketListener, type WebSocketUpgradeOptions } from "listenrain/adapters/deno";
 *
 * const rpc = webSocketListener();
 * // Deno.serve((request, info) => handle(request, info.remoteAddr))
 * function handle(request: Request, remoteAddr: { hostname: string; port: number }): Response {
 *   const token = new URL(request.url).searchParams.get("token");
 *   if (token !== "secret") return new Response("Unauthorized", { status: 401 });
 *   const options: WebSocketUpgradeOptions = { info: { user: "ada" }, remoteAddr };
 *   return rpc.upgrade(request, options); // handlers read webSocketInfo(ctx)
 * }
 * const peer = { hostname: "127.0.0.1", port: 51234 };
 * console.log(handle(new Request("http://127.0.0.1:8080/rpc"), peer).status); // 401
 * rpc.close();
 * ```
 */
export interface WebSocketUpgradeOptions {
  /**
   * What the HTTP handler learned before upgrading (the user a token named,
   * say). Handlers read it with `webSocketInfo(ctx)`; the channel has it as
   * `info`.
   */
  info?: unknown;
  /** The peer's address (Deno: the handler's `info.remoteAddr`). */
  remoteAddr?: { hostname?: string; port?: number };
}

/**
 * A {@linkcode Listener} fed by the HTTP server: the accept queue, the
 * limits, the address.
 *
 * @example Taking a channel that was pushed
 * ```ts
 * import { WebSocketListenerBase } from "./_ws_listener.ts";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const listener = new WebSocketListenerBase({});
 * const [a, b] = createMemoryPipe();
 * listener.accept(a);
 * for await (const channel of listener) {
 *   console.log(channel === a); // true
 *   break;
 * }
 * listener.close();
 * b.close();
 * ```
 */
export class WebSocketListenerBase implements Listener {
  /** The address from the options (the HTTP server owns the socket). */
  readonly addr: ChannelAddr;
  /** The channel limits every upgraded socket gets. */
  readonly limits: Readonly<Required<WebSocketChannelOptions>>;
  readonly #queue: AcceptQueue<Channel>;

  /**
   * Makes the listener.
   *
   * @param options Limits, backlog, address.
   */
  constructor(options: WebSocketListenerOptions = {}) {
    this.limits = webSocketLimits(options);
    const key = TransportKey.from(options.addr ?? "ws://localhost:0/");
    if (key.transport !== "ws" && key.transport !== "wss") {
      throw new TypeError(
        `A WebSocket listener's addr must be a ws:// or wss:// key, got ${key}`,
      );
    }
    this.addr = {
      transport: key.transport,
      hostname: key.hostname,
      port: key.port,
      path: key.path,
    };
    this.#queue = new AcceptQueue<Channel>(
      options.backlog ?? DEFAULT_BACKLOG,
      (channel) => channel.close(),
    );
  }

  /** Whether `upgrade()` should refuse (closed, or the queue is full). */
  get refusing(): boolean {
    return this.#queue.closed;
  }

  /**
   * Hands an upgraded channel to whoever iterates the listener.
   *
   * @param channel The channel.
   */
  accept(channel: Channel): void {
    this.#queue.push(channel);
  }

  /**
   * The two addresses of an upgraded channel.
   *
   * @param remote The peer, as the HTTP server reports it.
   * @returns `[localAddr, remoteAddr]`; `remoteAddr` is a new object.
   */
  addrs(remote?: { hostname?: string; port?: number }): [
    ChannelAddr,
    ChannelAddr,
  ] {
    return [this.addr, {
      transport: this.addr.transport,
      hostname: remote?.hostname ?? "",
      port: remote?.port ?? 0,
    }];
  }

  /** Stops accepting: later upgrades answer 503. Idempotent. */
  close(): void {
    this.#queue.close();
  }

  /**
   * Iterates the accepted channels.
   *
   * @returns The accepted channels, in order.
   */
  [Symbol.asyncIterator](): AsyncIterator<Channel> {
    return this.#queue[Symbol.asyncIterator]();
  }
}

/**
 * The answer to an upgrade the listener refuses.
 *
 * @returns A 503 response.
 *
 * @example
 * ```ts
 * import { refusedResponse } from "./_ws_listener.ts";
 * console.log(refusedResponse().status); // 503
 * ```
 */
export function refusedResponse(): Response {
  return new Response("listenrain: not accepting connections", {
    status: 503,
  });
}
