/**
 * The Go ListenRain benchmark's protocol as a listenrain
 * {@linkcode Protocol}: {@linkcode seedProtocol}. With it, a `Connection`,
 * `Server` or `Client` and a `Router` speak to the Go seed byte for byte.
 *
 * The seed's messages carry no route: every request goes to the one route
 * {@linkcode SEED_ROUTE} (`"echo"`), and a server serves it with
 * `new Router().handle(SEED_ROUTE, handler)`. The body of a request or a
 * reply is the frame's payload through the body codec (`rawBody`, the
 * payload's bytes, unless the connection names another).
 *
 * @module
 */

import {
  type BodyCodec,
  CodecError,
  type Protocol,
  rawBody,
} from "../../mod.ts";
import {
  SeedIds,
  type SeedMessage,
  SeedMessageCodec,
  seedPacketCodec,
  type SeedRole,
} from "./codec.ts";

/**
 * The one route of the seed's protocol: its frames name none, so every
 * request a seed connection reads is a request to this route, and every
 * request it sends must name it.
 */
export const SEED_ROUTE = "echo";

/** An empty payload: the reply of a handler that returns nothing. */
const EMPTY = new Uint8Array(0);

/** Options of {@linkcode seedProtocol}. */
export interface SeedProtocolOptions {
  /**
   * The end of the connection, as in the seed: `"client"` on a dialed
   * connection (every frame is a reply; one whose id is not pending is
   * dropped and counted in `stats.lateReplies`), `"server"` on an accepted
   * one (every frame is a request); `"peer"` only between two listenrain
   * ends that both call and serve. See {@linkcode SeedRole}.
   */
  role: SeedRole;
  /**
   * The largest frame payload (36-byte id and message payload) sent or
   * accepted. The seed has no limit: raise this to the largest frame the Go
   * side sends, or its frames close the connection (and a Go client dials
   * again and resends them, in a loop). Over it, a request this side sends
   * fails with `FrameTooLargeError` and the connection stays open.
   * @default {16777216}
   */
  maxFrameSize?: number;
}

/**
 * The seed's protocol for one role: {@linkcode SeedMessageCodec}, the
 * seed's u32 length-prefixed framing, 36-character {@linkcode SeedIds}, and
 * the payload as the body of the one route {@linkcode SEED_ROUTE}. The seed
 * has no notifications, cancels, pings, goaway or error replies: `notify`
 * throws a `CodecError`, and a handler that throws sends nothing back (the
 * caller times out), as with the seed.
 *
 * The seed's own benchmark reads every frame as 36 + `-payloadSize` bytes
 * (4096 unless set), whatever its length says: send it payloads of exactly
 * that size.
 *
 * @example A client and an echo server, each with its role
 * ```ts
 * import { Connection, Router } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 * import { SEED_ROUTE, seedProtocol } from "./protocol.ts";
 *
 * const [dialed, accepted] = createMemoryPipe();
 * const server = new Connection(accepted, {
 *   // Go clients that send up to 64 MiB
 *   protocol: seedProtocol({ role: "server", maxFrameSize: 64 * 1024 * 1024 }),
 *   router: new Router().handle(SEED_ROUTE, (payload: Uint8Array) => payload),
 * });
 * const client = new Connection(dialed, {
 *   protocol: seedProtocol({ role: "client" }),
 *   timeout: 5000,
 * });
 * console.log(await client.request(SEED_ROUTE, new Uint8Array([1, 2]))); // Uint8Array(2) [ 1, 2 ]
 * await client.close();
 * await server.close();
 * ```
 *
 * @param options The role and the frame limit.
 * @returns The protocol value, to share between the connections of that role.
 * @throws {RangeError} If the role is not `"client"`, `"server"` or `"peer"`.
 */
export function seedProtocol(
  options: SeedProtocolOptions,
): Protocol<SeedMessage> {
  return Object.freeze({
    codec: new SeedMessageCodec({ role: options.role }),
    framing: seedPacketCodec(options.maxFrameSize),
    ids: () => new SeedIds(),
    message(
      kind: "request" | "notify",
      route: string | number,
      body: unknown,
      bodyCodec: BodyCodec<unknown>,
    ): SeedMessage {
      if (kind === "notify") {
        throw new CodecError(
          "The seed's protocol has no notifications: every frame is answered",
        );
      }
      if (route !== SEED_ROUTE) {
        throw new CodecError(
          `The seed's protocol has one route, ${
            JSON.stringify(SEED_ROUTE)
          }, not ${JSON.stringify(route)}`,
        );
      }
      // The connection sets the id.
      return { id: "", payload: bodyCodec.encode(body) };
    },
    reply(body: unknown, bodyCodec: BodyCodec<unknown>): SeedMessage {
      const payload = body === undefined && bodyCodec === rawBody as unknown
        ? EMPTY
        : bodyCodec.encode(body);
      return { id: "", payload };
    },
    route: (): string => SEED_ROUTE,
    body: (message: SeedMessage, bodyCodec: BodyCodec<unknown>): unknown =>
      bodyCodec.decode(message.payload),
  });
}
