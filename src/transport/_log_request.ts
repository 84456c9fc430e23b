/**
 * The log events of one request: a handler's error, and the route they
 * name.
 *
 * @module
 */

import type { MessageId } from "../codec/message_codec.ts";
import { RemoteError } from "../errors.ts";
import { ends, log } from "../logger.ts";
import type { Channel } from "../channel/channel.ts";
import type { IncomingContext } from "./_incoming_context.ts";
import type { Link } from "./_link.ts";
import type { PendingRequest } from "./_pending_request.ts";
import type { SlowRequest } from "./slow_request.ts";

/**
 * The route of an incoming request's context, once the connection's route
 * handler has named it; else `undefined`.
 *
 * @internal
 */
export function contextRoute(context: object): string | undefined {
  const route = (context as { route?: unknown }).route;
  return typeof route === "string" && route !== "" ? route : undefined;
}

/**
 * Logs `handler.error`: at `error`, or at `debug` for a `RemoteError` (the
 * handler's deliberate error reply). Call it only while `logging()`.
 *
 * @internal
 */
export function logHandlerError(
  channel: Channel,
  context: { readonly id: MessageId },
  err: Error,
  errorId: string,
  code: string,
): void {
  const route = contextRoute(context);
  log(
    err instanceof RemoteError ? "debug" : "error",
    {
      event: "handler.error",
      ...ends(channel),
      requestId: context.id,
      ...(route === undefined ? {} : { route }),
      code,
      errorId,
      err,
    },
    `handler error ${code} for request ${context.id}${
      route === undefined ? "" : ` (${route})`
    }, error id ${errorId}: ${err.message}`,
  );
}

/**
 * Reports a handled request that took longer than the link's threshold,
 * from its arrival (`receivedAt`, set while slow requests are watched).
 *
 * @internal
 */
export function reportIfSlow<M>(
  link: Link<M>,
  context: IncomingContext<M>,
  outcome: "reply" | "error",
): void {
  const elapsed = performance.now() - context.receivedAt;
  if (elapsed > link.slowAfter) {
    link.reportSlow(
      "incoming",
      context.id,
      context.message,
      elapsed,
      outcome,
      contextRoute(context),
    );
  }
}

/**
 * Reports a request this side sent that ended (`outcome`) longer than the
 * link's threshold after it was sent (`sentAt`, set while slow requests are
 * watched), and drops the request it kept for the report.
 *
 * @internal
 */
export function reportSentIfSlow<M>(
  link: Link<M>,
  entry: PendingRequest<M>,
  outcome: SlowRequest<M>["outcome"],
): void {
  const elapsed = performance.now() - entry.sentAt;
  const request = entry.request!;
  entry.request = undefined;
  if (elapsed > link.slowAfter) {
    link.reportSlow("outgoing", entry.id, request, elapsed, outcome);
  }
}
