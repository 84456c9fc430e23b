/**
 * The {@linkcode SendQueue}: frames waiting to be written to a channel.
 *
 * @module
 */

import { ConnectionClosedError, QueueFullError } from "../errors.ts";
import type { ChannelIO } from "../channel/channel.ts";
import { type ChunkWriter, streamWriter } from "../channel/_stream_io.ts";
import { Batch } from "./_batch.ts";
import { PieceSchedule } from "./_piece_schedule.ts";
import {
  admitWaiters,
  type Waiter,
  waitToProduce,
  waitWithParts,
} from "./_send_waiter.ts";
import { resolveSendQueueOptions } from "./_send_queue_config.ts";
import type { FrameWriter } from "./frame_writer.ts";
import {
  DEFAULT_COPY_LIMIT,
  type QueueOverflow,
  type SendQueueOptions,
} from "./send_queue_options.ts";

export type { FrameWriter } from "./frame_writer.ts";
export type { QueueOverflow, SendQueueOptions } from "./send_queue_options.ts";
export {
  DEFAULT_COPY_LIMIT,
  DEFAULT_MAX_QUEUE_BYTES,
} from "./send_queue_options.ts";

/** Schedules the end-of-turn flush. */
const SETTLED = Promise.resolve();

/**
 * Queues frames for one writable stream. The frames pushed in one tick go
 * out in one `write()` (small parts are copied into one batch; large parts
 * follow as their own chunks, uncopied), in pieces when the tick makes
 * more: the first of 32 frames or 64 KiB, so the peer starts on it while
 * the next is made, each later one twice as large. Writes are issued one at
 * a time, so the stream's backpressure holds frames in the queue, and the
 * queue is bound in bytes.
 *
 * @example Two frames, one write
 * ```ts
 * import { SendQueue } from "listenrain/advanced";
 *
 * const writes: Uint8Array[] = [];
 * const queue = new SendQueue(new WritableStream({ write: (c) => void writes.push(c) }));
 * queue.push([new Uint8Array([1, 2])]);
 * queue.push([new Uint8Array([3])]);
 * await queue.flush();
 * console.log(writes); // [ Uint8Array(3) [ 1, 2, 3 ] ]
 * await queue.close();
 * ```
 */
export class SendQueue {
  #writer: ChunkWriter;
  #max: number;
  #overflow: QueueOverflow;
  #onError: ((error: unknown) => void) | undefined;
  /** The chunks to write and the arena small frames are copied into. */
  #batch = new Batch();
  #bytes = 0;
  #waiters: Waiter[] = [];
  #scheduled = false;
  #pieces = new PieceSchedule();
  #writing = false;
  /** Called once the queue is empty; made by the first `flush()` that waits. */
  #idle: (() => void)[] | undefined;
  #error: Error | undefined;
  #closed = false;
  /** Writes the batch a turn gathered; made when the first one is scheduled. */
  #flushTask: (() => void) | undefined;

  /**
   * Creates a queue that writes to `writable`.
   *
   * @param writable The stream to write to (the queue takes its writer lock),
   *   or a channel's {@linkcode ChannelIO} calls (then {@linkcode
   *   SendQueue.abort} leaves closing the channel to its owner).
   * @param options Bound, overflow behaviour and error callback.
   * @throws {RangeError} If `maxQueueBytes` is not a positive number.
   */
  constructor(
    writable: WritableStream<Uint8Array> | ChannelIO,
    options: SendQueueOptions = {},
  ) {
    const config = resolveSendQueueOptions(options);
    this.#max = config.maxQueueBytes;
    this.#overflow = config.overflow;
    this.#onError = config.onError;
    this.#writer = "getWriter" in writable ? streamWriter(writable) : writable;
  }

  /** Bytes queued or being written. */
  get queuedBytes(): number {
    return this.#bytes;
  }

  /** Frames waiting for room (overflow `"wait"`). */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Queues one frame, given as parts. Parts of up to 64 KiB are copied at
   * once, so the caller may reuse them as soon as `push` returns; larger parts
   * are kept by reference until written and must not change.
   *
   * @param parts The frame's parts, in order.
   * @returns `undefined` if the frame was queued, or a promise that resolves
   * when a full queue took it.
   * @throws {QueueFullError} If the queue is full and `overflow` is `"error"`.
   * @throws {ConnectionClosedError} If the queue is closed or a write failed.
   */
  push(parts: readonly Uint8Array[]): void | Promise<void> {
    this.#checkOpen();
    let length = 0;
    for (const part of parts) length += part.byteLength;
    if (
      this.#waiters.length > 0 ||
      (this.#bytes + length > this.#max && this.#bytes > 0)
    ) {
      if (this.#overflow === "error") {
        throw new QueueFullError(this.#max, length);
      }
      return waitWithParts(this.#waiters, parts, length);
    }
    this.#append(parts, length);
  }

  /**
   * Queues one frame that is made only once the queue has room, so that a
   * full queue holds what the caller already has (its message), not encoded
   * bytes. With room, `produce` runs at once. A frame is admitted while the
   * queue holds less than `maxQueueBytes`, so the queue may exceed its bound
   * by at most one frame.
   *
   * @param produce Makes the frame's parts (as for
   * {@linkcode SendQueue.push}); its errors reject the returned promise (or
   * are thrown, when it runs at once).
   * @returns `undefined` if the frame was queued now, or a promise that
   * resolves once it was.
   * @throws {QueueFullError} If the queue is full and `overflow` is `"error"`.
   * @throws {ConnectionClosedError} If the queue is closed or a write failed.
   */
  pushLater(produce: () => readonly Uint8Array[]): void | Promise<void> {
    this.#checkOpen();
    if (!this.full) {
      const parts = produce();
      let length = 0;
      for (const part of parts) length += part.byteLength;
      this.#append(parts, length);
      return;
    }
    if (this.#overflow === "error") throw new QueueFullError(this.#max);
    return waitToProduce(this.#waiters, produce);
  }

  /**
   * Queues one frame of `length` bytes that `writer` writes straight into
   * the batch, if the queue has room now and the frame is small (up to
   * {@linkcode DEFAULT_COPY_LIMIT}); otherwise it does nothing and returns
   * `false`, and the caller uses {@linkcode SendQueue.push} or
   * {@linkcode SendQueue.pushLater}.
   *
   * @param length The frame's size in bytes.
   * @param writer Writes the frame: `writer.writeFrame(item, target, offset)`
   *   fills `target[offset]` to `target[offset + length]`; it must not throw.
   * @param item What `writer` writes (for example a message).
   * @returns Whether the frame was queued.
   * @throws {ConnectionClosedError} If the queue is closed or a write failed.
   */
  pushInto<T>(length: number, writer: FrameWriter<T>, item: T): boolean {
    this.#checkOpen();
    if (length > DEFAULT_COPY_LIMIT || this.full) return false;
    const batch = this.#batch;
    writer.writeFrame(item, batch.room(length), batch.fill);
    batch.fill += length;
    this.#bytes += length;
    this.#schedule();
    return true;
  }

  /**
   * True while the queue holds `maxQueueBytes` or more, or frames wait for
   * room.
   */
  get full(): boolean {
    return this.#waiters.length > 0 || this.#bytes >= this.#max;
  }

  /**
   * Waits until everything queued so far has been written.
   *
   * @returns A promise that resolves when the queue is empty.
   * @throws {ConnectionClosedError} If a write failed.
   */
  flush(): Promise<void> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#bytes === 0 && !this.#writing) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      (this.#idle ??= []).push(() =>
        this.#error ? reject(this.#error) : resolve()
      );
    });
  }

  /**
   * Writes what is queued, then closes the stream (a half-close on sockets).
   * Frames still waiting for room are written too.
   *
   * @returns A promise that resolves when the stream is closed.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#waiters.length > 0 || this.#bytes > 0) {
      try {
        await this.flush();
      } catch {
        return;
      }
    }
    this.#closed = true;
    await this.#writer.closeWrite().catch(() => {});
  }

  /**
   * Drops everything queued, rejects frames waiting for room with `reason`,
   * and aborts the stream.
   *
   * @param reason The error that waiting and later pushes fail with.
   */
  abort(reason: Error): void {
    if (this.#error === undefined) this.#error = reason;
    this.#closed = true;
    // A write may still hold the arena: leave it to the garbage collector.
    this.#batch.drop();
    this.#bytes = 0;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(reason);
    this.#writer.abort?.(reason);
    this.#notifyIdle();
  }

  /** Throws if nothing more may be queued: a write failed, or closed. */
  #checkOpen(): void {
    if (this.#error) throw this.#error;
    if (this.#closed) {
      throw new ConnectionClosedError("Cannot send: send queue is closed");
    }
  }

  #append(parts: readonly Uint8Array[], length: number): void {
    this.#bytes += length;
    const batch = this.#batch;
    for (const part of parts) {
      if (part.byteLength > DEFAULT_COPY_LIMIT) {
        batch.seal();
        batch.chunks.push(part);
        continue;
      }
      batch.room(part.byteLength).set(part, batch.fill);
      batch.fill += part.byteLength;
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#writing) return;
    // A large turn goes out in pieces (_piece_schedule.ts).
    if (this.#pieces.frameQueued(this.#batch.fill - this.#batch.start)) {
      this.#writeLoop();
      return;
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      // A microtask through a settled promise: Node's queueMicrotask()
      // makes an AsyncResource and a bound function each time.
      void SETTLED.then(this.#flushTask ??= this.#makeFlushTask());
    }
  }

  /**
   * The end-of-turn flush. Made here, not in `#schedule`: a closure there
   * would make every call allocate a context (measured: ~50 B per frame).
   */
  #makeFlushTask(): () => void {
    return () => {
      this.#scheduled = false;
      this.#pieces.turnEnded();
      if (!this.#writing) this.#writeLoop();
    };
  }

  /**
   * Writes batch after batch until the queue is empty; an async function
   * only once a write waits (its promise was garbage per batch: measured,
   * 1356 → 1290 B per request, 64 B × 16 in flight).
   */
  #writeLoop(): void {
    this.#writing = true;
    this.#pieces.writeBegan();
    let waiting: Promise<void> | null | undefined;
    try {
      while (!this.#error) {
        waiting = this.#writeBatch();
        if (waiting !== undefined) break;
      }
    } catch (cause) {
      this.#fail(cause);
    }
    if (waiting) return void this.#writeLater(waiting);
    this.#writing = false;
    this.#notifyIdle();
  }

  /** The loop's rest once a write waits. */
  async #writeLater(waiting: Promise<void>): Promise<void> {
    try {
      await waiting;
      while (!this.#error) {
        const next = this.#writeBatch();
        if (next === null) break;
        if (next !== undefined) await next;
      }
    } catch (cause) {
      this.#fail(cause);
    } finally {
      this.#writing = false;
      this.#notifyIdle();
    }
  }

  /**
   * Writes the batch: `null` if there was none (the arena went back to
   * the pool), `undefined` once written, or a promise of the rest of it,
   * from the first write that waits.
   */
  #writeBatch(): Promise<void> | null | undefined {
    const batch = this.#batch;
    batch.seal();
    if (batch.chunks.length === 0) {
      // Everything is written: the arena goes back to the shared pool.
      batch.release();
      return null;
    }
    batch.take();
    const chunks = batch.taken;
    const writer = this.#writer;
    if (chunks.length > 1 && writer.writev !== undefined) {
      // A batch and a large part: one call to the operating system.
      const written = writer.writev(chunks);
      if (written !== undefined) {
        return this.#finishBatch(written, 0, chunks.length);
      }
      for (const chunk of chunks) this.#bytes -= chunk.byteLength;
    } else {
      for (let i = 0; i < chunks.length; i++) {
        const written = writer.write(chunks[i]);
        if (written !== undefined) return this.#finishBatch(written, i, i + 1);
        this.#bytes -= chunks[i].byteLength;
      }
    }
    this.#batch.written();
    this.#admitWaiters();
    return undefined;
  }

  /**
   * The rest of a batch whose write waits: `written` covers the chunks
   * from `from` to `to`; those after them are written next.
   */
  async #finishBatch(
    written: Promise<void>,
    from: number,
    to: number,
  ): Promise<void> {
    const chunks = this.#batch.taken;
    await written;
    for (let i = from; i < to; i++) this.#bytes -= chunks[i].byteLength;
    for (let i = to; i < chunks.length; i++) {
      const next = this.#writer.write(chunks[i]);
      if (next !== undefined) await next;
      this.#bytes -= chunks[i].byteLength;
    }
    this.#batch.written();
    this.#admitWaiters();
  }

  #admitWaiters(): void {
    if (this.#waiters.length === 0) return;
    admitWaiters(
      this.#waiters,
      this.#max,
      () => this.#bytes,
      (parts, length) => this.#append(parts, length),
    );
  }

  #fail(cause: unknown): void {
    if (this.#error) return;
    const error = new ConnectionClosedError("Cannot write: the stream failed", {
      cause,
    });
    this.abort(error);
    this.#onError?.(cause);
  }

  #notifyIdle(): void {
    const idle = this.#idle;
    if (idle === undefined || idle.length === 0) return;
    if (this.#writing || (this.#bytes > 0 && !this.#error)) return;
    for (const done of idle.splice(0)) done();
  }
}
