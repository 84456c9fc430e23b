/**
 * The side of a stream route that accepts it: the handler's input (the one
 * request, or the stream of requests) and the pump that sends its replies
 * under the stream's credit.
 *
 * @module
 */

import type { BodyCodec } from "../codec/body_codec.ts";
import type { StreamShape } from "../codec/message_codec.ts";
import { RemoteError } from "../errors.ts";
import type { Protocol } from "../protocol/protocol.ts";
import type { IncomingContext } from "../transport/_incoming_context.ts";
import { DONE, type StreamState } from "../transport/_stream_state.ts";
import type { RequestContext } from "../transport/request_context.ts";
import type { Route } from "../transport/router.ts";

/**
 * Checks that the request's shape is the route's: a stream route called as
 * a request (or the other way round, or with another shape) is refused.
 *
 * @throws {RemoteError} `WRONG_SHAPE`, answered to the caller.
 */
export function checkShape(
  name: string | number,
  route: Route,
  shape: StreamShape | undefined,
): void {
  if (route.shape === shape) return;
  const what = (s: StreamShape | undefined) =>
    s === undefined ? "request/reply" : `${s}-streaming`;
  throw new RemoteError(
    "WRONG_SHAPE",
    `Route ${JSON.stringify(name)} is ${what(route.shape)}, called as ${
      what(shape)
    }`,
  );
}

/**
 * Accepts the stream `context`'s request opens and returns what the route's
 * handler is called with, and the handler wrapped so that its replies are
 * sent (server, bidi) and its result is the reply's body (client).
 */
export function acceptStream<M>(
  protocol: Protocol<M>,
  route: Route,
  message: M,
  codec: BodyCodec<unknown>,
  context: IncomingContext<M>,
): {
  input: unknown;
  run: (input: unknown, context: RequestContext) => unknown;
} {
  const shape = route.shape!;
  const stream = context.streams!.acceptStream(
    context,
    (m) => protocol.body(m, codec),
    shape !== "server",
  );
  const input = shape === "server"
    ? protocol.body(message, codec)
    : requestsOf(stream);
  if (shape === "client") return { input, run: route.handler };
  return {
    input,
    run: (input, ctx) =>
      sendAll(route.handler(input, ctx), stream, protocol, codec),
  };
}

/** The requests of a stream, as the handler reads them. */
function requestsOf<M>(stream: StreamState<M>): AsyncIterable<unknown> {
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => stream.next(),
      return: () => Promise.resolve(DONE),
    }),
  };
}

/** Sends each reply the handler yields, as the credit allows. */
async function sendAll<M>(
  output: AsyncIterable<unknown> | Iterable<unknown>,
  stream: StreamState<M>,
  protocol: Protocol<M>,
  codec: BodyCodec<unknown>,
): Promise<undefined> {
  if (output == null || typeof output !== "object") {
    throw new TypeError(
      "A streaming handler returns an async iterable (an async function*)",
    );
  }
  for await (const value of output) {
    const sent = stream.send(protocol.streamMessage!(value, codec, false));
    if (sent !== undefined) await sent;
  }
  return undefined;
}
