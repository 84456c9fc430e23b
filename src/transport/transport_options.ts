/**
 * The options of the internal message-level transport under every
 * `Connection`, with their defaults: the
 * transport's {@linkcode TransportOptions}, one request's
 * {@linkcode RequestOptions}, and the {@linkcode MessageHandler} that
 * answers the peer's requests.
 *
 * @module
 */

import type { MetadataInit } from "../codec/metadata.ts";
import type { IdAllocator, MessageCodec } from "../codec/message_codec.ts";
import type { Executor } from "../executor/executor.ts";
import type { PacketCodec } from "../framing/packet_codec.ts";
import type { SendQueueOptions } from "../queue/send_queue.ts";
import type { TimerHeap } from "../timer/timer_heap.ts";
import type { HandlerFailure } from "./handler_failure.ts";
import type { RequestContext } from "./request_context.ts";
import type { SlowRequest } from "./slow_request.ts";

/**
 * The default request timeout: 30 s. The transport's `timeout` option
 * overrides it for every request, a request's own `timeout` for that one.
 * @default {30000}
 *
 * @example The transport's timeout and one request's
 * ```ts
 * import { Connection, Router, TimeoutError } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("stuck", () => new Promise<Uint8Array>(() => {})); // never replies
 * const server = new Connection(a, { router });
 * const client = new Connection<typeof router>(b, { timeout: 5_000 }); // every request: 5 s (default 30 s)
 * const error = await client.request("stuck", new Uint8Array(), { timeout: 20 }).catch((e: unknown) => e); // this one: 20 ms
 * console.log(error instanceof TimeoutError); // true
 * await client.close();
 * await server.close();
 * ```
 */
export const DEFAULT_TIMEOUT = 30_000;
/**
 * The default bound on requests waiting for replies. The
 * `maxPendingRequests` option overrides it.
 * @default {65536}
 *
 * @example One request in flight at most
 * ```ts
 * import { Connection, Router, TooManyPendingError } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("echo", async (body: Uint8Array) => {
 *   await new Promise((resolve) => setTimeout(resolve, 10));
 *   return body;
 * });
 * const server = new Connection(a, { router });
 * const client = new Connection<typeof router>(b, { maxPendingRequests: 1 }); // default 65536
 * const first = client.request("echo", new Uint8Array());
 * const second = await client.request("echo", new Uint8Array()).catch((e: unknown) => e); // the first still waits for its reply
 * console.log(second instanceof TooManyPendingError); // true
 * await first;
 * await client.close();
 * await server.close();
 * ```
 */
export const DEFAULT_MAX_PENDING_REQUESTS = 65_536;
/**
 * What one received request or notification is charged against
 * `maxHandlingBytes` beside its frame's bytes: about what its context, its
 * decoded message and its place in the executor's queue hold, so that the
 * bound is a bound on memory also for tiny requests.
 *
 * @example At most 16 tiny requests handled at once under a 16 KiB bound
 * ```ts
 * import { Connection, Router } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * let running = 0;
 * let most = 0;
 * const router = new Router().handle("t", async (body: Uint8Array) => {
 *   most = Math.max(most, ++running);
 *   await new Promise((resolve) => setTimeout(resolve, 5));
 *   running--;
 *   return body;
 * });
 * const server = new Connection(a, { router, maxHandlingBytes: 16 * 1024 }); // each tiny request counts 1 KiB
 * const client = new Connection<typeof router>(b);
 * await Promise.all(Array.from({ length: 100 }, () => client.request("t", new Uint8Array(1))));
 * console.log(most <= 16); // true: the others waited to be read
 * await client.close();
 * await server.close();
 * ```
 */
export const HANDLING_CHARGE = 1024;
/**
 * How long `close()` waits for queued frames to be written. The
 * `closeTimeout` option overrides it.
 * @default {5000}
 *
 * @example Closing while the peer reads nothing
 * ```ts
 * import { Connection } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe({ highWaterMark: 16 }); // b never reads: writes stall
 * const connection = new Connection(a, { closeTimeout: 50 }); // default 5000
 * void connection.notify("log", new Uint8Array(1024));
 * await connection.close(); // gives up on the unwritten frame after 50 ms
 * console.log(connection.closedReason?.message); // "Close timed out"
 * b.close();
 * ```
 */
export const DEFAULT_CLOSE_TIMEOUT = 5_000;
/**
 * The default credit of a stream, in bytes: how much of the peer's
 * messages may wait unread per stream (plus one message). The
 * `streamWindow` option overrides it.
 * @default {262144}
 */
export const DEFAULT_STREAM_WINDOW = 256 * 1024;
/**
 * The default number of streams the peer may have open on one connection.
 * The `maxStreams` option overrides it.
 * @default {1024}
 */
export const DEFAULT_MAX_STREAMS = 1024;
/**
 * The default bound on what received requests and notifications hold
 * until their handlers finish and their replies are queued: 4 MiB, counted
 * as their frames' bytes plus {@linkcode HANDLING_CHARGE} each. With the
 * send queue's 8 MiB it bounds what one connection holds, so that a peer
 * that sends fast and reads nothing costs about 12 MiB at most. The
 * `maxHandlingBytes` option overrides it.
 * @default {4194304}
 *
 * @example Reading pauses while the handlers hold 1 KiB
 * ```ts
 * import { Connection, Router } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * const busy = Promise.withResolvers<undefined>(); // the handlers finish when it resolves
 * const router = new Router().handle("upload", () => busy.promise);
 * const server = new Connection(a, { router, maxHandlingBytes: 1024 }); // default 4 MiB
 * const client = new Connection<typeof router>(b);
 * const tick = () => new Promise((resolve) => setTimeout(resolve, 10));
 * for (let i = 0; i < 2; i++) {
 *   void client.notify("upload", new Uint8Array(2048));
 *   await tick();
 * }
 * console.log(server.stats.framesIn); // 1: reading waits until the handler is done
 * busy.resolve(undefined);
 * await tick();
 * console.log(server.stats.framesIn); // 2
 * await client.close();
 * await server.close();
 * ```
 */
export const DEFAULT_MAX_HANDLING_BYTES = 4 * 1024 * 1024;
/**
 * Requests slower than this many ms go to `onSlowRequest`. The
 * `slowRequestThreshold` option overrides it.
 * @default {1000}
 *
 * @example Reporting requests slower than 10 ms
 * ```ts
 * import { Connection, Router } from "listenrain";
 * import type { SlowRequest } from "listenrain/advanced";
 * import type { Envelope } from "listenrain/framing";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("report", async (body: Uint8Array) => {
 *   await new Promise((resolve) => setTimeout(resolve, 30));
 *   return body;
 * });
 * const server = new Connection(a, { router });
 * const slow: SlowRequest<Envelope>[] = [];
 * const client = new Connection<typeof router>(b, {
 *   slowRequestThreshold: 10, // default 1000
 *   onSlowRequest: (s) => slow.push(s),
 * });
 * await client.request("report", new Uint8Array());
 * console.log(slow.length, slow[0].direction, slow[0].outcome); // 1 "outgoing" "reply"
 * await client.close();
 * await server.close();
 * ```
 */
export const DEFAULT_SLOW_REQUEST_THRESHOLD = 1_000;

/**
 * Handles an incoming request or notification. For a request, the returned
 * message is the reply (the transport sets its id); a thrown error or a
 * rejected promise becomes an error reply. For a notification the result is
 * ignored.
 */
export type MessageHandler<M> = (
  message: M,
  context: RequestContext<M>,
) => M | undefined | Promise<M | undefined>;

/**
 * The limits and callbacks of a connection, given through
 * `ConnectionOptions` (and a `Client`'s or a `Server`'s options, for all
 * their connections).
 *
 * @example Limits shared by both ends of a pipe
 * ```ts
 * import { Connection, Router } from "listenrain";
 * import type { ConnectionLimits } from "listenrain/advanced";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const limits: ConnectionLimits = {
 *   timeout: 2_000,
 *   queue: { maxQueueBytes: 1024 * 1024, overflow: "error" },
 *   onError: (error) => console.error("connection:", error),
 * };
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("hello", (body: Uint8Array) => body);
 * const server = new Connection(a, { ...limits, router });
 * const client = new Connection<typeof router>(b, limits);
 * await client.request("hello", new Uint8Array());
 * console.log(client.stats.requestsSent, server.stats.requestsReceived); // 1 1
 * await client.close();
 * await server.close();
 * ```
 */
// deno-lint-ignore no-explicit-any
export interface ConnectionLimits<M = any> {
  /** Default request timeout in ms; `0` or `Infinity` for none. @default {30000} */
  timeout?: number;
  /** Requests waiting for replies before `request()` fails with `TooManyPendingError`. @default {65536} */
  maxPendingRequests?: number;
  /**
   * Memory held by received requests and notifications whose handlers have
   * not finished (queued in the executor or running) or whose replies wait
   * for room in the send queue: each counts its frame's bytes plus
   * {@linkcode HANDLING_CHARGE} (1 KiB) for what it holds beside them. Past it the transport takes no new request until handlers finish
   * and stops reading, so a peer that sends faster than the handlers work is
   * slowed by backpressure instead of filling memory. The check comes before
   * each request, so the bound is passed by one frame at most (a frame larger
   * than the bound is still taken). Handlers that wait for replies from the
   * same peer hold their bytes while they wait: keep the bound above what
   * they hold at once.
   * @default {4194304}
   */
  maxHandlingBytes?: number;
  /**
   * How many bytes of one stream's messages the peer may send before this
   * side has read them: the credit each stream grants, in payload bytes
   * (it is granted back as the reader takes messages, each time half of it
   * was read). A sender whose credit is positive may send one more message
   * of any size, so what waits unread here for one stream is at most this
   * plus one message. A slow reader stops only its own stream's sender.
   * @default {262144}
   */
  streamWindow?: number;
  /**
   * Streams the peer may have open on this connection at once; one more is
   * refused with the error `TOO_MANY_STREAMS`. Stream handlers run beside
   * the executor (a stream lives long; it does not hold a request's slot).
   * What the peer's streams may hold unread here is at most `maxStreams ×
   * (streamWindow + one message)`: lower both where handlers read slowly.
   * @default {1024}
   */
  maxStreams?: number;
  /** The send queue's bound and overflow behaviour. */
  queue?: SendQueueOptions;
  /** Runs handlers. @default {new BoundedExecutor()} */
  executor?: Executor;
  /**
   * Holds every deadline. By default one heap is shared by every transport
   * of the process (one runtime timer armed for all their deadlines); a
   * transport cancels its own timers when it closes.
   */
  timers?: TimerHeap;
  /** How long `close()` waits for queued frames to be written, in ms. @default {5000} */
  closeTimeout?: number;
  /**
   * Receives errors that belong to no request: a protocol error from the
   * peer, a state machine callback or notification handler that threw.
   * @default {() => {}}
   */
  onError?: (error: unknown) => void;
  /**
   * Called once for each handler that threw or rejected, with the error, the
   * request's context and the error id quoted to the caller. Unless the
   * error is a {@linkcode RemoteError} (or `exposeErrors` is set), the caller
   * is told only `HANDLER_ERROR` (or a framework error's code) and the error
   * id, never the error's message.
   * @default {(failure) => onError(failure.error)}
   */
  onHandlerError?: (failure: HandlerFailure<M>) => void;
  /**
   * Sends the message of every handler error to the caller, not only of
   * {@linkcode RemoteError}s: for development, or peers that trust each
   * other.
   * @default {false}
   */
  exposeErrors?: boolean;
  /** Called when the peer sends goaway: it takes no new requests here. */
  onGoaway?: (reason: string) => void;
  /**
   * Requests that take longer than this many ms, sent or handled, are
   * reported to `onSlowRequest` and counted in `stats.slowRequests`. Without
   * `onSlowRequest` (or a logger, `setLogger`) nothing is timed.
   * @default {1000}
   */
  slowRequestThreshold?: number;
  /**
   * Called once for each request that took longer than
   * `slowRequestThreshold`, when it ends. While it is unset (the default)
   * requests are not timed at all.
   */
  onSlowRequest?: (slow: SlowRequest<M>) => void;
}

/**
 * Options of the internal {@linkcode Transport}: the protocol's codecs and
 * the handler, with the connection's limits.
 */
export interface TransportOptions<M> extends ConnectionLimits<M> {
  /** Message serialization, and where the id lives. */
  codec: MessageCodec<M>;
  /** Framing. @default {new LengthPrefixedCodec()} */
  packetCodec?: PacketCodec;
  /** Handles incoming requests and notifications. Without it, requests get an error reply. */
  handler?: MessageHandler<M>;
  /** Allocates request ids. @default {new SequentialIds()} */
  ids?: IdAllocator;
}

/**
 * Options of one request.
 *
 * @example A deadline, and a signal that aborts the request first
 * ```ts
 * import { AbortedError, Connection, type RequestOptions, Router } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("search", () => new Promise<Uint8Array>(() => {})); // never replies
 * const server = new Connection(a, { router });
 * const client = new Connection<typeof router>(b);
 * const controller = new AbortController();
 * const options: RequestOptions = { timeout: 10_000, signal: controller.signal };
 * const reply = client.request("search", new Uint8Array(), options);
 * controller.abort(); // the request rejects, and the server is sent a cancel
 * console.log(await reply.catch((e: unknown) => e instanceof AbortedError)); // true
 * await client.close();
 * await server.close();
 * ```
 */
export interface RequestOptions {
  /** Deadline in ms; `0` or `Infinity` for none. @default {the connection's `timeout`} */
  timeout?: number;
  /** Aborts the request: it rejects with `AbortedError` and the peer is told. */
  signal?: AbortSignal;
  /** Metadata sent with the request, on top of the connection's or client's `metadata` (a key given here replaces theirs). */
  metadata?: MetadataInit;
  /** Resolve with `{ body, metadata }` (the reply's metadata too) instead of the body alone. */
  withMetadata?: boolean;
}
