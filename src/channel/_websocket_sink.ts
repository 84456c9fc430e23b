/**
 * What the WebSocket channel (`_websocket_core.ts`) needs from the
 * runtime's socket, and its limits. Private to the channel and its
 * adapters.
 *
 * @module
 */

/** What the channel needs from the runtime's socket. */
export interface MessageSink {
  /** Sends one binary message; `false` if the runtime dropped it. */
  send(message: Uint8Array): boolean | void;
  /** Bytes queued by `send` and not yet handed to the network. */
  bufferedAmount(): number;
  /** Starts the closing handshake (after the queued messages). */
  close(code: number, reason: string): void;
  /**
   * True if `send` is done with the bytes once it returns (it copied them
   * or wrote them, as Bun's sockets and Deno's do; `ws` on Node keeps them
   * for later): the channel then builds every message in one shared buffer
   * instead of a new one each.
   */
  readonly copies?: boolean;
}

/** The limits of one WebSocket channel. */
export interface MessageLimits {
  /** The largest message accepted, tag byte included; also the largest sent. */
  readonly maxMessageSize: number;
  /** A write waits while `bufferedAmount` is above this. */
  readonly highWaterMark: number;
  /** How many unread bytes this end accepts from its peer. */
  readonly window: number;
}
