/**
 * One direction of a memory pipe, as calls: {@linkcode PipeDirection}.
 * Private to `memory_pipe.ts`.
 *
 * @module
 */

import { ConnectionClosedError } from "../errors.ts";

/** A pending `read()`'s settle functions. */
interface PendingRead {
  resolve(chunk: Uint8Array | null): void;
  reject(error: unknown): void;
}

/**
 * One direction of a pipe: one end writes by `write()`, the other reads by
 * `read()`, with the rules of `ChannelIO`. Written bytes are copied in
 * pieces (of at most `chunkSize` bytes, and at most the room left in the
 * buffer), wait `delayMs` in transit, then wait in the queue until read. The
 * buffer (in transit plus unread) holds at most `highWaterMark` bytes: a
 * write completes once its last piece is in it, so a reader that stops
 * makes the writer wait, and a write larger than the buffer goes in as the
 * reader makes room, as on a socket. The faults a memory channel simulates (reset, silence)
 * act here.
 */
export class PipeDirection {
  #chunkSize: number;
  #delayMs: number;
  #highWaterMark: number;
  /** Delivered chunks not read yet, from `#head` on. */
  #queue: Uint8Array[] = [];
  #head = 0;
  #queued = 0;
  #reading: PendingRead | undefined;
  /** Delivered the end of stream: reads return `null` once the queue is empty. */
  #eof = false;
  /** Reads reject with this (the queue was dropped). */
  #readError: Error | undefined;
  #inTransit = 0;
  #transit: { at: number; chunk: Uint8Array | null }[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #wake: (() => void) | undefined;
  /** Set once writing is no longer possible; the reason writes fail with. */
  #writeError: Error | undefined;
  /** True once nothing more is delivered (ended, errored, cancelled). */
  #readDone = false;
  /** True once the pipe went silent: writes are dropped, nothing is delivered. */
  #silent = false;
  /** Bytes the writer may still write before `#fault` runs. */
  #faultAt = Infinity;
  /** Runs when the writer reaches `#faultAt`; returns the error its write fails with. */
  #fault: (() => Error | undefined) | undefined;
  /** The error the reader gets once it has read everything delivered. */
  #errorWhenRead: Error | undefined;

  constructor(chunkSize: number, delayMs: number, highWaterMark: number) {
    this.#chunkSize = chunkSize;
    this.#delayMs = delayMs;
    this.#highWaterMark = highWaterMark;
  }

  /** True once the pipe went silent. */
  get silent(): boolean {
    return this.#silent;
  }

  /** The next chunk (owned by the caller), `null` at the end; one call at a time. */
  read(): Promise<Uint8Array | null> {
    if (this.#head < this.#queue.length) {
      const chunk = this.#queue[this.#head];
      this.#queue[this.#head++] = undefined!;
      if (this.#head === this.#queue.length) {
        this.#queue.length = this.#head = 0;
      } else if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
        this.#queue.splice(0, this.#head);
        this.#head = 0;
      }
      this.#queued -= chunk.byteLength;
      this.#wakeWriter();
      this.#errorIfRead();
      return Promise.resolve(chunk);
    }
    this.#errorIfRead();
    if (this.#readError) return Promise.reject(this.#readError);
    if (this.#eof) return Promise.resolve(null);
    this.#wakeWriter();
    return new Promise((resolve, reject) => {
      this.#reading = { resolve, reject };
    });
  }

  /**
   * Writes a copy of `chunk`: `undefined` when its bytes fit at once, else
   * a promise that resolves once the last of them is in the buffer. Throws
   * or rejects once writing failed. One call at a time.
   */
  write(chunk: Uint8Array): Promise<void> | undefined {
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError("Cannot write: chunk must be a Uint8Array");
    }
    if (this.#writeError) throw this.#writeError;
    if (this.#silent) return undefined;
    let data = chunk;
    let fault: (() => Error | undefined) | undefined;
    if (this.#fault !== undefined) {
      if (chunk.byteLength >= this.#faultAt) {
        data = chunk.subarray(0, this.#faultAt);
        fault = this.#fault;
        this.#fault = undefined;
        this.#faultAt = Infinity;
      } else {
        this.#faultAt -= chunk.byteLength;
      }
    }
    // While there is room, pieces go now (nothing else changes the pipe's
    // state meanwhile); once it is full, the rest waits in #writeRest.
    for (let start = 0; start < data.byteLength;) {
      if (this.#mustWait()) return this.#writeRest(data, start, fault);
      start = this.#sendPiece(data, start);
    }
    if (fault !== undefined) {
      const error = fault();
      if (error) throw error;
    }
    return undefined;
  }

  /** The rest of `write()`, from `start`, once the pipe is full. */
  async #writeRest(
    data: Uint8Array,
    start: number,
    fault: (() => Error | undefined) | undefined,
  ): Promise<void> {
    while (start < data.byteLength) {
      while (this.#mustWait()) await this.#woken();
      if (this.#writeError) throw this.#writeError;
      if (this.#silent) return;
      start = this.#sendPiece(data, start);
    }
    if (fault !== undefined) {
      const error = fault();
      if (error) throw error;
    }
  }

  /**
   * Sends a copy of the next piece of `data` from `start`: at most
   * `chunkSize` bytes, and no more than the buffer has room for (as a
   * socket takes only what fits). Returns where the next piece starts.
   */
  #sendPiece(data: Uint8Array, start: number): number {
    const room = this.#highWaterMark - this.#inTransit - this.#queued;
    const end = Math.min(
      data.byteLength,
      start + this.#chunkSize,
      start + room,
    );
    this.#send(data.slice(start, end));
    return end;
  }

  /** True while the buffer is full (and the pipe is neither broken nor silent). */
  #mustWait(): boolean {
    return this.#writeError === undefined && !this.#silent &&
      (this.#readDone ||
        this.#inTransit + this.#queued >= this.#highWaterMark);
  }

  #woken(): Promise<void> {
    return new Promise<void>((resolve) => this.#wake = resolve);
  }

  #send(chunk: Uint8Array | null): void {
    if (this.#delayMs === 0 && this.#transit.length === 0) {
      this.#deliver(chunk);
      return;
    }
    this.#transit.push({ at: performance.now() + this.#delayMs, chunk });
    if (chunk) this.#inTransit += chunk.byteLength;
    this.#arm();
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#transit.length === 0) return;
    const wait = Math.max(0, this.#transit[0].at - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = performance.now();
      while (this.#transit.length > 0 && this.#transit[0].at <= now + 1) {
        const { chunk } = this.#transit.shift()!;
        if (chunk) this.#inTransit -= chunk.byteLength;
        this.#deliver(chunk);
      }
      this.#arm();
      this.#wakeWriter();
      this.#errorIfRead();
    }, wait);
  }

  /** Hands a chunk to the reader; `null` is end of stream. */
  #deliver(chunk: Uint8Array | null): void {
    if (this.#readDone) return;
    const reading = this.#reading;
    this.#reading = undefined;
    if (chunk === null) {
      this.#readDone = this.#eof = true;
      reading?.resolve(null);
    } else if (reading !== undefined) {
      reading.resolve(chunk);
    } else {
      this.#queue.push(chunk);
      this.#queued += chunk.byteLength;
    }
  }

  #wakeWriter(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /**
   * Arms a fault: once `bytes` more bytes were written, the write delivers
   * up to the mark and `fault` runs (its error, if any, fails that write).
   */
  armFault(bytes: number, fault: () => Error | undefined): void {
    this.#faultAt = bytes;
    this.#fault = fault;
  }

  /** The writer half-closes: as `end()`; rejects once writing failed. */
  closeWrite(): Promise<void> {
    if (this.#writeError) return Promise.reject(this.#writeError);
    this.end(new ConnectionClosedError("Cannot write: channel closed"));
    return Promise.resolve();
  }

  /** Ends writing: the reader gets what is in transit, then end of stream. */
  end(reason: Error): void {
    if (this.#writeError) return;
    this.#writeError = reason;
    // A silent pipe delivers no end of stream either.
    if (!this.#silent) this.#send(null);
    this.#wakeWriter();
  }

  /**
   * The reading end went away: writes fail, nothing more is delivered; its
   * reader still gets the chunks already delivered, then the end.
   */
  discard(reason: Error): void {
    if (!this.#readDone) {
      this.#readDone = this.#eof = true;
      const reading = this.#reading;
      this.#reading = undefined;
      reading?.resolve(null);
    }
    if (this.#silent) this.#dropTransit();
    else this.failWrites(reason);
  }

  /** The reader cancelled its stream: the writer's writes fail. */
  cancelRead(): void {
    this.#readDone = this.#eof = true;
    this.#dropQueue();
    if (this.#silent) return;
    this.failWrites(new ConnectionClosedError("Cannot write: peer closed"));
  }

  /**
   * Reset. `"now"`: in-transit and unread bytes are lost and the reader sees
   * the error at once (unless the pipe is silent). `"when-read"`: bytes
   * already written are still delivered, and the reader sees the error once
   * it has read them. Writes fail from now on either way.
   */
  break(reason: Error, when: "now" | "when-read"): void {
    if (when === "when-read") {
      this.#writeError ??= reason;
      this.#wakeWriter();
      if (!this.#readDone) {
        this.#errorWhenRead = reason;
        this.#errorIfRead();
      }
      return;
    }
    if (!this.#silent) this.errorReader(reason);
    this.failWrites(reason);
  }

  /** The reader's own end broke: its reads fail now, even when silent. */
  errorReader(reason: Error): void {
    if (this.#readDone) return;
    this.#readDone = true;
    this.#readError = reason;
    this.#dropQueue();
    const reading = this.#reading;
    this.#reading = undefined;
    reading?.reject(reason);
  }

  /** Writes fail with `reason` from now on; bytes in transit are lost. */
  failWrites(reason: Error): void {
    this.#writeError ??= reason;
    this.#dropTransit();
    this.#wakeWriter();
  }

  /** Nothing more is delivered, in transit or written later; writes succeed. */
  silence(): void {
    this.#silent = true;
    this.#fault = undefined;
    this.#faultAt = Infinity;
    this.#errorWhenRead = undefined;
    this.#dropTransit();
    this.#wakeWriter();
  }

  /** Errors the reader with `#errorWhenRead` once it has read everything. */
  #errorIfRead(): void {
    const reason = this.#errorWhenRead;
    if (reason === undefined || this.#readDone) return;
    if (this.#transit.length > 0 || this.#head < this.#queue.length) return;
    this.#errorWhenRead = undefined;
    this.errorReader(reason);
  }

  #dropQueue(): void {
    this.#queue.length = this.#head = this.#queued = 0;
  }

  #dropTransit(): void {
    this.#transit.length = 0;
    this.#inTransit = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
