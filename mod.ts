/**
 * listenrain: a full-duplex, multiplexed network framework for Deno, Bun and
 * Node. Many requests share one reliable byte stream per peer; replies come
 * back in any order and are matched by message id. Callers `await` a reply
 * (sync mode) or hand over a {@linkcode StateMachine} that is called back
 * (async mode). Framing, serialization, the byte stream, queuing, execution
 * and timers are all replaceable parts.
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
  CodecError,
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

export type {
  Channel,
  ChannelAddr,
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

export type { FrameDecoder, PacketCodec } from "./src/framing/packet_codec.ts";
export {
  DEFAULT_MAX_FRAME_SIZE,
  LengthPrefixedCodec,
} from "./src/framing/length_prefixed.ts";
export type { LengthPrefixedOptions } from "./src/framing/length_prefixed.ts";

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

export {
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_TIMEOUT,
  Transport,
} from "./src/transport/transport.ts";
export type {
  MessageHandler,
  RequestOptions,
  TransportOptions,
} from "./src/transport/transport.ts";
export type { TransportStats } from "./src/transport/stats.ts";
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
