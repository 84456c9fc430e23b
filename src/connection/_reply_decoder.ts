/**
 * The decoder of replies' bodies a connection and a client share.
 *
 * @module
 */

import type { BodyCodec } from "../codec/body_codec.ts";
import type { Protocol } from "../protocol/protocol.ts";
import type { StateMachine } from "../transport/state_machine.ts";
import { TimeoutError } from "../errors.ts";
import type { ReplyWithMetadata } from "./interceptor.ts";

/**
 * The function that turns a reply message into its body value.
 *
 * @param protocol The protocol.
 * @param body The body codec.
 * @returns The decoder.
 */
export function replyDecoder(
  protocol: Protocol<unknown>,
  body: BodyCodec<unknown>,
): (reply: unknown) => unknown {
  return (reply) => protocol.body(reply, body);
}

/**
 * A machine that decodes each reply before giving it to `machine`.
 *
 * @param decode The decoder.
 * @param machine The caller's machine.
 * @returns The machine to give the transport.
 */
export function decodingMachine(
  decode: (reply: unknown) => unknown,
  machine: StateMachine<unknown>,
): StateMachine<unknown> {
  return {
    onMessage(reply) {
      let value: unknown;
      try {
        value = decode(reply);
      } catch (error) {
        return machine.onError?.(error as Error);
      }
      machine.onMessage(value);
    },
    onTimeout: machine.onTimeout && ((error) => machine.onTimeout!(error)),
    onError: (error) => machine.onError?.(error),
  };
}

/**
 * Gives `error` to the machine's `onTimeout` (a `TimeoutError`, if it has
 * one) or `onError`.
 *
 * @param machine The caller's machine.
 * @param error What failed.
 */
export function failMachine(
  machine: StateMachine<unknown>,
  error: unknown,
): void {
  if (error instanceof TimeoutError && machine.onTimeout) {
    machine.onTimeout(error);
  } else machine.onError?.(error as Error);
}

/**
 * The body of a reply with its metadata (what a caller without
 * `withMetadata` gets).
 *
 * @param reply The reply.
 * @returns Its body.
 */
export function bodyOf(reply: ReplyWithMetadata): unknown {
  return reply.body;
}
