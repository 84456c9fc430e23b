/**
 * A {@linkcode Channel} over WebSocket binary messages, whatever runtime
 * object carries them: the standard `WebSocket` (browsers, Deno, Bun, Node
 * ≥ 22, the `ws` package) through `websocket_channel.ts`, or Bun's server
 * handlers through `adapters/_bun_ws.ts`. Runtime-neutral. Private to the
 * core and the adapters.
 *
 * The wire: every message is binary and starts with a tag byte.
 * - `0` DATA: the rest is the next bytes of the stream (at least one).
 * - `1` CREDIT: a u32 (big-endian) count of bytes the sender of the credit
 *   read, so its peer may send that many more.
 * - `2` END: the sender half-closed; no DATA follows.
 *
 * Flow control: each end may have at most {@linkcode INITIAL_WINDOW} bytes
 * of DATA unread at its peer, plus what the peer granted since (a receiver
 * whose window is larger grants the difference at once). So a peer that
 * stops reading holds at most its window; its sender's `write()` waits.
 * Beside credit, a write also waits while the socket's `bufferedAmount`
 * is over the high-water mark (polled: the web `WebSocket` has no drain
 * event).
 *
 * @module
 */

import type { ChannelAddr } from "./channel.ts";
import { IOChannel } from "./channel_io.ts";
import type { MessageLimits, MessageSink } from "./_websocket_sink.ts";
import {
  CREDIT,
  creditMessage,
  DATA,
  dataMessage,
  END,
  endMessage,
} from "./_websocket_messages.ts";
import {
  ConnectionClosedError,
  MessageTooLargeError,
  ProtocolError,
} from "../errors.ts";

export type { MessageLimits, MessageSink } from "./_websocket_sink.ts";

/** The window every end starts with, before any credit. */
export const INITIAL_WINDOW = 256 * 1024;
/** How long a write waits before it polls `bufferedAmount` again, in ms. */
const POLL_MS = 2;
/** A write short of credit waits for this much (or what it has left). */
const MIN_PIECE = INITIAL_WINDOW / 4;

/**
 * WebSocket close codes. The web `WebSocket` may send only 1000 and
 * 3000-4999, so errors go as 4000 + the protocol's code (4002 protocol
 * error, 4009 message too big, 4011 internal); 1009 from a runtime's own
 * limit (`ws`'s `maxPayload`, Bun's `maxPayloadLength`) is understood too.
 */
const NORMAL = 1000;
const PROTOCOL = 4002;
const TOO_BIG = 4009;
const INTERNAL = 4011;

const closedError = (cause?: unknown) =>
  new ConnectionClosedError(
    "Cannot write: the WebSocket channel was closed",
    cause === undefined ? undefined : { cause },
  );

/**
 * The channel: its runtime calls {@linkcode MessageChannel.opened},
 * {@linkcode MessageChannel.received}, {@linkcode MessageChannel.drained}
 * and {@linkcode MessageChannel.ended} as the socket's events happen.
 *
 * @example A pair of channels joined by hand
 * ```ts
 * import { MessageChannel } from "./_websocket_core.ts";
 *
 * const limits = { maxMessageSize: 1 << 20, highWaterMark: 1 << 20, window: 1 << 20 };
 * const addr = { transport: "ws", hostname: "", port: 0 } as const;
 * let b: MessageChannel;
 * const sink = (peer: () => MessageChannel) => ({
 *   send: (m: Uint8Array) => void queueMicrotask(() => peer().received(m.slice())),
 *   bufferedAmount: () => 0,
 *   close: () => {},
 * });
 * const a = new MessageChannel(sink(() => b), limits, addr, addr);
 * b = new MessageChannel(sink(() => a), limits, addr, addr);
 * a.opened();
 * b.opened();
 * await a.write(new Uint8Array([1, 2, 3]));
 * console.log(await b.read()); // Uint8Array(3) [ 1, 2, 3 ]
 * ```
 */
export class MessageChannel extends IOChannel {
  readonly localAddr: ChannelAddr;
  readonly remoteAddr: ChannelAddr;
  /** What the server's upgrade handler attached (see `webSocketInfo`). */
  readonly info: unknown;
  readonly #sink: MessageSink;
  readonly #limits: MessageLimits;
  #open = false;
  #closed = false;
  #error: unknown;
  // Receiving.
  #chunks: Uint8Array[] = [];
  #unread = 0;
  #consumed = 0;
  #readEnded = false;
  #reader:
    | { resolve(v: Uint8Array | null): void; reject(e: unknown): void }
    | undefined;
  // Sending.
  #credit = INITIAL_WINDOW;
  #writeEnded = false;
  #wake: (() => void) | undefined;
  #onClose: (() => void) | undefined;

  constructor(
    sink: MessageSink,
    limits: MessageLimits,
    localAddr: ChannelAddr,
    remoteAddr: ChannelAddr,
    info?: unknown,
    onClose?: () => void,
  ) {
    super();
    this.#sink = sink;
    this.#limits = limits;
    this.localAddr = localAddr;
    this.remoteAddr = remoteAddr;
    this.info = info;
    this.#onClose = onClose;
  }

  /** The socket opened: grant the window beyond the initial one, send. */
  opened(): void {
    if (this.#closed || this.#open) return;
    this.#open = true;
    const extra = this.#limits.window - INITIAL_WINDOW;
    if (extra > 0) this.#sendCredit(extra);
    this.#wakeWriter();
  }

  /** The socket may take more: a waiting write goes on. */
  drained(): void {
    this.#wakeWriter();
  }

  /** One message arrived (binary: an ArrayBuffer or a view; text: a string). */
  received(data: ArrayBuffer | ArrayBufferView | string): void {
    if (this.#closed) return;
    if (typeof data === "string") {
      return this.#fail(
        new ProtocolError("WebSocket channel: a text message arrived"),
        PROTOCOL,
      );
    }
    const message = data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const max = this.#limits.maxMessageSize;
    if (message.length > max) {
      return this.#fail(
        new MessageTooLargeError(
          `WebSocket channel: a message of ${message.length} bytes is over maxMessageSize ${max}`,
          { length: message.length, maxMessageSize: max },
        ),
        TOO_BIG,
      );
    }
    const tag = message[0];
    if (tag === DATA && message.length > 1 && !this.#readEnded) {
      const bytes = message.subarray(1);
      this.#unread += bytes.length;
      if (this.#unread > this.#limits.window) {
        return this.#fail(
          new ProtocolError(
            `WebSocket channel: the peer sent ${this.#unread} unread bytes, over the window of ${this.#limits.window}`,
          ),
          PROTOCOL,
        );
      }
      const reader = this.#reader;
      if (reader !== undefined) {
        this.#reader = undefined;
        reader.resolve(this.#taken(bytes));
      } else this.#chunks.push(bytes);
    } else if (tag === CREDIT && message.length === 5) {
      this.#credit += new DataView(message.buffer, message.byteOffset, 5)
        .getUint32(1);
      this.#wakeWriter();
    } else if (tag === END && message.length === 1 && !this.#readEnded) {
      this.#readEnded = true;
      if (this.#chunks.length === 0) this.#settleReader();
      if (this.#writeEnded) this.#release();
    } else {
      this.#fail(
        new ProtocolError(
          `WebSocket channel: bad message (tag ${tag}, ${message.length} bytes)`,
        ),
        PROTOCOL,
      );
    }
  }

  /** The socket closed (`code` and `reason` from its close event). */
  ended(code: number, reason: string): void {
    if (!this.#closed) {
      const clean = code === NORMAL || code === 1001 || code === 1005;
      this.#error ??= code === TOO_BIG || code === 1009
        ? new MessageTooLargeError(
          `WebSocket channel: the peer refused a message as too large (close code ${code}${
            reason ? `: ${reason}` : ""
          })`,
        )
        : clean
        ? undefined
        : new ConnectionClosedError(
          `WebSocket closed with code ${code}${reason ? `: ${reason}` : ""}`,
        );
    }
    this.#readEnded = true;
    this.#finish();
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#chunks.shift();
    if (chunk !== undefined) return Promise.resolve(this.#taken(chunk));
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#readEnded || this.#closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.#reader = { resolve, reject };
    });
  }

  write(chunk: Uint8Array): Promise<void> | undefined {
    return this.writev([chunk]);
  }

  /**
   * The chunks as one DATA message when they fit (a frame's header and its
   * body, which the send queue hands over as two chunks, then arrive in one
   * message and the peer's frame decoder passes a view instead of joining a
   * copy); else in messages as credit and `maxMessageSize` allow.
   */
  writev(chunks: readonly Uint8Array[]): Promise<void> | undefined {
    if (this.#closed || this.#writeEnded) {
      throw this.#error ?? closedError();
    }
    let total = 0;
    for (const chunk of chunks) total += chunk.length;
    if (
      this.#open && total <= this.#credit &&
      total < this.#limits.maxMessageSize &&
      this.#sink.bufferedAmount() <= this.#limits.highWaterMark
    ) {
      if (total > 0) this.#sendData(chunks, 0, total);
      return undefined;
    }
    return this.#writeSlowly(chunks, total);
  }

  async #writeSlowly(
    chunks: readonly Uint8Array[],
    total: number,
  ): Promise<void> {
    const max = this.#limits.maxMessageSize - 1;
    for (let offset = 0; offset < total;) {
      // Waits for credit for a whole piece, not a sliver of one: a frame
      // split over messages costs the peer a copy to join it. Every end
      // grants once it read a quarter of its window (at least 64 KiB), so a
      // sender whose peer read everything has more than that.
      await this.#ready(Math.min(total - offset, max, MIN_PIECE));
      const n = Math.min(total - offset, this.#credit, max);
      this.#sendData(chunks, offset, n);
      offset += n;
    }
  }

  async closeWrite(): Promise<void> {
    if (this.#closed || this.#writeEnded) {
      throw this.#error ?? closedError();
    }
    while (!this.#open) await this.#ready(0);
    this.#writeEnded = true;
    this.#sink.send(endMessage());
    if (this.#readEnded) this.#release();
  }

  close(): void {
    this.#chunks = [];
    this.#release();
  }

  /** Closes the socket; what was received stays readable. */
  #release(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#sink.close(NORMAL, "");
    } catch { /* already closing */ }
    this.#finish();
  }

  /**
   * Resolves once a write may send: open, `least` bytes of credit, room in
   * the socket.
   */
  #ready(least = 1): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        this.#wake = undefined;
        if (this.#closed) return reject(this.#error ?? closedError());
        if (!this.#open || this.#credit < least) {
          this.#wake = check;
        } else if (this.#sink.bufferedAmount() > this.#limits.highWaterMark) {
          this.#wake = check;
          setTimeout(() => this.#wake === check && check(), POLL_MS);
        } else resolve();
      };
      check();
    });
  }

  #wakeWriter(): void {
    this.#wake?.();
  }

  /**
   * Sends `length` bytes of the chunks, from `offset` (counted across them),
   * as one DATA message (`dataMessage`).
   */
  #sendData(
    chunks: readonly Uint8Array[],
    offset: number,
    length: number,
  ): void {
    const message = dataMessage(chunks, offset, length, this.#sink.copies);
    this.#credit -= length;
    if (this.#sink.send(message) === false) {
      this.#fail(
        new ConnectionClosedError(
          "WebSocket channel: the runtime dropped a message (its backpressure limit is below the channel's)",
        ),
        INTERNAL,
      );
      throw this.#error;
    }
  }

  #sendCredit(count: number): void {
    this.#sink.send(creditMessage(count));
  }

  /** A chunk leaves for the reader: count it, grant credit in batches. */
  #taken(chunk: Uint8Array): Uint8Array {
    this.#unread -= chunk.length;
    this.#consumed += chunk.length;
    if (
      this.#consumed >= this.#limits.window / 4 && this.#open &&
      !this.#closed && !this.#readEnded
    ) {
      this.#sendCredit(this.#consumed);
      this.#consumed = 0;
    }
    if (this.#chunks.length === 0 && this.#readEnded) this.#settleReader();
    return chunk;
  }

  #settleReader(): void {
    const reader = this.#reader;
    if (reader === undefined) return;
    this.#reader = undefined;
    if (this.#error !== undefined) reader.reject(this.#error);
    else reader.resolve(null);
  }

  #fail(error: unknown, code: number): void {
    if (this.#closed) return;
    this.#error = error;
    this.#chunks = [];
    this.#closed = true;
    try {
      this.#sink.close(code, String((error as Error).message).slice(0, 120));
    } catch { /* already closing */ }
    this.#finish();
  }

  /** Closed or ended: settle the reader and the writer, tell the owner. */
  #finish(): void {
    if (this.#error !== undefined) this.#chunks = [];
    if (this.#chunks.length === 0 || this.#closed) this.#settleReader();
    this.#closed = true;
    this.#wakeWriter();
    const onClose = this.#onClose;
    this.#onClose = undefined;
    onClose?.();
  }
}
