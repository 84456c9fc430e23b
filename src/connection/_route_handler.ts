/**
 * The handler a connection gives its transport: finds the route of an
 * incoming message, decodes its body, runs the handle interceptors and the
 * route's handler, and builds the reply, all through the connection's
 * protocol.
 *
 * @module
 */

import { type BodyCodec, rawBody } from "../codec/body_codec.ts";
import { RemoteError } from "../errors.ts";
import type { Protocol } from "../protocol/protocol.ts";
import type { IncomingContext } from "../transport/_incoming_context.ts";
import type { RequestContext } from "../transport/request_context.ts";
import type { Router } from "../transport/router.ts";
import type { MessageHandler } from "../transport/transport_options.ts";
import type { HandleInterceptor } from "./interceptor.ts";
import { AsyncReply } from "./_async_reply.ts";
import { acceptStream, checkShape } from "./_stream_route.ts";

/** The last handler made for a router without outer interceptors. */
interface SharedHandler {
  protocol: Protocol<unknown>;
  body: BodyCodec<unknown>;
  handler: MessageHandler<unknown>;
}

const sharedHandlers = new WeakMap<Router, SharedHandler>();

/**
 * {@linkcode routeHandler}, shared: connections that serve the same router
 * over the same protocol and body codec, without handle interceptors of
 * their own (a server's accepted connections), get the same handler instead
 * of one closure and its scope each. The handler keeps no state of its own
 * (the router is read on each message), so sharing it changes nothing seen.
 *
 * @param protocol The connection's protocol.
 * @param router The routes.
 * @param body The body codec of routes that name none.
 * @param outer The connection's handle interceptors.
 * @returns The handler.
 */
export function sharedRouteHandler<M>(
  protocol: Protocol<M>,
  router: Router,
  body: BodyCodec<unknown>,
  outer: readonly HandleInterceptor[],
): MessageHandler<M> {
  if (outer.length > 0) return routeHandler(protocol, router, body, outer);
  const last = sharedHandlers.get(router);
  if (last !== undefined && last.protocol === protocol && last.body === body) {
    return last.handler as MessageHandler<M>;
  }
  const handler = routeHandler(protocol, router, body, NO_INTERCEPTORS);
  sharedHandlers.set(router, {
    protocol: protocol as Protocol<unknown>,
    body,
    handler: handler as MessageHandler<unknown>,
  });
  return handler;
}

const NO_INTERCEPTORS: readonly HandleInterceptor[] = Object.freeze([]);

/**
 * The transport handler serving `router` over `protocol`.
 *
 * @param protocol The connection's protocol.
 * @param router The routes.
 * @param body The body codec of routes that name none.
 * @param outer The connection's (or server's) handle interceptors; the
 *   router's own run inside them.
 * @returns The handler.
 */
export function routeHandler<M>(
  protocol: Protocol<M>,
  router: Router,
  body: BodyCodec<unknown>,
  outer: readonly HandleInterceptor[],
): MessageHandler<M> {
  const carriesMetadata = protocol.metadata !== undefined;
  const streams = protocol.streamMessage ? protocol.codec.streams : undefined;
  return (message: M, ctx: RequestContext<M>): M | Promise<M> => {
    const context = ctx as IncomingContext<M>;
    const name = protocol.route(message);
    context.route = name;
    if (carriesMetadata) context.received = protocol.metadata!(message);
    const route = router.lookup(name);
    if (route === undefined) {
      throw new RemoteError(
        "UNKNOWN_ROUTE",
        `No handler for route ${JSON.stringify(name)}`,
      );
    }
    const codec: BodyCodec<unknown> = route.body ?? body;
    const shape = streams?.shape(message);
    if (shape !== undefined || route.shape !== undefined) {
      checkShape(name, route, shape);
    }
    let value: unknown;
    let run: (value: unknown, context: RequestContext) => unknown =
      route.handler;
    try {
      if (shape === undefined) value = protocol.body(message, codec);
      else {
        ({ input: value, run } = acceptStream(
          protocol,
          route,
          message,
          codec,
          context,
        ));
      }
    } catch (error) {
      // The caller's own bytes: it is told why they do not decode.
      throw new RemoteError(
        "CODEC_ERROR",
        error instanceof Error ? error.message : String(error),
      );
    }
    // The end of a stream of replies carries no body.
    const replyCodec = shape === "server" || shape === "bidi"
      ? rawBody as BodyCodec<unknown>
      : codec;
    const inner = router.interceptors;
    if (outer.length === 0 && inner.length === 0) {
      const result = run(value, context);
      if (result instanceof Promise) {
        return new AsyncReply(result, protocol, replyCodec, context);
      }
      return protocol.reply(result, replyCodec, context.replyMetadataIfSet);
    }
    return new AsyncReply(
      intercepted(outer, inner, run, value, context),
      protocol,
      replyCodec,
      context,
    );
  };
}

/** Runs `outer`, then `inner`, then the route's handler. */
function intercepted(
  outer: readonly HandleInterceptor[],
  inner: readonly HandleInterceptor[],
  run: (value: unknown, context: RequestContext) => unknown,
  value: unknown,
  context: RequestContext,
): Promise<unknown> {
  const count = outer.length + inner.length;
  const dispatch = (at: number): Promise<unknown> => {
    try {
      if (at === count) return Promise.resolve(run(value, context));
      const interceptor = at < outer.length
        ? outer[at]
        : inner[at - outer.length];
      return Promise.resolve(interceptor(context, () => dispatch(at + 1)));
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return dispatch(0);
}
