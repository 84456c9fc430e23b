/**
 * What happens when a handler throws or rejects.
 *
 * @module
 */

import type { ErrorInfo } from "../codec/message_codec.ts";
import { logging } from "../logger.ts";
import type { Link } from "./_link.ts";
import type { IncomingContext } from "./_incoming_context.ts";
import { logHandlerError } from "./_log_request.ts";
import { toError } from "./_to_error.ts";
import {
  errorReplyOf,
  type HandlerFailure,
  newErrorId,
} from "./handler_failure.ts";

/**
 * A handler threw or rejected: reports it to `onHandlerError` (unless the
 * request was cancelled already) and returns the error reply to send.
 *
 * @param context The request.
 * @param thrown What the handler threw.
 * @param exposeErrors Whether the caller sees the error's own message.
 * @param onHandlerError The transport's hook, if any.
 * @param link The transport's link (its channel and `onError`).
 * @returns The error reply's code and message.
 */
export function handlerFailed<M>(
  context: IncomingContext<M>,
  thrown: unknown,
  exposeErrors: boolean,
  onHandlerError: ((failure: HandlerFailure<M>) => void) | undefined,
  link: Link<M>,
): ErrorInfo {
  const error = toError(thrown);
  const errorId = newErrorId();
  const info = errorReplyOf(error, errorId, exposeErrors);
  if (!context.cancelled) {
    if (logging()) {
      logHandlerError(link.channel, context, error, errorId, info.code);
    }
    const failure: HandlerFailure<M> = {
      error,
      context,
      errorId,
      reply: context.expectsReply ? info : undefined,
    };
    try {
      if (onHandlerError) onHandlerError(failure);
      else link.onError(error);
    } catch (hookError) {
      link.onError(hookError);
    }
  }
  return info;
}
