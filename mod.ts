/**
 * listenrain: a full-duplex, multiplexed network framework for Deno, Bun and
 * Node. Many requests share one reliable byte stream per peer; replies come
 * back in any order and are matched by message id. Callers `await` a reply
 * (sync mode) or hand over a {@linkcode StateMachine} that is called back
 * (async mode). Framing, serialization, the byte stream, queuing, execution
 * and timers are all replaceable parts. For services, {@linkcode Server}
 * and {@linkcode Client} add connection limits, heartbeat, graceful shutdown,
 * pooling, failover and reconnection; {@linkcode ProtocolRegistry} serves
 * and calls several protocols from one process.
 *
 * Every transport, server and client pool counts what it does (`stats`,
 * `transportStats`), reports slow requests to `onSlowRequest`, and
 * {@linkcode setDebugLog} turns on a log of connection events (silent by
 * default).
 *
 * This module is the runtime-neutral core: it runs wherever web streams do.
 * Sockets come from the adapters: `listenrain/adapters/deno`,
 * `listenrain/adapters/bun` and `listenrain/adapters/node`.
 *
 * @example Request and reply over an in-memory pipe
 * ```ts
 * import { createMemoryPipe, jsonBody, Peer, Router } from "./mod.ts";
 *
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("sayhi", (body: { name: string }) => ({ hi: body.name }));
 * const server = new Peer(a, { router, body: jsonBody });
 * const client = new Peer(b, { body: jsonBody });
 * console.log(await client.request("sayhi", { name: "rain" })); // { hi: "rain" }
 * await client.close();
 * await server.close();
 * ```
 *
 * @module
 */

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
export type { ErrorCode } from "./src/errors.ts";
export { setDebugLog } from "./src/debug.ts";
export type { DebugDetails, DebugLog } from "./src/debug.ts";

export type {
  Channel,
  ChannelAddr,
  ChannelIO,
  Dialer,
  Listener,
} from "./src/channel/channel.ts";
export {
  createMemoryPipe,
  DEFAULT_PIPE_HIGH_WATER_MARK,
} from "./src/channel/memory_pipe.ts";
export type {
  MemoryChannel,
  MemoryPipeOptions,
} from "./src/channel/memory_pipe.ts";
export {
  DEFAULT_MEMORY_BACKLOG,
  MemoryNetwork,
} from "./src/channel/memory_network.ts";
export type { MemoryNetworkOptions } from "./src/channel/memory_network.ts";

export type { FrameDecoder, PacketCodec } from "./src/framing/packet_codec.ts";
export {
  DEFAULT_MAX_FRAME_SIZE,
  LengthPrefixedCodec,
} from "./src/framing/length_prefixed.ts";
export type { LengthPrefixedOptions } from "./src/framing/length_prefixed.ts";
export { MAX_VARINT_SIZE, VarintPrefixedCodec } from "./src/framing/varint.ts";
export type { VarintPrefixedOptions } from "./src/framing/varint.ts";
export { DelimitedCodec } from "./src/framing/delimited.ts";
export type { DelimitedOptions } from "./src/framing/delimited.ts";
export { FixedSizeCodec } from "./src/framing/fixed_size.ts";
export type { FixedSizeOptions } from "./src/framing/fixed_size.ts";

export { SequentialIds } from "./src/codec/message_codec.ts";
export type {
  ErrorInfo,
  IdAllocator,
  MessageCodec,
  MessageId,
  MessageKind,
  SequentialIdsOptions,
} from "./src/codec/message_codec.ts";
export { ENVELOPE_KINDS, EnvelopeCodec } from "./src/codec/envelope.ts";
export type { Envelope, EnvelopeKind } from "./src/codec/envelope.ts";
export { jsonBody, rawBody, textBody } from "./src/codec/body_codec.ts";
export type { BodyCodec } from "./src/codec/body_codec.ts";

export {
  DEFAULT_COPY_LIMIT,
  DEFAULT_MAX_QUEUE_BYTES,
  SendQueue,
} from "./src/queue/send_queue.ts";
export type {
  FrameWriter,
  QueueOverflow,
  SendQueueOptions,
} from "./src/queue/send_queue.ts";
export { Timer, TimerHeap } from "./src/timer/timer_heap.ts";
export type { TimerHandle, TimerHeapOptions } from "./src/timer/timer_heap.ts";
export {
  BoundedExecutor,
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_QUEUE,
} from "./src/executor/executor.ts";
export type {
  BoundedExecutorOptions,
  Executor,
  Task,
} from "./src/executor/executor.ts";

export { Transport } from "./src/transport/transport.ts";
export {
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_MAX_HANDLING_BYTES,
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_SLOW_REQUEST_THRESHOLD,
  DEFAULT_TIMEOUT,
  HANDLING_CHARGE,
} from "./src/transport/transport_options.ts";
export type { HandlerFailure } from "./src/transport/handler_failure.ts";
export type {
  MessageHandler,
  RequestOptions,
  TransportOptions,
} from "./src/transport/transport_options.ts";
export type { TransportStats } from "./src/transport/stats.ts";
export type { SlowRequest } from "./src/transport/slow_request.ts";
export type { StateMachine } from "./src/transport/state_machine.ts";
export { RequestContext } from "./src/transport/request_context.ts";
export { Router } from "./src/transport/router.ts";
export type {
  Route,
  RouteHandler,
  RouteOptions,
} from "./src/transport/router.ts";
export { Peer } from "./src/transport/peer.ts";
export type { PeerOptions } from "./src/transport/peer.ts";

export { TransportKey } from "./src/channel/transport_key.ts";
export type {
  TransportKeyInit,
  TransportScheme,
} from "./src/channel/transport_key.ts";
export {
  backoffDelay,
  DEFAULT_BACKOFF,
  resolveBackoff,
} from "./src/client/backoff.ts";
export type { BackoffOptions } from "./src/client/backoff.ts";
export {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_DOWN_TIME,
  EndpointDialer,
  FailoverDialer,
} from "./src/client/dialers.ts";
export type {
  DialFunction,
  EndpointDialerOptions,
  EndpointStatus,
  FailoverDialerOptions,
} from "./src/client/dialers.ts";
export { PoolEvent } from "./src/client/pool_event.ts";
export type { PoolEventInit, PoolEventType } from "./src/client/pool_event.ts";
export { TransportPool } from "./src/client/transport_pool.ts";
export type {
  PoolGetOptions,
  PoolStats,
  ReconnectOptions,
  TransportPoolOptions,
} from "./src/client/transport_pool.ts";
export { TransportClient } from "./src/client/transport_client.ts";
export type {
  ClientNotifyOptions,
  ClientRequestOptions,
  TransportClientOptions,
} from "./src/client/transport_client.ts";
export { Client } from "./src/client/client.ts";
export type { ClientOptions } from "./src/client/client.ts";

export { ConnectionMonitor } from "./src/transport/connection_monitor.ts";
export type {
  ConnectionMonitorOptions,
  ExpireReason,
  HeartbeatOptions,
} from "./src/transport/connection_monitor.ts";
export {
  DEFAULT_FIRST_FRAME_TIMEOUT,
  DEFAULT_SHUTDOWN_TIMEOUT,
  TransportServer,
} from "./src/server/transport_server.ts";
export type {
  ServerCloseOptions,
  ServerStats,
  TransportServerOptions,
} from "./src/server/transport_server.ts";
export { Server } from "./src/server/server.ts";
export type { ServerOptions } from "./src/server/server.ts";

export {
  Protocol,
  ProtocolRegistry,
} from "./src/registry/protocol_registry.ts";
export type {
  PendingTableOptions,
  ProtocolClientOptions,
  ProtocolDefinition,
  ProtocolServerOptions,
} from "./src/registry/protocol_registry.ts";
