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
import type { Timer, TimerHeap } from "../timer/timer_heap.ts";
import type { Link } from "./_link.ts";
import { PendingRequest } from "./_pending_request.ts";
import { ReservedIds } from "./_reserved_ids.ts";
import { reportSentIfSlow } from "./_log_request.ts";
import { toError } from "./_to_error.ts";
import { checkTimeout, type TransportConfig } from "./_transport_config.ts";
import type { ConnectionStats } from "./stats.ts";
import type { RequestOptions } from "./transport_options.ts";

/** Queues the idle checks of the sweep timer. */
const SETTLED = Promise.resolve();
/** Microtasks an emptied pending table waits for a new request. */
const IDLE_HOPS = 3;

/**
 * The requests a transport sent that wait for their replies (the pending
 * table), by id: ids handed out around those in flight and those reserved
 * (see `ReservedIds`, with the fence ping that frees them), deadlines,
 * aborts, replies, late replies, and the rejection of everything pending
 * when the connection ends. Every request settles exactly once.
 *
 * @internal
 */
export class Outgoing<M> {
  #link: Link<M>;
  #codec: MessageCodec<M>;
  #stats: ConnectionStats;
  #timers: TimerHeap;
  #ids: IdAllocator;
  /** The default deadline in ms; `Infinity` for none. */
  #timeout: number;
  #maxPending: number;
  /** The requests waiting for their reply, by id; made by the first one. */
  #pending: Map<MessageId, PendingRequest<M>> | undefined;
  /** The one timer of the requests with the default deadline (see #sweep). */
  #sweeper: Timer<Outgoing<M>> | undefined = undefined;
  /** Requests of this turn whose default deadline is set at its end. */
  #unstamped: PendingRequest<M>[] | undefined = undefined;
  /** `#stamp` as a callback; made by the first request that needs it. */
  #stampTask: (() => void) | undefined = undefined;
  /** True while a check whether to cancel `#sweeper` is queued. */
  #idle = false;
  /** Ids that timed out or were aborted here and may still be answered. */
  #reserved = new ReservedIds();
  /** True while a fence (see `ReservedIds`) is out. */
  #fenceOut = false;
  /** `inUse` as a function value, for the id allocator (made on first use). */
  #inUse: ((id: MessageId) => boolean) | undefined;

  /** True while an id may not be handed out: pending, or reserved. */
  inUse(id: MessageId): boolean {
    return this.#pending?.has(id) === true ||
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
    (this.#pending ??= new Map()).set(id, entry);
    if (entry.counted) this.#stats.requestsSent++;
    if (timeout !== Infinity) {
      entry.timeout = timeout;
      if (timeout === this.#timeout) {
        // The default deadline: requests get it in the order they are sent
        // (the pending table's order), so one timer, for the oldest, serves
        // them all (#sweep), and one clock reading per turn (#stamp).
        const unstamped = this.#unstamped ??= [];
        if (unstamped.push(entry) === 1) {
          void SETTLED.then(this.#stampTask ??= this.#makeStampTask());
        }
        this.#sweeper ??= this.#timers.schedule(timeout, Outgoing.#sweep, this);
      } else {
        entry.timer = this.#timers.schedule(timeout, Outgoing.#expire, entry);
      }
    }
    if (this.#link.timed) {
      entry.sentAt = performance.now();
      entry.request = outgoing;
    }
    if (signal) this.#watch(entry, signal);
    if (queued) this.#failIfUnsent(entry, queued);
    return id;
  }

  // The closures of `start` are made by methods of their own: a closure in
  // `start` would make every call allocate a context for it, needed or not.

  #makeStampTask(): () => void {
    return () => this.#stamp();
  }

  /**
   * The requests of the turn that ended get their default deadline from one
   * clock reading taken after all were sent: never early, late by at most
   * the turn. (Reading the clock per request is a call into the runtime on
   * Deno: 8 % of a client's CPU at 256 small requests in flight.)
   */
  #stamp(): void {
    const unstamped = this.#unstamped!;
    const deadline = this.#timers.now() + this.#timeout;
    for (let i = 0; i < unstamped.length; i++) {
      const entry = unstamped[i];
      if (entry.active) entry.deadline = deadline;
    }
    unstamped.length = 0;
  }

  #inUseFunction(): (id: MessageId) => boolean {
    return (id) => this.inUse(id);
  }

  /** Cancels the request when `signal` aborts. */
  #watch(entry: PendingRequest<M>, signal: AbortSignal): void {
    entry.signal = signal;
    entry.onAbort = () => this.#abort(entry);
    signal.addEventListener("abort", entry.onAbort, { once: true });
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
    const stream = this.#pending?.get(this.#codec.id(message))?.stream;
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
    for (const id of pending.keys()) this.#sendCancel(id);
  }

  /** Rejects every pending request with `error`: no reply can come. */
  rejectAll(error: Error): void {
    this.#sweeper?.cancel();
    this.#sweeper = undefined;
    if (this.#pending === undefined) return;
    for (const entry of [...this.#pending.values()]) {
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

  /**
   * Expires the requests with the default deadline whose time has come, in
   * the pending table's order (which is their deadlines' order), and arms
   * the timer again for the first one left.
   */
  static #sweep<M>(outgoing: Outgoing<M>): void {
    outgoing.#sweeper = undefined;
    const now = outgoing.#timers.now();
    for (const entry of outgoing.#pending?.values() ?? []) {
      if (entry.deadline === 0) continue;
      if (entry.deadline > now + 1) {
        outgoing.#sweeper = outgoing.#timers.schedule(
          entry.deadline - now,
          Outgoing.#sweep,
          outgoing,
        );
        return;
      }
      Outgoing.#expire(entry);
    }
  }

  /** Cancels the sweep timer if nothing waits after `hops` microtasks more. */
  #cancelSweepIfIdle(hops: number): void {
    if ((this.#pending?.size ?? 0) !== 0 || this.#sweeper === undefined) {
      this.#idle = false;
    } else if (hops > 0) {
      void SETTLED.then(() => this.#cancelSweepIfIdle(hops - 1));
    } else {
      this.#idle = false;
      this.#sweeper.cancel();
      this.#sweeper = undefined;
    }
  }

  static #expire<M>(entry: PendingRequest<M>): void {
    const outgoing = entry.owner as Outgoing<M>;
    entry.timer = undefined;
    if (!outgoing.#take(entry)) return;
    if (entry.counted) outgoing.#stats.timeouts++;
    outgoing.#sendCancel(entry.id);
    outgoing.#reserve(entry.id);
    entry.timedOut(
      new TimeoutError(
        `Request ${entry.id} timed out after ${entry.timeout} ms`,
      ),
    );
    if (entry.sentAt !== 0) reportSentIfSlow(outgoing.#link, entry, "timeout");
  }

  #abort(entry: PendingRequest<M>): void {
    if (!entry.active) return;
    this.cancel(
      entry,
      new AbortedError(`Request ${entry.id} aborted`, {
        cause: entry.signal?.reason,
      }),
    );
  }

  #fail(entry: PendingRequest<M>, error: unknown): void {
    if (this.#take(entry)) entry.fail(toError(error));
  }

  /** Removes a pending request; false if it had already settled. */
  #take(entry: PendingRequest<M>): boolean {
    if (!entry.active) return false;
    entry.active = false;
    const pending = this.#pending;
    pending?.delete(entry.id);
    entry.timer?.cancel();
    if (pending?.size === 0 && this.#sweeper !== undefined && !this.#idle) {
      // Nothing waits: no timer is left behind, unless the callers send
      // again within a few microtasks (a closed loop's next request after
      // its reply), which would arm a runtime timer again per round trip.
      this.#idle = true;
      // (Through the method, not a closure here: see `start`.)
      this.#cancelSweepIfIdle(IDLE_HOPS + 1);
    }
    if (entry.signal) {
      entry.signal.removeEventListener("abort", entry.onAbort!);
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
    const entry = new PendingRequest<M>(this, undefined, undefined, {
      onMessage: () => fenceDone(true),
      onError: () => fenceDone(false),
    }, this.#link.onError);
    entry.counted = false;
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
