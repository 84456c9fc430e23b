/**
 * A stream this side opens on a transport: {@linkcode openStream}.
 *
 * @module
 */

import type { StreamShape } from "../codec/message_codec.ts";
import { PendingRequest } from "./_pending_request.ts";
import { StreamState } from "./_stream_state.ts";
import { partsOf, type Transport } from "./transport.ts";
import type { RequestOptions } from "./transport_options.ts";

/**
 * Opens a stream: sends `request` (made to open a stream of `shape`) and
 * returns this side of the stream, whose terminal is the request's reply.
 * For `Connection`; not part of the public API.
 *
 * @internal
 */
export function openStream<M>(
  transport: Transport<M>,
  request: M,
  shape: StreamShape,
  decode: (message: M) => unknown,
  options: RequestOptions | undefined,
): StreamState<M> {
  const { link, outgoing } = partsOf(transport);
  const streams = link.codec.streams;
  if (streams === undefined) {
    throw new TypeError("This connection's protocol has no streams");
  }
  const window = link.streamWindow;
  const stream = new StreamState<M>(link, streams, true, window, decode);
  const entry = new PendingRequest<M>(
    (reply) => stream.finish(reply),
    (error) => stream.fail(error),
  );
  outgoing.extras(entry).stream = stream;
  stream.cancel = (error) => outgoing.cancel(entry, error);
  // A stream has no deadline unless the caller gives one.
  const timeout = options?.timeout ?? 0;
  stream.id = outgoing.start(
    streams.open(request, shape, shape === "client" ? 0 : window),
    entry,
    { timeout, signal: options?.signal },
  );
  if (shape === "server") stream.grant(0);
  return stream;
}
