/**
 * The requests one transport sent: {@linkcode Outgoing}.
 *
 * @module
 */

import type {
  IdAllocator,
  MessageCodec,
  MessageId,
} from "../codec/message_codec.ts";
import {
  AbortedError,
  RemoteError,
  TimeoutError,
  TooManyPendingError,
} from "../errors.ts";
import type { TimerHeap } from "../timer/timer_heap.ts";
import { type DeadlineTable, DefaultDeadlines } from "./_default_deadlines.ts";
import type { Link } from "./_link.ts";
import {
  MachineRequest,
  PendingExtras,
  type PendingOwner,
  type PendingRequest,
} from "./_pending_request.ts";
import { PendingTable } from "./_pending_table.ts";
import { ReservedIds } from "./_reserved_ids.ts";
import { reportSentIfSlow } from "./_log_request.ts";
import { toError } from "./_to_error.ts";
import { checkTimeout, type TransportConfig } from "./_transport_config.ts";
import type { ConnectionStats } from "./stats.ts";
import type { RequestOptions } from "./transport_options.ts";

/**
 * The requests a transport sent that wait for their replies (the pending
 * table), by id: ids handed out around those in flight and those reserved
 * (see `ReservedIds`, with the fence ping that frees them), deadlines,
 * aborts, replies, late replies, and the rejection of everything pending
 * when the connection ends. Every request settles exactly once.
 *
 * @internal
 */
export class Outgoing<M> implements DeadlineTable<M>, PendingOwner<M> {
  #link: Link<M>;
  #codec: MessageCodec<M>;
  #stats: ConnectionStats;
  #timers: TimerHeap;
  #ids: IdAllocator;
  /** The default deadline in ms; `Infinity` for none. */
  #timeout: number;
  #maxPending: number;
  /** The requests waiting for their reply, by id; made by the first one. */
  #pending: PendingTable<M> | undefined;
  /** The default deadlines; made by the first request that has one. */
  #deadlines: DefaultDeadlines<M> | undefined = undefined;
  /** Ids that timed out or were aborted here and may still be answered. */
  #reserved = new ReservedIds();
  /** True while a fence (see `ReservedIds`) is out. */
  #fenceOut = false;
  /** `inUse` as a function value, for the id allocator (made on first use). */
  #inUse: ((id: MessageId) => boolean) | undefined;

  /** True while an id may not be handed out: pending, or reserved. */
  inUse(id: MessageId): boolean {
    return this.#pending?.get(id) !== undefined ||
      (this.#reserved.size !== 0 && this.#reserved.has(id));
  }

  constructor(link: Link<M>, config: TransportConfig<M>) {
    this.#link = link;
    this.#codec = link.codec;
    this.#stats = link.stats;
    this.#timers = link.timers;
    this.#ids = config.ids;
    this.#timeout = config.timeout;
    this.#maxPending = config.maxPendingRequests;
  }

  /** The default deadline of a request, in ms (`Infinity` for none). */
  get timeout(): number {
    return this.#timeout;
  }

  /** The pending table's size, the fence included. */
  get size(): number {
    return this.#pending?.size ?? 0;
  }

  /** The oldest pending request (then `next`: in the order they were sent). */
  get first(): PendingRequest<M> | undefined {
    return this.#pending?.first;
  }

  /** The pending table's size without the fence: the user's requests. */
  get count(): number {
    return (this.#pending?.size ?? 0) - (this.#fenceOut ? 1 : 0);
  }

  /**
   * Sends a request and enters it in the pending table.
   *
   * @returns Its id.
   * @throws The errors of `Transport.request()` that happen before the
   * request is sent; the entry is not settled then.
   */
  start(
    message: M,
    entry: PendingRequest<M>,
    options: RequestOptions | undefined,
  ): MessageId {
    const refusal = this.#link.refusal;
    if (refusal) throw refusal;
    const pending = this.count;
    if (pending >= this.#maxPending) {
      throw new TooManyPendingError(this.#maxPending);
    }
    // Reserved ids share the table's bound; the oldest makes room.
    if (pending + this.#reserved.size >= this.#maxPending) {
      this.#reserved.releaseOldest();
    }
    const signal = options?.signal;
    if (signal?.aborted) {
      throw new AbortedError("Request aborted before it was sent", {
        cause: signal.reason,
      });
    }
    const timeout = options?.timeout === undefined
      ? this.#timeout
      : checkTimeout(options.timeout);
    const codec = this.#codec;
    const id = this.#ids.next(this.#inUse ??= this.#inUseFunction());
    let outgoing = codec.withId(message, id);
    if (timeout !== Infinity && codec.withTimeout) {
      outgoing = codec.withTimeout(outgoing, timeout);
    }
    const queued = this.#link.write(outgoing);
    entry.id = id;
    (this.#pending ??= new PendingTable()).add(entry);
    if (entry.counted) this.#stats.requestsSent++;
    if (timeout !== Infinity) {
      if (timeout === this.#timeout) {
        (this.#deadlines ??= new DefaultDeadlines(this.#timers, timeout, this))
          .add(entry);
      } else {
        const extras = this.extras(entry);
        extras.timeout = timeout;
        extras.timer = this.#timers.schedule(timeout, Outgoing.#expire, entry);
      }
    }
    if (this.#link.timed) {
      const extras = this.extras(entry);
      extras.sentAt = performance.now();
      extras.request = outgoing;
    }
    if (signal) this.#watch(entry, signal);
    if (queued) this.#failIfUnsent(entry, queued);
    return id;
  }

  // The closures of `start` are made by methods of their own: a closure in
  // `start` would make every call allocate a context for it, needed or not.

  /** The rare parts of `entry`, made by the first that is set. */
  extras(entry: PendingRequest<M>): PendingExtras<M> {
    return entry.extras ??= new PendingExtras<M>(this, entry);
  }

  #inUseFunction(): (id: MessageId) => boolean {
    return (id) => this.inUse(id);
  }

  /** Cancels the request when `signal` aborts. */
  #watch(entry: PendingRequest<M>, signal: AbortSignal): void {
    const extras = this.extras(entry);
    extras.signal = signal;
    signal.addEventListener("abort", extras, { once: true });
  }

  /** Fails the request if its frame, queued for later, cannot be sent. */
  #failIfUnsent(entry: PendingRequest<M>, queued: Promise<void>): void {
    queued.catch((error) => this.#fail(entry, error));
  }

  /** A reply, pong or error reply (`isError`) arrived. */
  onReply(message: M, isError: boolean): void {
    const id = this.#codec.id(message);
    const entry = this.#pending?.get(id);
    if (entry === undefined) {
      // A reply to a request that ended here (or to none): dropped. Its id
      // may now be used again.
      if (this.#reserved.size !== 0) this.#reserved.release(id);
      this.#stats.lateReplies++;
      return;
    }
    this.#take(entry);
    if (entry.counted) this.#stats.repliesReceived++;
    if (entry.sentAt !== 0) {
      reportSentIfSlow(this.#link, entry, isError ? "error" : "reply");
    }
    if (!isError) return entry.succeed(message);
    this.#stats.errorsReceived++;
    entry.fail(
      this.#codec.toError?.(message) ??
        new RemoteError("UNKNOWN", `Request ${entry.id} failed on the peer`),
    );
  }

  /** A `stream_reply` or `reply_credit` of a stream this side opened. */
  onStreamFrame(message: M, credit: boolean, size: number): void {
    const stream = this.#pending?.get(this.#codec.id(message))?.extras
      ?.stream;
    if (stream === undefined) {
      this.#stats.lateReplies++;
      return;
    }
    if (credit) stream.grant(this.#codec.streams!.count(message));
    else stream.push(message, size);
  }

  /**
   * Gives up a request (its signal aborted, or a stream its reader stopped
   * reading): it fails with `error`, and the peer is told.
   */
  cancel(entry: PendingRequest<M>, error: Error): void {
    if (!this.#take(entry)) return;
    this.#stats.aborts++;
    this.#sendCancel(entry.id);
    this.#reserve(entry.id);
    entry.fail(error);
  }

  /** Tells the peer to stop working on every pending request (closing). */
  cancelAll(): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    for (const entry of pending.values()) this.#sendCancel(entry.id);
  }

  /** Rejects every pending request with `error`: no reply can come. */
  rejectAll(error: Error): void {
    this.#deadlines?.stop();
    if (this.#pending === undefined) return;
    for (const entry of this.#pending.values()) {
      if (this.#take(entry)) {
        this.#stats.closedWhilePending++;
        entry.fail(error);
      }
    }
  }

  /** Frees every reserved id: the peer can answer nothing any more. */
  releaseReserved(): void {
    this.#reserved.clear();
  }

  /** The timer of a request with a deadline of its own fired. */
  static #expire<M>(entry: PendingRequest<M>): void {
    const extras = entry.extras!;
    extras.timer = undefined;
    extras.owner.timeOut(entry, extras.timeout);
  }

  /** Fails a request whose deadline (`timeout` ms after it was sent) passed. */
  timeOut(entry: PendingRequest<M>, timeout: number): void {
    if (!this.#take(entry)) return;
    if (entry.counted) this.#stats.timeouts++;
    this.#sendCancel(entry.id);
    this.#reserve(entry.id);
    entry.timedOut(
      new TimeoutError(`Request ${entry.id} timed out after ${timeout} ms`),
    );
    if (entry.sentAt !== 0) reportSentIfSlow(this.#link, entry, "timeout");
  }

  #fail(entry: PendingRequest<M>, error: unknown): void {
    if (this.#take(entry)) entry.fail(toError(error));
  }

  /** Removes a pending request; false if it had already settled. */
  #take(entry: PendingRequest<M>): boolean {
    if (!entry.active) return false;
    entry.active = false;
    const pending = this.#pending;
    pending?.delete(entry);
    if (pending?.size === 0) this.#deadlines?.emptied();
    const extras = entry.extras;
    if (extras !== undefined) {
      extras.timer?.cancel();
      extras.signal?.removeEventListener("abort", extras);
    }
    return true;
  }

  /**
   * Keeps the id of a request that ended here from being handed out again
   * while the peer may still answer it, and sends a fence to learn when it
   * no longer can (see `ReservedIds`).
   */
  #reserve(id: MessageId): void {
    if (this.#link.state === "closed") return;
    this.#reserved.add(id);
    this.#sendFence();
  }

  #sendFence(): void {
    const codec = this.#codec;
    // A fence needs both kinds: without cancel the peer may answer after
    // the pong, so the id waits for its late reply instead.
    if (
      this.#fenceOut || !codec.ping || !codec.cancel || this.#link.refusal
    ) return;
    const generation = this.#reserved.fence();
    const fenceDone = (passed: boolean): void => {
      this.#fenceOut = false;
      if (passed) this.#reserved.releaseUpTo(generation);
      if (this.#reserved.size !== 0) this.#sendFence();
    };
    const entry = new MachineRequest<M>({
      onMessage: () => fenceDone(true),
      onError: () => fenceDone(false),
    }, this.#link.onError);
    this.extras(entry).counted = false;
    this.#fenceOut = true;
    try {
      this.start(codec.ping(0, false), entry, undefined);
    } catch {
      this.#fenceOut = false;
    }
  }

  #sendCancel(id: MessageId): void {
    const cancel = this.#codec.cancel;
    if (cancel && this.#link.state !== "closed") {
      this.#link.tryWrite(cancel.call(this.#codec, id));
    }
  }
}
