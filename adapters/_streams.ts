/**
 * Web-stream plumbing shared by the socket adapters: a readable fed by pushes
 * with a byte bound, and a writable that can be failed from outside.
 * Runtime-neutral. Private to `adapters/`.
 *
 * @module
 */

/**
 * Bytes a channel's `readable` holds unread before the socket is paused.
 * @default {65536}
 */
export const READ_HIGH_WATER_MARK = 64 * 1024;

/** The strategy of every adapter's `readable`: bounded by bytes. */
export const READ_STRATEGY: QueuingStrategy<Uint8Array> = {
  highWaterMark: READ_HIGH_WATER_MARK,
  size: (chunk: Uint8Array) => chunk.byteLength,
};

/** A readable stream and the handles that feed it. */
export interface PushReadable {
  /** The stream handed to the user. */
  readonly readable: ReadableStream<Uint8Array>;
  /**
   * Enqueues bytes that arrived.
   *
   * @returns `false` once the stream holds {@linkcode READ_HIGH_WATER_MARK}
   *   bytes or more: pause the socket until `resume` is called.
   */
  push(chunk: Uint8Array): boolean;
  /** Ends the stream: closes it, or errors it with `error`. Idempotent. */
  end(error?: unknown): void;
  /** Whether the stream was ended or cancelled. */
  readonly ended: boolean;
}

/**
 * Makes a readable stream fed by a push-based socket.
 *
 * @param resume Called when the reader wants more bytes: resume the socket.
 * @param cancel Called when the reader cancels the stream: close the socket.
 * @returns The stream and its feeding handles.
 *
 * @example
 * ```ts
 * import { pushReadable } from "./_streams.ts";
 * const source = pushReadable(() => {}, () => {});
 * source.push(new Uint8Array([1]));
 * source.end();
 * for await (const chunk of source.readable) console.log(chunk);
 * ```
 */
export function pushReadable(
  resume: () => void,
  cancel: () => void,
): PushReadable {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let ended = false;
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    pull() {
      if (!ended) resume();
    },
    cancel() {
      ended = true;
      cancel();
    },
  }, READ_STRATEGY);
  return {
    readable,
    push(chunk) {
      if (ended) return true;
      controller.enqueue(chunk);
      return (controller.desiredSize ?? 0) > 0;
    },
    end(error) {
      if (ended) return;
      ended = true;
      try {
        if (error === undefined) controller.close();
        else controller.error(error);
      } catch { /* the stream was already closed or errored */ }
    },
    get ended() {
      return ended;
    },
  };
}

/** A writable stream and the handle that fails it from outside. */
export interface FailableWritable {
  /** The stream handed to the user. */
  readonly writable: WritableStream<Uint8Array>;
  /** Errors the stream: pending and later writes reject. Idempotent. */
  fail(error: unknown): void;
}

/**
 * Makes a writable stream over `sink` that the socket's events can error.
 *
 * @param sink `write`, `close` (half-close) and `abort` of the socket.
 * @returns The stream and its `fail` handle.
 *
 * @example
 * ```ts
 * import { failableWritable } from "./_streams.ts";
 * const { writable, fail } = failableWritable({ write() {} });
 * fail(new Error("socket closed"));
 * await writable.getWriter().write(new Uint8Array(1)).catch((e) => console.log(e.message));
 * ```
 */
export function failableWritable(
  sink: UnderlyingSink<Uint8Array>,
): FailableWritable {
  let controller!: WritableStreamDefaultController;
  let failed = false;
  const writable = new WritableStream<Uint8Array>({
    ...sink,
    start(c) {
      controller = c;
    },
  });
  return {
    writable,
    fail(error) {
      if (failed) return;
      failed = true;
      controller.error(error);
    },
  };
}

/**
 * Views a runtime's byte chunk (a Node or Bun `Buffer`) as a plain
 * `Uint8Array`, without copying, so that `slice` copies as the web platform
 * expects.
 *
 * @param chunk The bytes.
 * @returns A `Uint8Array` over the same memory.
 *
 * @example
 * ```ts
 * import { plainBytes } from "./_streams.ts";
 * console.log(plainBytes(new Uint8Array([1, 2])).length); // 2
 * ```
 */
export function plainBytes(chunk: Uint8Array): Uint8Array {
  return chunk.constructor === Uint8Array
    ? chunk
    : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
