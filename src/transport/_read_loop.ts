/**
 * One transport's read loop and lifecycle: {@linkcode ReadLoop}.
 *
 * @module
 */

import type { Channel } from "../channel/channel.ts";
import type { MessageCodec } from "../codec/message_codec.ts";
import {
  AbortedError,
  ConnectionClosedError,
  ProtocolError,
} from "../errors.ts";
import type { PacketCodec } from "../framing/packet_codec.ts";
import type { TimerHandle } from "../timer/timer_heap.ts";
import { addrText, ends, log, logging } from "../logger.ts";
import {
  INCOMING_NOTIFY,
  INCOMING_PING,
  INCOMING_REQUEST,
} from "./_backlog.ts";
import type { Incoming } from "./_incoming.ts";
import type { Link } from "./_link.ts";
import type { Outgoing } from "./_outgoing.ts";
import { toError } from "./_to_error.ts";
import type { TransportConfig } from "./_transport_config.ts";
import type { ConnectionStats } from "./stats.ts";

/** How often `drain()` looks at the pending table once no handler runs. */
const DRAIN_POLL_MS = 10;
/** The fewest missing bytes of a frame read straight into its buffer. */
const DIRECT_READ_MIN = 16 * 1024;

/**
 * Reads the channel, decodes its frames and hands each message to the part
 * it is for: replies to {@linkcode Outgoing}, requests, notifications,
 * pings and cancels to {@linkcode Incoming}, goaway here. Drives the
 * transport's lifecycle (the `state` of its {@linkcode Link}): the peer's
 * goaway and end, `drain()`, `close()` and the shutdown.
 *
 * @internal
 */
export class ReadLoop<M> {
  /** Resolves when the transport has shut down, for whatever reason. */
  readonly closed: Promise<void>;
  #channel: Channel;
  #link: Link<M>;
  #codec: MessageCodec<M>;
  #stats: ConnectionStats;
  #packet: PacketCodec;
  #outgoing: Outgoing<M>;
  #incoming: Incoming<M>;
  #closeTimeout: number;
  #onGoaway: ((reason: string) => void) | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  /** The chunk being decoded, for the backlog. */
  #chunk: Uint8Array | undefined;
  /** The checks of `drain()` calls still waiting; run when a handler finishes. */
  #drainChecks: Set<() => void> | undefined;
  /** What `close()` returns, once called. */
  #closing: Promise<void> | undefined;
  /** Why it closed: set with the state `closed`. */
  #closedReason: Error | undefined;
  #resolveClosed!: () => void;
  /** `#dispatch` as the decoder's callback: see `#frameCallback`. */
  #onFrame: ((payload: Uint8Array) => void) | undefined;

  constructor(
    channel: Channel,
    link: Link<M>,
    outgoing: Outgoing<M>,
    incoming: Incoming<M>,
    config: TransportConfig<M>,
  ) {
    this.#channel = channel;
    this.#link = link;
    this.#codec = link.codec;
    this.#stats = link.stats;
    this.#packet = config.packetCodec;
    this.#outgoing = outgoing;
    this.#incoming = incoming;
    this.#closeTimeout = config.closeTimeout;
    this.#onGoaway = config.onGoaway;
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
  }

  /** Why the transport closed, once it has. */
  get closedReason(): Error | undefined {
    return this.#closedReason;
  }

  /** Starts reading. */
  start(): void {
    if (logging()) {
      log(
        "info",
        { event: "connection.open", ...ends(this.#channel) },
        `connection open ${this.name()}`,
      );
    }
    void this.#readLoop();
  }

  /** Closes gracefully (once): see `Transport.close()`. */
  close(reason = "Transport closed"): Promise<void> {
    this.#closing ??= this.#closeGracefully(new ConnectionClosedError(reason));
    return this.#closing;
  }

  /** Takes no new work, and waits for the work in flight: see `Transport.drain()`. */
  drain(signal: AbortSignal | undefined): Promise<void> {
    this.#incoming.draining = true;
    this.#incoming.afterFinish ??= () => this.#afterFinish();
    if (signal?.aborted) {
      return Promise.reject(
        new AbortedError("Drain aborted", { cause: signal.reason }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const checks = this.#drainChecks ??= new Set();
      let poll: TimerHandle | undefined;
      const done = (error?: Error): void => {
        if (!checks.delete(check)) return;
        if (checks.size === 0 && this.#drainChecks === checks) {
          this.#drainChecks = undefined;
        }
        poll?.cancel();
        signal?.removeEventListener("abort", onAbort);
        if (error) reject(error);
        else resolve();
      };
      const check = (): void => {
        const closed = this.#link.state === "closed";
        if (closed || this.#incoming.count === 0) {
          if (closed || this.#outgoing.count === 0) return done();
          // Replies settle pending requests on the hot path, which stays
          // free of drain checks: look again a little later.
          poll ??= this.#link.timers.runEvery(DRAIN_POLL_MS, check);
        }
      };
      const onAbort = (): void =>
        done(new AbortedError("Drain aborted", { cause: signal!.reason }));
      checks.add(check);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.closed.then(check);
      check();
    });
  }

  /** "local -> peer", for log messages. */
  name(): string {
    const { localAddr, remoteAddr } = this.#channel;
    return `${addrText(localAddr)} -> ${addrText(remoteAddr)}`;
  }

  /** The send queue's write failed: the connection is lost. */
  writeFailed(cause: unknown): void {
    this.#shutdown(
      new ConnectionClosedError("Connection lost: write failed", { cause }),
    );
  }

  async #readLoop(): Promise<void> {
    // The channel's calls when it has them, else its readable.
    const io = this.#channel.io;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      if (io === undefined) reader = this.#channel.readable.getReader();
    } catch (cause) {
      this.#shutdown(
        new ConnectionClosedError("Cannot read channel", { cause }),
      );
      return;
    }
    this.#reader = reader;
    const decoder = this.#packet.createDecoder();
    const link = this.#link;
    const stats = this.#stats;
    const incoming = this.#incoming;
    try {
      for (;;) {
        // The rest of a large frame that has its own buffer is read straight
        // into it, where the channel can (no chunk, no copy).
        const target = io?.readInto && decoder.target?.(DIRECT_READ_MIN);
        if (target) {
          const count = await io!.readInto!(target);
          if (count === null || link.state === "closed") break;
          stats.bytesIn += count;
          decoder.advance!(count, this.#frameCallback());
          if (incoming.blocked) await incoming.takeBacklog();
          continue;
        }
        let value: Uint8Array | null;
        if (io !== undefined) value = await io.read();
        else {
          const result = await reader!.read();
          value = result.done ? null : result.value;
        }
        if (value === null || link.state === "closed") break;
        stats.bytesIn += value.byteLength;
        this.#chunk = value;
        decoder.decode(value, this.#frameCallback());
        this.#chunk = undefined;
        // Requests that could not be taken wait in the backlog: read no
        // more until it is empty and new ones may be taken.
        if (incoming.blocked) await incoming.takeBacklog();
      }
      if (link.state === "closed") return;
      if (decoder.bufferedBytes > 0) {
        throw new ProtocolError(
          `Connection ended inside a frame (${decoder.bufferedBytes} bytes buffered)`,
        );
      }
      this.#onPeerEnd();
    } catch (error) {
      if (link.state === "closed") return;
      if (error instanceof ProtocolError) {
        if (logging()) {
          log(
            "warn",
            { event: "protocol.error", ...ends(this.#channel), err: error },
            `protocol error from ${this.name()}: ${error.message}`,
          );
        }
        link.onError(error);
      }
      this.#shutdown(
        error instanceof ProtocolError
          ? new ConnectionClosedError(`Connection closed: ${error.message}`, {
            cause: error,
          })
          : new ConnectionClosedError("Connection lost", { cause: error }),
      );
    }
  }

  /** Decodes one frame's payload and hands it to the part it is for. */
  /** `#dispatch` as a callback, made by the first read that brings bytes. */
  #frameCallback(): (payload: Uint8Array) => void {
    return this.#onFrame ??= (payload) => this.#dispatch(payload);
  }

  #dispatch(payload: Uint8Array): void {
    this.#stats.framesIn++;
    if (this.#link.state === "closed") return;
    const codec = this.#codec;
    let message: M;
    try {
      message = codec.decode(payload);
    } catch (cause) {
      if (cause instanceof ProtocolError) throw cause;
      throw new ProtocolError(
        `Cannot decode message: ${toError(cause).message}`,
        {
          cause,
        },
      );
    }
    switch (codec.kind(message)) {
      case "reply":
      case "pong":
        return this.#outgoing.onReply(message, false);
      case "error":
        return this.#outgoing.onReply(message, true);
      case "request":
        return this.#incoming.onMessage(
          message,
          INCOMING_REQUEST,
          payload,
          this.#chunk,
        );
      case "notify":
        return this.#incoming.onMessage(
          message,
          INCOMING_NOTIFY,
          payload,
          this.#chunk,
        );
      case "message":
        return this.#outgoing.inUse(codec.id(message))
          ? this.#outgoing.onReply(message, false)
          : this.#incoming.onMessage(
            message,
            INCOMING_REQUEST,
            payload,
            this.#chunk,
          );
      case "cancel":
        return this.#incoming.onCancel(codec.id(message));
      case "stream":
      case "stream_end":
      case "stream_credit":
        return this.#incoming.streams.onFrame(
          message,
          codec.kind(message) as "stream",
          payload.byteLength,
        );
      case "stream_reply":
        return this.#outgoing.onStreamFrame(message, false, payload.byteLength);
      case "reply_credit":
        return this.#outgoing.onStreamFrame(message, true, 0);
      case "ping":
        return this.#incoming.onMessage(
          message,
          INCOMING_PING,
          payload,
          this.#chunk,
        );
      case "goaway":
        return this.#onGoawayMessage(message);
      default:
        throw new ProtocolError(
          `Cannot dispatch message: unknown kind "${codec.kind(message)}"`,
        );
    }
  }

  #onGoawayMessage(message: M): void {
    const reason = this.#codec.goawayReason?.(message) ?? "goaway";
    this.#link.refusal ??= new ConnectionClosedError(
      `The peer is going away (${reason})`,
    );
    if (logging()) {
      log(
        "debug",
        {
          event: "connection.goaway",
          ...ends(this.#channel),
          direction: "received",
          reason,
        },
        `goaway received on ${this.name()} (${reason})`,
      );
    }
    this.#onGoaway?.(reason);
  }

  /**
   * After each handler of a request finishes, once `drain()` waits or the
   * peer has ended: runs the drain checks, and closes an ended transport
   * whose handlers have all finished.
   */
  #afterFinish(): void {
    if (this.#drainChecks !== undefined) {
      for (const check of [...this.#drainChecks]) check();
    }
    if (this.#link.state === "ended" && this.#incoming.count === 0) {
      void this.close();
    }
  }

  /**
   * The peer's side ended: no reply can come. A peer that only half-closed
   * still reads, so the handlers may finish and reply; then the transport
   * closes. A peer that is gone cannot take their replies: after
   * `closeTimeout` the handlers still running are aborted and the
   * transport closes, so a dead peer does not pin them and the connection.
   */
  #onPeerEnd(): void {
    const link = this.#link;
    if (link.state === "open") link.state = "ended";
    this.#incoming.afterFinish ??= () => this.#afterFinish();
    link.refusal ??= new ConnectionClosedError("Connection closed by peer");
    this.#outgoing.rejectAll(link.refusal);
    this.#outgoing.releaseReserved();
    if (this.#incoming.count === 0) {
      void this.close("Connection closed by peer");
    } else if (this.#closeTimeout !== Infinity) {
      const timer = link.timers.runAfter(
        this.#closeTimeout,
        () => void this.close("Connection closed by peer"),
      );
      void this.closed.then(() => timer.cancel());
    }
  }

  async #closeGracefully(error: ConnectionClosedError): Promise<void> {
    const link = this.#link;
    if (link.state === "closed") return this.closed;
    link.state = "closing";
    link.refusal ??= error;
    // The peer is told to stop working on what nobody will wait for.
    this.#outgoing.cancelAll();
    this.#outgoing.rejectAll(error);
    this.#incoming.cancelAll(error);
    let timer;
    const flushed = await Promise.race([
      link.queue.close().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = link.timers.runAfter(this.#closeTimeout, () => resolve(false));
      }),
    ]);
    timer!.cancel();
    this.#shutdown(
      flushed ? error : new ConnectionClosedError("Close timed out"),
    );
  }

  /** Closes everything now. Idempotent. */
  #shutdown(error: ConnectionClosedError): void {
    const link = this.#link;
    if (link.state === "closed") return;
    link.state = "closed";
    this.#closedReason = error;
    link.refusal ??= error;
    if (logging()) {
      log(
        "info",
        {
          event: "connection.close",
          ...ends(this.#channel),
          reason: error.message,
          ...(error.cause === undefined ? {} : { err: error.cause }),
        },
        `connection closed ${this.name()} (${error.message})`,
      );
    }
    this.#outgoing.rejectAll(error);
    this.#outgoing.releaseReserved();
    this.#incoming.stop(error);
    link.queue.abort(error);
    this.#reader?.cancel(error).catch(() => {});
    try {
      this.#channel.close();
    } catch { /* close never throws, but be sure */ }
    this.#incoming.wake();
    this.#resolveClosed();
  }
}
