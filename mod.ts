/**
 * listenrain: a full-duplex, multiplexed network framework for Deno, Bun and
 * Node. (The lead engineer owns this file; it grows as the core lands.)
 *
 * @module
 */

export {
  AbortedError,
  CodecError,
  ConnectionClosedError,
  FrameTooLargeError,
  ListenRainError,
  ProtocolError,
  QueueFullError,
  RemoteError,
  TimeoutError,
  TooManyPendingError,
} from "./src/errors.ts";
export type { ErrorCode } from "./src/errors.ts";
export type { Channel, ChannelAddr, Dialer, Listener } from "./src/channel/channel.ts";
