/**
 * A state machine of envelopes that decodes reply bodies for a state machine
 * of bodies (async mode of `Peer` and `Client`).
 *
 * @module
 */

import type { BodyCodec } from "../codec/body_codec.ts";
import type { Envelope } from "../codec/envelope.ts";
import type { StateMachine } from "./state_machine.ts";

/**
 * @internal
 * @param body The body codec of the replies.
 * @param machine The caller's machine; a body that does not decode goes to
 * its `onError` as a `CodecError`.
 * @returns A machine for the transport.
 */
export function decodingMachine<B>(
  body: BodyCodec<B>,
  machine: StateMachine<B>,
): StateMachine<Envelope> {
  return {
    onMessage(reply) {
      let value: B;
      try {
        value = body.decode(reply.body);
      } catch (error) {
        return machine.onError?.(error as Error);
      }
      machine.onMessage(value);
    },
    onTimeout: machine.onTimeout && ((error) => machine.onTimeout!(error)),
    onError: (error) => machine.onError?.(error),
  };
}
