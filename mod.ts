/**
 * listenrain: a full-duplex, multiplexed network framework for Deno, Bun and
 * Node. Many requests share one reliable byte stream per peer; replies come
 * back in any order and are matched by message id. Callers `await` a reply
 * or hand over a {@linkcode StateMachine} that is called back.
 *
 * The everyday API is here: a {@linkcode Server} serves the routes of a
 * {@linkcode Router}; a {@linkcode Client} calls them over a pool of
 * connections (failover, reconnect, retries); a {@linkcode Connection} is
 * one end of one connection, either side calling the other. All three
 * speak a {@linkcode Protocol} — listenrain's envelope by default — and
 * take the server's route table as their type (`Client<typeof router>`).
 *
 * Sockets come from the adapters (`listenrain/adapters/deno`, `/bun`,
 * `/node`); the memory pipe and network from `listenrain/testing`; framing
 * and message codecs from `listenrain/framing`; the building blocks (send
 * queue, timer heap, executor, pool, dialers, monitor) from
 * `listenrain/advanced`. This module is runtime-neutral: it runs wherever
 * web streams do.
 *
 * @example Request and reply over an in-memory pipe
 * ```ts
 * import { Connection, jsonBody, Router } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("sayhi", (body: { name: string }) => ({ hi: body.name }));
 * const server = new Connection(a, { router, body: jsonBody });
 * const client = new Connection<typeof router>(b, { body: jsonBody });
 * console.log(await client.request("sayhi", { name: "rain" })); // { hi: "rain" }
 * await client.close();
 * await server.close();
 * ```
 *
 * @module
 */

export { Connection } from "./src/connection/connection.ts";
export type { ConnectionOptions } from "./src/connection/connection_options.ts";
export { Client } from "./src/client/client.ts";
export type {
  ClientOptions,
  ClientRequestOptions,
} from "./src/client/client_options.ts";
export { Server } from "./src/server/server.ts";
export type { ServerOptions } from "./src/server/server_options.ts";
export { Router } from "./src/transport/router.ts";
export type { RouteHandler } from "./src/transport/router.ts";
export type { RequestContext } from "./src/transport/request_context.ts";
export type { RequestOptions } from "./src/transport/transport_options.ts";
export type { StateMachine } from "./src/transport/state_machine.ts";
export { Metadata } from "./src/codec/metadata.ts";
export type { Interceptor } from "./src/connection/interceptor.ts";
export { ReplyStream } from "./src/connection/reply_stream.ts";

export { jsonBody, rawBody, textBody } from "./src/codec/body_codec.ts";
export type { BodyCodec } from "./src/codec/body_codec.ts";
export { envelopeProtocol } from "./src/protocol/envelope_protocol.ts";
export type { Protocol } from "./src/protocol/protocol.ts";

export { TransportKey } from "./src/channel/transport_key.ts";
export type { Channel, Listener } from "./src/channel/channel.ts";
export { FailoverDialer } from "./src/client/dialers.ts";
export type { DialFunction } from "./src/client/dialers.ts";
export { type Logger, setLogger } from "./src/logger.ts";

export {
  AbortedError,
  AddressInUseError,
  CodecError,
  ConnectError,
  ConnectionClosedError,
  FrameTooLargeError,
  ListenRainError,
  ProtocolError,
  QueueFullError,
  RemoteError,
  TimeoutError,
  TooManyPendingError,
} from "./src/errors.ts";
