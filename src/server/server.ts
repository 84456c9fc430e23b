/**
 * The {@linkcode Server}: serves the routes of a {@linkcode Router} over the
 * default protocol, with limits, heartbeat, scheduled tasks and graceful
 * shutdown.
 *
 * @module
 */

import { type BodyCodec, rawBody } from "../codec/body_codec.ts";
import { type Envelope, EnvelopeCodec } from "../codec/envelope.ts";
import { Peer } from "../transport/peer.ts";
import type { Router } from "../transport/router.ts";
import type { Transport } from "../transport/transport.ts";
import {
  TransportServer,
  type TransportServerOptions,
} from "./transport_server.ts";

/**
 * Options of {@linkcode Server}.
 *
 * @example Routes, a body codec, and a greeting pushed to each new client
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { textBody } from "../codec/body_codec.ts";
 * import { Peer } from "../transport/peer.ts";
 * import { Router } from "../transport/router.ts";
 * import { Server, type ServerOptions } from "./server.ts";
 *
 * const options: ServerOptions<string> = {
 *   router: new Router().handle("echo", (body: string) => body),
 *   body: textBody,
 *   onConnect: (peer) => void peer.notify("welcome", "hi there"),
 * };
 * const network = new MemoryNetwork();
 * await using server = new Server(options);
 * server.serve(await network.listen("mem://chat"));
 * const welcome = Promise.withResolvers<string>();
 * const client = new Peer(await network.dial("mem://chat"), {
 *   router: new Router().handle("welcome", (text: string) => void welcome.resolve(text)),
 *   body: textBody,
 * });
 * console.log(await welcome.promise); // "hi there"
 * await client.close();
 * ```
 */
export interface ServerOptions<B> extends
  Omit<
    TransportServerOptions<Envelope>,
    "codec" | "handler" | "createTransport" | "onConnect" | "onDisconnect"
  > {
  /** The routes. Without it, every request gets the error reply `NO_HANDLER`. */
  router?: Router;
  /** The body codec. @default {rawBody} */
  body?: BodyCodec<B>;
  /** Called when a client connects, with its peer (to push to it later). */
  onConnect?: (peer: Peer<B>) => void;
  /** Called when a client's connection closed, with why. */
  onDisconnect?: (peer: Peer<B>, reason: Error | undefined) => void;
}

/**
 * A server of the default protocol: each accepted connection is a
 * {@linkcode Peer} that serves the router's routes (and may call or notify
 * the client: server push). Everything else is {@linkcode TransportServer}'s:
 * `serve(listener)`, `maxConnections`, `idleTimeout`, `firstFrameTimeout`,
 * `heartbeat`, `runAfter`/`runEvery`, and `close()` (also `await using`),
 * which stops accepting, sends goaway, lets in-flight requests finish until
 * the deadline, then closes.
 *
 * @example Serving routes and pushing to every client on a timer
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { textBody } from "../codec/body_codec.ts";
 * import { Peer } from "../transport/peer.ts";
 * import { Router } from "../transport/router.ts";
 * import { Server } from "./server.ts";
 *
 * const network = new MemoryNetwork();
 * const server = new Server({
 *   router: new Router().handle("echo", (body: string) => body),
 *   body: textBody,
 *   maxConnections: 1000,
 *   idleTimeout: 60_000,
 * });
 * server.serve(await network.listen("mem://chat"));
 * const ticks = server.runEvery(10, () => server.broadcast("tick", "now"));
 *
 * let pushed = 0;
 * const client = new Peer(await network.dial("mem://chat"), {
 *   router: new Router().handle("tick", () => void pushed++),
 *   body: textBody,
 * });
 * console.log(await client.request("echo", "hello")); // "hello"
 * await new Promise((resolve) => setTimeout(resolve, 50));
 * console.log(pushed > 0); // true
 * ticks.cancel();
 * await server.close(); // the client gets goaway, then the connection closes
 * await client.closed;
 * ```
 */
// deno-lint-ignore no-explicit-any
export class Server<B = any> extends TransportServer<Envelope> {
  #peers: Map<Transport<Envelope>, Peer<B>>;
  #body: BodyCodec<B>;

  /**
   * Creates the server; it accepts nothing before `serve()`.
   *
   * @param options The router, the body codec and the server's limits.
   * @throws {RangeError} If a limit is out of range.
   */
  constructor(options: ServerOptions<B> = {}) {
    const { router, body, onConnect, onDisconnect, ...rest } = options;
    const bodyCodec = body ?? (rawBody as unknown as BodyCodec<B>);
    const peers = new Map<Transport<Envelope>, Peer<B>>();
    super({
      ...rest,
      codec: new EnvelopeCodec(),
      createTransport: (channel, _key, transportOptions) => {
        const peer = new Peer<B>(channel, {
          ...transportOptions,
          router,
          body: bodyCodec,
        });
        peers.set(peer.transport, peer);
        return peer.transport;
      },
      onConnect: onConnect && ((transport) => onConnect(peers.get(transport)!)),
      onDisconnect: (transport, reason) => {
        const peer = peers.get(transport);
        peers.delete(transport);
        if (peer && onDisconnect) onDisconnect(peer, reason);
      },
    });
    this.#peers = peers;
    this.#body = bodyCodec;
  }

  /** The peers of the open connections. */
  get peers(): Peer<B>[] {
    return [...this.#peers.values()];
  }

  /**
   * Notifies every connected client that takes new messages (server push).
   *
   * @param route A route name or u32 command.
   * @param body The body.
   * @returns How many clients the notification was queued for.
   * @throws {CodecError} If the body cannot be encoded.
   */
  broadcast(route: string | number, body: B): number {
    const message: Envelope = {
      kind: "notify",
      id: 0,
      route,
      body: this.#body.encode(body),
    };
    let sent = 0;
    for (const transport of this.#peers.keys()) {
      if (!transport.canRequest) continue;
      try {
        transport.notify(message)?.catch(() => {});
        sent++;
      } catch {
        // Closed or full in the meantime: that client misses this one.
      }
    }
    return sent;
  }
}
