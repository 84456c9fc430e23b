/**
 * One transport's read loop and lifecycle: {@linkcode ReadLoop}.
 *
 * @module
 */

import type { Channel } from "../channel/channel.ts";
import {
  AbortedError,
  ConnectionClosedError,
  ProtocolError,
} from "../errors.ts";
import type { FrameDecoder, PacketCodec } from "../framing/packet_codec.ts";
import {
  DECODE_RANGES,
  type RangeFrameDecoder,
} from "../framing/_frame_ranges.ts";
import type { TimerHandle } from "../timer/timer_heap.ts";
import { addrText, ends, log, logging } from "../logger.ts";
import { Dispatch } from "./_dispatch.ts";
import type { Incoming } from "./_incoming.ts";
import type { Link } from "./_link.ts";
import type { Outgoing } from "./_outgoing.ts";
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
  #stats: ConnectionStats;
  #packet: PacketCodec;
  #outgoing: Outgoing<M>;
  #incoming: Incoming<M>;
  #closeTimeout: number;
  #onGoaway: ((reason: string) => void) | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  /** The checks of `drain()` calls still waiting; run when a handler finishes. */
  #drainChecks: Set<() => void> | undefined;
  /** What `close()` returns, once called. */
  #closing: Promise<void> | undefined;
  /** Why it closed: set with the state `closed`. */
  #closedReason: Error | undefined;
  #resolveClosed!: () => void;
  /** Where decoded messages go: made by the first read that brings bytes. */
  #dispatch: Dispatch<M> | undefined;

  constructor(
    channel: Channel,
    link: Link<M>,
    outgoing: Outgoing<M>,
    incoming: Incoming<M>,
    config: TransportConfig<M>,
  ) {
    this.#channel = channel;
    this.#link = link;
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
    const decoder: FrameDecoder = this.#packet.createDecoder();
    // A decoder that reads by range saves a view per frame.
    const ranges = DECODE_RANGES in decoder
      ? decoder as FrameDecoder & RangeFrameDecoder
      : undefined;
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
          decoder.advance!(count, this.#dispatcher().onFrame);
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
        const dispatch = this.#dispatcher();
        dispatch.chunk = value;
        if (ranges !== undefined) {
          ranges[DECODE_RANGES](value, dispatch.onFrame, dispatch.onRange);
        } else decoder.decode(value, dispatch.onFrame);
        dispatch.chunk = undefined;
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

  /** Where decoded messages go, made by the first read that brings bytes. */
  #dispatcher(): Dispatch<M> {
    return this.#dispatch ??= new Dispatch(
      this.#link,
      this.#outgoing,
      this.#incoming,
      this.#channel,
      () => this.name(),
      this.#onGoaway,
    );
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
