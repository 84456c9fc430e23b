import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_COPY_LIMIT,
  DEFAULT_MAX_QUEUE_BYTES,
  type FrameWriter,
  SendQueue,
} from "../../src/queue/send_queue.ts";
import { ConnectionClosedError, QueueFullError } from "../../src/errors.ts";

/** Lets promise callbacks and stream internals run (a few macrotask turns). */
async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) {
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
  }
}

/** Waits, a macrotask turn at a time, until `condition` holds. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (condition()) return;
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
  }
  assert.fail(`never happened: ${what}`);
}

/** Whether a promise settled yet. */
function track(promise: Promise<unknown>): { state: string } {
  const tracked = { state: "pending" };
  promise.then(
    () => tracked.state = "resolved",
    () => tracked.state = "rejected",
  );
  return tracked;
}

function bytes(length: number, fill: number): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

/**
 * A sink over a real WritableStream. Records every chunk it is given (the
 * object, and a copy of its bytes at that moment). In manual mode each write
 * waits for `release()`; `fail` makes writes reject.
 */
class Sink {
  chunks: Uint8Array[] = [];
  copies: number[][] = [];
  closed = false;
  aborted: unknown = undefined;
  fail: Error | undefined;
  #held: (() => void)[] = [];
  readonly stream: WritableStream<Uint8Array>;

  constructor(readonly manual = false) {
    this.stream = new WritableStream<Uint8Array>({
      write: (chunk) => {
        this.chunks.push(chunk);
        this.copies.push([...chunk]);
        if (this.fail) return Promise.reject(this.fail);
        if (!this.manual) return;
        return new Promise<void>((resolve) => this.#held.push(resolve));
      },
      close: () => {
        this.closed = true;
      },
      abort: (reason) => {
        this.aborted = reason;
      },
    });
  }

  /** Writes waiting for `release()`. */
  get held(): number {
    return this.#held.length;
  }

  /** Completes the oldest held write. */
  release(): void {
    const next = this.#held.shift();
    assert.ok(next, "no write is held");
    next();
  }

  /** All bytes written, in order (as they were when written). */
  get written(): number[] {
    return this.copies.flat();
  }
}

/**
 * A fake writable whose writer counts `write()` calls in flight: what the
 * queue itself does, before any stream queues writes on its own.
 */
class SpyWritable {
  inFlight = 0;
  maxInFlight = 0;
  calls: number[][] = [];
  #held: (() => void)[] = [];

  get held(): number {
    return this.#held.length;
  }

  release(): void {
    this.#held.shift()!();
  }

  asStream(): WritableStream<Uint8Array> {
    const writer = {
      closed: new Promise<void>(() => {}),
      write: (chunk: Uint8Array): Promise<void> => {
        this.calls.push([...chunk]);
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        return new Promise<void>((resolve) =>
          this.#held.push(() => {
            this.inFlight--;
            resolve();
          })
        );
      },
      close: () => Promise.resolve(),
      abort: () => Promise.resolve(),
    };
    return { getWriter: () => writer } as unknown as WritableStream<
      Uint8Array
    >;
  }
}

describe("SendQueue batching", () => {
  it("SendQueue has the documented defaults", () => {
    assert.equal(DEFAULT_MAX_QUEUE_BYTES, 8 * 1024 * 1024);
    assert.equal(DEFAULT_COPY_LIMIT, 64 * 1024);
    const queue = new SendQueue(new Sink().stream);
    assert.equal(queue.queuedBytes, 0);
    assert.equal(queue.waiting, 0);
  });

  it("SendQueue writes frames pushed in one tick in one write", async () => {
    const sink = new Sink();
    const queue = new SendQueue(sink.stream);
    assert.equal(queue.push([bytes(2, 1), bytes(3, 2)]), undefined);
    assert.equal(queue.push([bytes(1, 3)]), undefined);
    assert.equal(queue.push([bytes(4, 4)]), undefined);
    assert.equal(queue.queuedBytes, 10);
    await queue.flush();
    assert.equal(sink.chunks.length, 1);
    assert.deepEqual(sink.copies[0], [1, 1, 2, 2, 2, 3, 4, 4, 4, 4]);
    assert.equal(queue.queuedBytes, 0);
    await queue.close();
  });

  it("SendQueue passes parts over DEFAULT_COPY_LIMIT (64 KiB) by reference and copies small ones", async () => {
    const sink = new Sink();
    const queue = new SendQueue(sink.stream);
    const header = new Uint8Array([0, 0, 0x50, 0]);
    const big = bytes(DEFAULT_COPY_LIMIT + 1, 7);
    const limit = bytes(DEFAULT_COPY_LIMIT, 8);
    const tail = new Uint8Array([9, 9]);
    queue.push([header, big]);
    queue.push([limit, tail]);
    // The caller may reuse small parts as soon as push returns.
    header.fill(0xee);
    limit.fill(0xee);
    tail.fill(0xee);
    await queue.flush();
    assert.equal(sink.chunks.length, 3);
    assert.deepEqual(sink.copies[0], [0, 0, 0x50, 0]);
    assert.equal(sink.chunks[1], big, "the large part is the same object");
    assert.notEqual(sink.chunks[0].buffer, header.buffer);
    assert.equal(sink.copies[2].length, DEFAULT_COPY_LIMIT + 2);
    assert.ok(
      sink.copies[2].slice(0, DEFAULT_COPY_LIMIT).every((b) => b === 8),
    );
    assert.deepEqual(sink.copies[2].slice(DEFAULT_COPY_LIMIT), [9, 9]);
    await queue.close();
  });

  it("SendQueue writes a large batch in pieces of 32, 64, 128... frames, in order, so the peer can start on the first", async () => {
    const writes: number[] = [];
    let written = new Uint8Array(0);
    const io = {
      read: () => Promise.resolve(null),
      write(chunk: Uint8Array) {
        writes.push(chunk.byteLength);
        const next = new Uint8Array(written.byteLength + chunk.byteLength);
        next.set(written);
        next.set(chunk, written.byteLength);
        written = next;
        return undefined; // taken at once, as a socket with room does
      },
      closeWrite: () => Promise.resolve(),
    };
    const queue = new SendQueue(io);
    for (let i = 0; i < 250; i++) queue.push([new Uint8Array([i, i])]);
    // The first 32 frames went out while the tick was still making more;
    // each later piece is twice the one before (fewer writes).
    assert.deepEqual(writes, [64, 128, 256]);
    await queue.flush();
    assert.deepEqual(writes, [64, 128, 256, 52]);
    assert.deepEqual(
      written,
      new Uint8Array(Array.from({ length: 250 }, (_, i) => [i, i]).flat()),
    );
    // The next turn starts again with a piece of 32.
    writes.length = 0;
    written = new Uint8Array(0);
    for (let i = 0; i < 40; i++) queue.push([new Uint8Array([i])]);
    assert.deepEqual(writes, [32]);
    await queue.flush();
    assert.deepEqual(writes, [32, 8]);
    // A tick with fewer frames is still one write.
    writes.length = 0;
    for (let i = 0; i < 31; i++) queue.push([new Uint8Array([i])]);
    await queue.flush();
    assert.deepEqual(writes, [31]);
    await queue.close();
  });

  it("SendQueue writes a batch with a large part in one writev() when the channel offers it", async () => {
    const calls: number[][] = [];
    const io = {
      read: () => Promise.resolve(null),
      write(chunk: Uint8Array) {
        calls.push([chunk.byteLength]);
        return undefined;
      },
      writev(chunks: readonly Uint8Array[]) {
        calls.push(chunks.map((chunk) => chunk.byteLength));
        return Promise.resolve();
      },
      closeWrite: () => Promise.resolve(),
    };
    const queue = new SendQueue(io);
    queue.push([new Uint8Array(4), bytes(DEFAULT_COPY_LIMIT + 1, 1)]);
    queue.push([new Uint8Array(2)]);
    await queue.flush();
    assert.deepEqual(calls, [[4, DEFAULT_COPY_LIMIT + 1, 2]]);
    assert.equal(queue.queuedBytes, 0);
    queue.push([new Uint8Array(3)]);
    await queue.flush();
    assert.deepEqual(calls[1], [3], "a batch of one chunk uses write()");
    await queue.close();
  });

  it("SendQueue mixes writes taken at once with writes that wait, chunk by chunk and by writev(): in order, one in flight, every byte counted down", async () => {
    const written: number[] = [];
    const pending: (() => void)[] = [];
    let calls = 0;
    let inFlight = 0;
    /** Every third call waits until released; the others are taken at once. */
    const take = (chunks: readonly Uint8Array[]) => {
      assert.equal(inFlight, 0, "a write while one waits");
      for (const chunk of chunks) written.push(...chunk.subarray(0, 1));
      if (++calls % 3 !== 0) return undefined;
      inFlight++;
      return new Promise<void>((resolve) =>
        pending.push(() => {
          inFlight--;
          resolve();
        })
      );
    };
    const io = {
      read: () => Promise.resolve(null),
      write: (chunk: Uint8Array) => take([chunk]),
      writev: (chunks: readonly Uint8Array[]) => take(chunks),
      closeWrite: () => Promise.resolve(),
    };
    const queue = new SendQueue(io);
    const flushed = track(queue.flush());
    let next = 0;
    for (let turn = 0; turn < 12; turn++) {
      // A small frame, and every other turn a large part (its own chunk).
      queue.push([bytes(8, next++)]);
      if (turn % 2 === 0) queue.push([bytes(DEFAULT_COPY_LIMIT + 1, next++)]);
      queue.push([bytes(8, next++)]);
      await settle(1);
      pending.shift()?.();
    }
    for (let i = 0; i < 1000 && queue.queuedBytes > 0; i++) {
      pending.shift()?.();
      await settle(1);
    }
    await queue.flush();
    assert.equal(flushed.state, "resolved");
    // Frames of one batch are one chunk: its first byte is its first frame.
    assert.ok(written.length >= 12);
    for (let i = 1; i < written.length; i++) {
      assert.ok(written[i] > written[i - 1], `out of order: ${written}`);
    }
    assert.equal(queue.queuedBytes, 0);
    await queue.close();
  });

  it("SendQueue keeps an arena that holds a whole busy spell: turns of 256 × 84 B behind writes that complete later go out without writev()", async () => {
    // As on Deno: a write resolves on a later turn, so the frames of a turn
    // after its first piece pile up behind it. 21 KiB a turn outgrew a 16
    // KiB arena, and the next arena (32 KiB) was halved again at the end
    // of the turn, so every turn was sealed as two chunks: a writev() (a
    // copy of both, in Deno's channel).
    const writes: number[] = [];
    let writevs = 0;
    const later = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
    const io = {
      read: () => Promise.resolve(null),
      write(chunk: Uint8Array) {
        writes.push(chunk.byteLength);
        return later();
      },
      writev(chunks: readonly Uint8Array[]) {
        writevs++;
        for (const chunk of chunks) writes.push(chunk.byteLength);
        return later();
      },
      closeWrite: () => Promise.resolve(),
    };
    const queue = new SendQueue(io);
    const turn = async () => {
      for (let i = 0; i < 256; i++) queue.push([bytes(84, i & 0xff)]);
      await queue.flush();
    };
    await turn(); // the arena grows to hold a turn
    writevs = 0;
    writes.length = 0;
    for (let i = 0; i < 4; i++) await turn();
    assert.equal(writevs, 0, "every turn's bytes lie in one arena");
    assert.equal(writes.reduce((a, b) => a + b, 0), 4 * 256 * 84);
    await queue.close();
  });

  it("SendQueue.pushInto writes small frames in place, in order with pushed ones, and declines what it cannot take", async () => {
    const sink = new Sink();
    const queue = new SendQueue(sink.stream, { maxQueueBytes: 1000 });
    const fill: FrameWriter<number> = {
      writeFrame: (value, target, offset) =>
        target.fill(value, offset, offset + 3),
    };
    queue.push([bytes(2, 1)]);
    assert.equal(queue.pushInto(3, fill, 7), true);
    queue.push([bytes(1, 9)]);
    assert.equal(queue.queuedBytes, 6);
    assert.equal(
      queue.pushInto(DEFAULT_COPY_LIMIT + 1, fill, 8),
      false,
      "too large to write in place",
    );
    await queue.flush();
    assert.deepEqual(sink.copies, [[1, 1, 7, 7, 7, 9]]);
    queue.push([new Uint8Array(1000)]);
    assert.equal(queue.full, true);
    assert.equal(queue.pushInto(3, fill, 1), false, "the queue is full");
    await queue.flush();
    await queue.close();
    assert.throws(() => queue.pushInto(3, fill, 1), ConnectionClosedError);
  });

  it("SendQueue keeps at most one write in flight and batches frames pushed meanwhile", async () => {
    const spy = new SpyWritable();
    const queue = new SendQueue(spy.asStream());
    queue.push([new Uint8Array([1])]);
    await until(() => spy.held === 1, "the first write");
    for (let i = 2; i <= 4; i++) {
      queue.push([new Uint8Array([i])]);
      await settle(1);
    }
    assert.equal(spy.calls.length, 1, "no second write while one is in flight");
    spy.release();
    await until(() => spy.held === 1, "the second write");
    queue.push([new Uint8Array([5])]);
    spy.release();
    await until(() => spy.held === 1, "the third write");
    spy.release();
    await queue.flush();
    assert.deepEqual(spy.calls, [[1], [2, 3, 4], [5]]);
    assert.equal(spy.maxInFlight, 1);
  });
});

describe("SendQueue bound", () => {
  it("SendQueue with overflow wait returns promises when full and admits them in FIFO order", async () => {
    const sink = new Sink(true);
    const queue = new SendQueue(sink.stream, { maxQueueBytes: 100 });
    const order: string[] = [];
    assert.equal(queue.push([bytes(60, 1)]), undefined);
    const b = queue.push([bytes(60, 2)]);
    // Fits by size, but waits behind b: FIFO.
    const c = queue.push([bytes(30, 3)]);
    const d = queue.push([bytes(60, 4)]);
    assert.ok(b instanceof Promise && c instanceof Promise);
    assert.ok(d instanceof Promise);
    b.then(() => order.push("b"));
    c.then(() => order.push("c"));
    d.then(() => order.push("d"));
    assert.equal(queue.waiting, 3);
    assert.equal(queue.queuedBytes, 60);

    await until(() => sink.held === 1, "the first write");
    await settle();
    assert.deepEqual(order, [], "nothing admitted while the write is held");
    sink.release(); // a written: b (60) and c (30) fit, d does not.
    await until(() => order.length === 2, "b and c admitted");
    assert.deepEqual(order, ["b", "c"]);
    assert.equal(queue.waiting, 1);
    assert.equal(queue.queuedBytes, 90);

    await until(() => sink.held === 1, "the second write");
    sink.release(); // b and c written: d fits.
    await until(() => order.length === 3, "d admitted");
    await until(() => sink.held === 1, "the third write");
    sink.release();
    await queue.flush();

    assert.equal(sink.chunks.length, 3);
    assert.deepEqual(sink.written, [
      ...bytes(60, 1),
      ...bytes(60, 2),
      ...bytes(30, 3),
      ...bytes(60, 4),
    ]);
    await queue.close();
  });

  it("SendQueue copies a waiting frame's small parts at push time", async () => {
    const sink = new Sink(true);
    const queue = new SendQueue(sink.stream, { maxQueueBytes: 10 });
    queue.push([bytes(10, 1)]);
    const part = bytes(5, 2);
    const waiting = queue.push([part]);
    part.fill(0xee);
    await until(() => sink.held === 1, "the first write");
    sink.release();
    await waiting;
    await until(() => sink.held === 1, "the second write");
    sink.release();
    await queue.flush();
    assert.deepEqual(sink.written, [...bytes(10, 1), ...bytes(5, 2)]);
    await queue.close();
  });

  it("SendQueue with overflow error throws QueueFullError when full", async () => {
    const sink = new Sink(true);
    const queue = new SendQueue(sink.stream, {
      maxQueueBytes: 100,
      overflow: "error",
    });
    queue.push([bytes(60, 1)]);
    assert.equal(queue.push([bytes(40, 2)]), undefined, "exactly full fits");
    assert.throws(
      () => queue.push([bytes(1, 3)]),
      (error) =>
        error instanceof QueueFullError && error.code === "ERR_QUEUE_FULL" &&
        error.message ===
          "Cannot queue frame of 1 bytes: send queue is full (maxQueueBytes 100)",
    );
    assert.equal(queue.queuedBytes, 100);
    await until(() => sink.held === 1, "the write");
    sink.release();
    await queue.flush();
    assert.deepEqual(sink.written, [...bytes(60, 1), ...bytes(40, 2)]);
    await queue.close();
  });

  it("SendQueue sends a single frame larger than maxQueueBytes when the queue is empty", async () => {
    for (const overflow of ["wait", "error"] as const) {
      const sink = new Sink();
      const queue = new SendQueue(sink.stream, { maxQueueBytes: 10, overflow });
      assert.equal(queue.push([bytes(4, 1), bytes(46, 2)]), undefined);
      assert.equal(queue.queuedBytes, 50);
      await queue.flush();
      assert.deepEqual(sink.written, [...bytes(4, 1), ...bytes(46, 2)]);
      await queue.close();
    }
  });

  it("SendQueue rejects a maxQueueBytes that is not positive with RangeError", () => {
    for (const maxQueueBytes of [0, -1, NaN]) {
      assert.throws(
        () => new SendQueue(new Sink().stream, { maxQueueBytes }),
        RangeError,
      );
    }
  });
});

describe("SendQueue lifecycle", () => {
  it("SendQueue.flush resolves once everything queued is written", async () => {
    const sink = new Sink(true);
    const queue = new SendQueue(sink.stream);
    await queue.flush(); // empty: resolves at once
    queue.push([bytes(3, 1)]);
    const flushed = track(queue.flush());
    await until(() => sink.held === 1, "the write");
    queue.push([bytes(2, 2)]);
    await settle();
    assert.equal(flushed.state, "pending");
    sink.release();
    await until(() => sink.held === 1, "the second write");
    await settle();
    assert.equal(flushed.state, "pending", "the second frame is not written");
    sink.release();
    await until(() => flushed.state === "resolved", "flush");
    assert.deepEqual(sink.written, [1, 1, 1, 2, 2]);
    await queue.close();
  });

  it("SendQueue.close writes everything, waiting frames too, then closes the stream", async () => {
    const sink = new Sink(true);
    const queue = new SendQueue(sink.stream, { maxQueueBytes: 4 });
    queue.push([bytes(4, 1)]);
    const waiting = queue.push([bytes(4, 2)]);
    assert.ok(waiting instanceof Promise);
    const closing = track(queue.close());
    for (let i = 0; i < 2; i++) {
      await until(() => sink.held === 1, `write ${i + 1}`);
      assert.equal(sink.closed, false);
      sink.release();
    }
    await until(() => closing.state === "resolved", "close");
    await waiting;
    assert.equal(sink.closed, true);
    assert.deepEqual(sink.written, [...bytes(4, 1), ...bytes(4, 2)]);
    assert.throws(() => queue.push([bytes(1, 3)]), ConnectionClosedError);
    await queue.close(); // twice is fine
  });

  it("SendQueue.abort rejects waiting frames and makes later pushes throw", async () => {
    const sink = new Sink(true);
    const queue = new SendQueue(sink.stream, { maxQueueBytes: 4 });
    queue.push([bytes(4, 1)]);
    const waiting = queue.push([bytes(4, 2)]);
    assert.ok(waiting instanceof Promise);
    await until(() => sink.held === 1, "the write");
    const reason = new ConnectionClosedError("Transport closed");
    queue.abort(reason);
    await assert.rejects(waiting, (error) => error === reason);
    assert.equal(queue.waiting, 0);
    assert.equal(queue.queuedBytes, 0);
    assert.throws(() => queue.push([bytes(1, 3)]), (error) => error === reason);
    await assert.rejects(queue.flush(), (error) => error === reason);
    sink.release();
    await until(() => sink.aborted !== undefined, "the stream aborted");
    assert.equal(sink.aborted, reason);
    assert.deepEqual(sink.written, [...bytes(4, 1)]);
  });

  it("SendQueue with a failing sink calls onError once, rejects waiters and refuses later pushes", async () => {
    const sink = new Sink(true);
    const cause = new Error("EPIPE");
    sink.fail = cause;
    const errors: unknown[] = [];
    const queue = new SendQueue(sink.stream, {
      maxQueueBytes: 4,
      onError: (error) => errors.push(error),
    });
    queue.push([bytes(4, 1)]);
    const waiting = queue.push([bytes(4, 2)]);
    assert.ok(waiting instanceof Promise);
    const flushed = queue.flush();
    await assert.rejects(
      waiting,
      (error) =>
        error instanceof ConnectionClosedError &&
        error.message === "Cannot write: the stream failed" &&
        error.cause === cause,
    );
    await assert.rejects(flushed, ConnectionClosedError);
    assert.deepEqual(errors, [cause]);
    assert.throws(
      () => queue.push([bytes(1, 3)]),
      (error) =>
        error instanceof ConnectionClosedError && error.cause === cause,
    );
    await assert.rejects(queue.flush(), ConnectionClosedError);
    await queue.close();
    await settle();
    assert.equal(errors.length, 1, "onError is called once");
  });
});
