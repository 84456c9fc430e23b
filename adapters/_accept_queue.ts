/**
 * A bounded queue of accepted connections for push-based runtimes (Bun and
 * Node accept sockets whether or not anyone iterates the listener).
 * Runtime-neutral. Private to `adapters/`.
 *
 * @module
 */

/**
 * How many accepted connections wait for the application at most, when
 * `ListenOptions.backlog` is not given. The same number is the kernel's listen
 * backlog (the default of Node and Deno).
 * @default {511}
 */
export const DEFAULT_BACKLOG = 511;

/**
 * An async iterable over accepted items with a bound: items pushed while the
 * queue holds `limit` items already, or after {@linkcode AcceptQueue.close},
 * are handed to `discard` (which closes the connection) instead of waiting.
 *
 * @example Queue, take, close
 * ```ts
 * import { AcceptQueue } from "./_accept_queue.ts";
 *
 * const queue = new AcceptQueue<string>(2, (item) => console.log("dropped", item));
 * queue.push("a");
 * queue.close();
 * for await (const item of queue) console.log(item); // nothing: "a" was dropped
 * ```
 */
export class AcceptQueue<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #waiters: ((result: IteratorResult<T>) => void)[] = [];
  #closed = false;
  readonly #limit: number;
  readonly #discard: (item: T) => void;

  /**
   * @param limit The most items that wait for a taker.
   * @param discard Called with every item that is refused or left over.
   */
  constructor(limit: number, discard: (item: T) => void) {
    if (!(Number.isInteger(limit) && limit >= 1)) {
      throw new RangeError(`backlog must be an integer >= 1, got ${limit}`);
    }
    this.#limit = limit;
    this.#discard = discard;
  }

  /** Whether {@linkcode AcceptQueue.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Offers an item: a waiting taker gets it, else it waits in the queue, else
   * (queue full or closed) it is discarded.
   *
   * @param item The accepted connection.
   */
  push(item: T): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter({ value: item, done: false });
    else if (this.#closed || this.#items.length >= this.#limit) {
      this.#discard(item);
    } else this.#items.push(item);
  }

  /** Ends every iteration and discards the items nobody took. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) {
      waiter({ value: undefined, done: true });
    }
    for (const item of this.#items.splice(0)) this.#discard(item);
  }

  /**
   * Takes the next item, waiting for one if needed.
   *
   * @returns The next item, or `done` once the queue is closed.
   */
  next(): Promise<IteratorResult<T>> {
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    if (this.#items.length > 0) {
      return Promise.resolve({ value: this.#items.shift() as T, done: false });
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** @returns An iterator over the items; leaving a loop does not close the queue. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: (): Promise<IteratorResult<T>> =>
        Promise.resolve({ value: undefined, done: true }),
    };
  }
}
