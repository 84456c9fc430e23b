/**
 * Opening a stream call, for `Connection` and `Client`: the request that
 * opens it (through the request interceptors, if any), the pump that sends
 * the caller's messages under the stream's credit, and the
 * {@linkcode ReplyStream} or promise the caller gets.
 *
 * @module
 */

import type { ChannelAddr } from "../channel/channel.ts";
import type { TransportKey } from "../channel/transport_key.ts";
import { rawBody } from "../codec/body_codec.ts";
import type { StreamShape } from "../codec/message_codec.ts";
import { Metadata } from "../codec/metadata.ts";
import type { RouteName } from "../protocol/protocol.ts";
import type { Transport } from "../transport/transport.ts";
import { openStream } from "../transport/_open_stream.ts";
import type { StreamState } from "../transport/_stream_state.ts";
import type { StreamSource } from "../transport/stream_handlers.ts";
import { toError } from "../transport/_to_error.ts";
import type { Caller } from "./_caller.ts";
import type { OutgoingRequest, ReplyWithMetadata } from "./interceptor.ts";
import type { StreamOptions } from "./stream_options.ts";
import { attachStream, ReplyStream } from "./reply_stream.ts";

const EMPTY: Uint8Array = new Uint8Array(0);

/** What a stream call is opened with: where, and how. */
export interface StreamCallHost {
  /** Sends and decodes through the connection's or client's protocol. */
  readonly caller: Caller;
  /** Names the peer to request interceptors. */
  readonly endpoint: (options: StreamOptions) => TransportKey | ChannelAddr;
  /** The connection to open the stream on (a client finds one first). */
  readonly transport: (
    options: StreamOptions,
  ) => Transport<unknown> | Promise<Transport<unknown>>;
}

/** The first request's fields the stream is opened with. */
type Opening = Pick<
  OutgoingRequest,
  "route" | "body" | "metadata" | "timeout" | "signal"
>;

/**
 * Starts a server-streaming or bidirectional call.
 *
 * @param host Where the stream opens.
 * @param shape `"server"` or `"bidi"`.
 * @param route The route.
 * @param input The request (server) or the requests' source (bidi).
 * @param options Deadline (none by default), signal, metadata.
 * @returns The replies; it fails with the error if the call cannot start.
 */
export function streamReplies<T>(
  host: StreamCallHost,
  shape: "server" | "bidi",
  route: RouteName,
  input: unknown,
  options: StreamOptions | undefined,
): ReplyStream<T> {
  const replies = new ReplyStream<T>();
  const trailers = (reply: unknown) =>
    host.caller.protocol.metadata?.(reply) ?? new Metadata();
  const attach = (state: StreamState<unknown>) =>
    attachStream(replies, state, undefined, trailers);
  const failed = (error: unknown) =>
    attachStream(replies, undefined, toError(error), trailers);
  try {
    if (host.caller.interceptors.length > 0) {
      intercepted(host, shape, route, input, options, attach).catch(failed);
    } else {
      const opened = open(
        host,
        shape,
        input,
        direct(host, route, input, shape, options),
        options,
      );
      if (opened instanceof Promise) opened.then(attach, failed);
      else attach(opened);
    }
  } catch (error) {
    failed(error);
  }
  return replies;
}

/**
 * Starts a client-streaming call.
 *
 * @param host Where the stream opens.
 * @param route The route.
 * @param input The requests' source.
 * @param options Deadline (none by default), signal, metadata.
 * @returns The peer's one reply.
 */
export function streamRequests(
  host: StreamCallHost,
  route: RouteName,
  input: StreamSource<unknown>,
  options: StreamOptions | undefined,
): Promise<unknown> {
  try {
    if (host.caller.interceptors.length > 0) {
      return intercepted(host, "client", route, input, options, () => {})
        .then((reply) => reply.body);
    }
    const request = direct(host, route, input, "client", options);
    const opened = open(host, "client", input, request, options);
    return opened instanceof Promise
      ? opened.then((state) => ended(host, state, "client")).then(bodyOf)
      : ended(host, opened, "client").then(bodyOf);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The opening request of a call without interceptors. */
function direct(
  host: StreamCallHost,
  route: RouteName,
  input: unknown,
  shape: StreamShape,
  options: StreamOptions | undefined,
): Opening {
  const metadata = host.caller.metadata(options?.metadata);
  return {
    route,
    body: shape === "server" ? input : undefined,
    metadata: metadata ?? EMPTY_METADATA,
    timeout: options?.timeout ?? 0,
    signal: options?.signal,
  };
}

const EMPTY_METADATA = new Metadata();

/** Runs the request interceptors; the last `next` opens the stream. */
function intercepted(
  host: StreamCallHost,
  shape: StreamShape,
  route: RouteName,
  input: unknown,
  options: StreamOptions | undefined,
  attach: (state: StreamState<unknown>) => void,
): Promise<ReplyWithMetadata> {
  return host.caller.intercept(
    route,
    shape === "server" ? input : undefined,
    options,
    Infinity,
    host.endpoint(options ?? {}),
    async (request) => {
      const state = await open(host, shape, input, request, options);
      attach(state);
      return ended(host, state, shape);
    },
    shape,
  );
}

/** Opens the stream on a connection; for client and bidi, starts the pump. */
function open(
  host: StreamCallHost,
  shape: StreamShape,
  input: unknown,
  request: Opening,
  options: StreamOptions | undefined,
): StreamState<unknown> | Promise<StreamState<unknown>> {
  const transport = host.transport(options ?? {});
  if (transport instanceof Promise) {
    return transport.then((t) => openOn(t, host, shape, input, request));
  }
  return openOn(transport, host, shape, input, request);
}

function openOn(
  transport: Transport<unknown>,
  host: StreamCallHost,
  shape: StreamShape,
  input: unknown,
  request: Opening,
): StreamState<unknown> {
  const { protocol, body } = host.caller;
  if (protocol.streamMessage === undefined) {
    throw new TypeError("This connection's protocol has no streams");
  }
  const metadata = request.metadata.size > 0 ? request.metadata : undefined;
  const message = shape === "server"
    ? protocol.message("request", request.route, request.body, body, metadata)
    : protocol.message("request", request.route, EMPTY, rawBody, metadata);
  const state = openStream(
    transport,
    message,
    shape,
    (m) => protocol.body(m, body),
    {
      timeout: request.timeout === Infinity ? 0 : request.timeout,
      signal: request.signal,
    },
  );
  if (shape !== "server") {
    void pump(state, input as StreamSource<unknown>, host.caller);
  }
  return state;
}

/** Resolves once the stream has ended well: the peer's reply and metadata. */
function ended(
  host: StreamCallHost,
  state: StreamState<unknown>,
  shape: StreamShape,
): Promise<ReplyWithMetadata> {
  return new Promise((resolve, reject) => {
    state.onEnd = (reply, error) => {
      if (error !== undefined) return reject(error);
      const protocol = host.caller.protocol;
      try {
        resolve({
          body: shape === "client"
            ? protocol.body(reply, host.caller.body)
            : undefined,
          metadata: protocol.metadata?.(reply) ?? new Metadata(),
        });
      } catch (error) {
        reject(error);
      }
    };
  });
}

/** Sends the caller's messages as the credit allows, then `stream_end`. */
async function pump(
  state: StreamState<unknown>,
  source: StreamSource<unknown>,
  caller: Caller,
): Promise<void> {
  const { protocol, body } = caller;
  // A ReadableStream is read with a reader of our own, so that a read that
  // waits when the stream ends can be cancelled (and the lock released).
  let reader: ReadableStreamDefaultReader<unknown> | undefined;
  const values = typeof (source as ReadableStream).getReader === "function"
    ? readAll(reader = (source as ReadableStream).getReader())
    : iterate(source);
  state.onSendClosed = (reason) => {
    reader?.cancel(reason).catch(() => {});
  };
  try {
    for await (const value of values) {
      const sent = state.send(protocol.streamMessage!(value, body, true));
      if (sent !== undefined) await sent;
    }
    await state.end();
  } catch (error) {
    // The source threw or a value did not encode: the stream fails with
    // it. Once the stream has ended, the pump just stops.
    if (!state.ended) state.cancel(toError(error));
  }
}

/** An iterable source as it is; anything else is a `TypeError`. */
function iterate<T>(
  source: StreamSource<T>,
): AsyncIterable<T> | Iterable<T> {
  if (
    typeof (source as AsyncIterable<T>)[Symbol.asyncIterator] === "function" ||
    typeof (source as Iterable<T>)[Symbol.iterator] === "function"
  ) return source as AsyncIterable<T> | Iterable<T>;
  throw new TypeError(
    "A stream's source must be an async iterable, an iterable or a ReadableStream",
  );
}

async function* readAll<T>(
  reader: ReadableStreamDefaultReader<T>,
): AsyncGenerator<T> {
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

function bodyOf(reply: ReplyWithMetadata): unknown {
  return reply.body;
}
