/**
 * How a server refuses a connection beyond its `maxConnections`.
 *
 * @module
 */

import type { Channel } from "../channel/channel.ts";
import { addrText, ends, log, logging } from "../logger.ts";
import { RemoteError } from "../errors.ts";
import type { PacketCodec } from "../framing/packet_codec.ts";
import type { Protocol } from "../protocol/protocol.ts";
import type { TimerHeap } from "../timer/timer_heap.ts";
import { Transport } from "../transport/transport.ts";

/**
 * Sends goaway with `reason` on `channel` and closes it. Requests that
 * arrive before the close get the reason as an error reply
 * (`TOO_MANY_CONNECTIONS`); the rest of the client's requests see it in the
 * goaway.
 *
 * @param channel The accepted channel.
 * @param reason Why.
 * @param protocol The server's protocol.
 * @param framing The server's framing option, if any.
 * @param timers The server's timer heap.
 */
export function refuse(
  channel: Channel,
  reason: string,
  protocol: Protocol<unknown>,
  framing: PacketCodec | undefined,
  timers: TimerHeap,
): void {
  if (logging()) {
    log(
      "warn",
      { event: "server.refuse", ...ends(channel), reason },
      `server refused ${addrText(channel.remoteAddr)}: ${reason}`,
    );
  }
  const refused = new Transport<unknown>(channel, {
    codec: protocol.codec,
    packetCodec: framing ?? protocol.framing,
    timers,
    handler: () => {
      throw new RemoteError("TOO_MANY_CONNECTIONS", reason);
    },
  });
  refused.goaway(reason);
  void refused.close(reason);
}
