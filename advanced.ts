/**
 * listenrain's building blocks, for tuning and for building your own
 * client or server on them: the send queue, the timer heap, the executor,
 * the connection pool and its events, the dialers and backoff, the
 * connection monitor, the channel contract's fast path, and the types of
 * counters and callbacks the everyday API hands you.
 *
 * @example One timer heap for every deadline of a process
 * ```ts
 * import { Client, Router, Server } from "listenrain";
 * import { TimerHeap } from "listenrain/advanced";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const timers = new TimerHeap();
 * const network = new MemoryNetwork();
 * const router = new Router().handle("ping", () => new Uint8Array());
 * await using server = new Server({ router, timers });
 * server.serve(await network.listen("mem://a"));
 * await using client = new Client({ endpoint: "mem://a", dial: (k, o) => network.dial(k, o), timers });
 * console.log((await client.request("ping", new Uint8Array())).byteLength); // 0
 * ```
 *
 * @module
 */

export type {
  ChannelAddr,
  ChannelIO,
  Dialer,
  PeerCertificate,
} from "./src/channel/channel.ts";
export type {
  TransportKeyInit,
  TransportScheme,
} from "./src/channel/transport_key.ts";
export { ioReadable, ioWritable } from "./src/channel/channel_io.ts";
export {
  dialWebSocket,
  webSocketChannel,
  webSocketInfo,
} from "./src/channel/websocket_channel.ts";
export type {
  WebSocketAcceptOptions,
  WebSocketChannelOptions,
  WebSocketConstructor,
  WebSocketDialOptions,
  WebSocketLike,
} from "./src/channel/websocket_channel.ts";
export { MessageTooLargeError } from "./src/errors.ts";
export type { IOChannel } from "./src/channel/channel_io.ts";
export type { ErrorCode } from "./src/errors.ts";
export type { LogEvent, LogEventName, LogLevel } from "./src/log_event.ts";
export { SendQueue } from "./src/queue/send_queue.ts";
export type {
  FrameWriter,
  QueueOverflow,
  SendQueueOptions,
} from "./src/queue/send_queue.ts";
export { Timer, TimerHeap } from "./src/timer/timer_heap.ts";
export type { TimerHandle, TimerHeapOptions } from "./src/timer/timer_heap.ts";
export { BoundedExecutor } from "./src/executor/executor.ts";
export type {
  BoundedExecutorOptions,
  Executor,
  Task,
} from "./src/executor/executor.ts";
export { ConnectionPool } from "./src/client/connection_pool.ts";
export type {
  ConnectionPoolOptions,
  PoolGetOptions,
  ReconnectOptions,
} from "./src/client/pool_options.ts";
export type { PoolStats } from "./src/client/pool_stats.ts";
export { PoolEvent } from "./src/client/pool_event.ts";
export type { PoolEventInit, PoolEventType } from "./src/client/pool_event.ts";
export type { ClientNotifyOptions } from "./src/client/client_options.ts";
export { EndpointDialer } from "./src/client/dialers.ts";
export type {
  EndpointDialerOptions,
  EndpointStatus,
  FailoverDialerOptions,
} from "./src/client/dialers.ts";
export { backoffDelay } from "./src/client/backoff.ts";
export type { BackoffOptions } from "./src/client/backoff.ts";
export { ConnectionMonitor } from "./src/transport/connection_monitor.ts";
export type {
  ConnectionMonitorOptions,
  ExpireReason,
  HeartbeatOptions,
  MonitoredConnection,
} from "./src/transport/connection_monitor.ts";
export type {
  ServerCloseOptions,
  ServerStats,
} from "./src/server/server_options.ts";
export type { MetadataInit, MetadataValue } from "./src/codec/metadata.ts";
export type {
  HandleInterceptor,
  OutgoingRequest,
  ReplyWithMetadata,
  RequestInterceptor,
} from "./src/connection/interceptor.ts";
export type { ConnectionStats } from "./src/transport/stats.ts";
export type { SlowRequest } from "./src/transport/slow_request.ts";
export type { HandlerFailure } from "./src/transport/handler_failure.ts";
export type { Route, RouteOptions } from "./src/transport/router.ts";
export type {
  AnyRoutes,
  ReplyOf,
  RequestOf,
  RouteOf,
  RoutesOf,
  RouteTypes,
  StreamRouteOf,
} from "./src/protocol/route_types.ts";
export type {
  BidiStreamHandler,
  ClientStreamHandler,
  ServerStreamHandler,
  StreamSource,
} from "./src/transport/stream_handlers.ts";
export type { StreamOptions } from "./src/connection/stream_options.ts";
export type { RouteName } from "./src/protocol/protocol.ts";
export type { ConnectionLimits } from "./src/transport/transport_options.ts";
export { ListResolver } from "./src/resolve/resolver.ts";
export type { ResolvedEndpoint, Resolver } from "./src/resolve/resolver.ts";
export { DnsResolver } from "./src/resolve/dns_resolver.ts";
export type {
  DnsLookup,
  DnsResolverOptions,
  DnsSrvRecord,
} from "./src/resolve/dns_resolver.ts";
export type {
  Balancer,
  BalancerCandidate,
  BalancerName,
} from "./src/client/balancer.ts";
export type { OutlierOptions } from "./src/client/client_options.ts";
