/**
 * The handler a connection gives its transport: finds the route of an
 * incoming message, decodes its body, runs the route's handler and builds
 * the reply, all through the connection's protocol.
 *
 * @module
 */

import type { BodyCodec } from "../codec/body_codec.ts";
import { RemoteError } from "../errors.ts";
import type { Protocol } from "../protocol/protocol.ts";
import type { RequestContext } from "../transport/request_context.ts";
import type { Router } from "../transport/router.ts";
import type { MessageHandler } from "../transport/transport_options.ts";

/**
 * The transport handler serving `router` over `protocol`.
 *
 * @param protocol The connection's protocol.
 * @param router The routes.
 * @param body The body codec of routes that name none.
 * @returns The handler.
 */
export function routeHandler<M>(
  protocol: Protocol<M>,
  router: Router,
  body: BodyCodec<unknown>,
): MessageHandler<M> {
  return (message: M, context: RequestContext<M>): M | Promise<M> => {
    const name = protocol.route(message);
    const route = router.lookup(name);
    if (route === undefined) {
      throw new RemoteError(
        "UNKNOWN_ROUTE",
        `No handler for route ${JSON.stringify(name)}`,
      );
    }
    const codec: BodyCodec<unknown> = route.body ?? body;
    let value: unknown;
    try {
      value = protocol.body(message, codec);
    } catch (error) {
      // The caller's own bytes: it is told why they do not decode.
      throw new RemoteError(
        "CODEC_ERROR",
        error instanceof Error ? error.message : String(error),
      );
    }
    const result = route.handler(value, context);
    if (result instanceof Promise) {
      return result.then((value) => protocol.reply(value, codec));
    }
    return protocol.reply(result, codec);
  };
}
