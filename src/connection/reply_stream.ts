/**
 * {@linkcode ReplyStream}: the stream of replies of a server-streaming or
 * bidirectional call, read with `for await` or as a `ReadableStream`.
 *
 * @module
 */

import type { Metadata } from "../codec/metadata.ts";
import { AbortedError } from "../errors.ts";
import { DONE, type StreamState } from "../transport/_stream_state.ts";

/**
 * Connects a reply stream to its stream once it has opened (after the
 * client found a connection and the interceptors ran), or fails it.
 *
 * @internal
 */
export let attachStream: (
  // deno-lint-ignore no-explicit-any
  replies: ReplyStream<any>,
  state: StreamState<unknown> | undefined,
  error: Error | undefined,
  trailers: (reply: unknown) => Metadata | undefined,
) => void;

/**
 * The replies of a stream call, in order: an `AsyncIterable` (read it with
 * `for await`) that ends when the peer's handler returns, or throws the
 * typed error the stream ended with (`RemoteError`, `TimeoutError`,
 * `AbortedError`, `ConnectionClosedError`). Leaving the loop early
 * (`break`, `return`, a throw) cancels the stream on both sides, as
 * {@linkcode ReplyStream.cancel} does. One reader at a time.
 *
 * @example Reading a stream, then its trailing metadata
 * ```ts
 * import { Connection, jsonBody, Router } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const router = new Router().serverStream("count", async function* (n: number, ctx) {
 *   for (let i = 0; i < n; i++) yield i;
 *   ctx.replyMetadata.set("total", String(n));
 * });
 * const [a, b] = createMemoryPipe();
 * const server = new Connection(a, { router, body: jsonBody });
 * const client = new Connection<typeof router>(b, { body: jsonBody });
 * const replies = client.serverStream("count", 3);
 * for await (const i of replies) console.log(i); // 0, 1, 2
 * console.log(replies.metadata?.get("total")); // "3"
 * await client.close();
 * await server.close();
 * ```
 */
export class ReplyStream<T> implements AsyncIterable<T> {
  #state: StreamState<unknown> | undefined = undefined;
  #error: Error | undefined = undefined;
  #cancelled: Error | undefined = undefined;
  #trailers: ((reply: unknown) => Metadata | undefined) | undefined;
  #opened: (() => void) | undefined = undefined;

  static {
    attachStream = (replies, state, error, trailers) => {
      if (replies.#state !== undefined || replies.#error !== undefined) return;
      replies.#trailers = trailers;
      if (state === undefined) replies.#error = error;
      else {
        replies.#state = state;
        if (replies.#cancelled !== undefined) state.cancel(replies.#cancelled);
      }
      const opened = replies.#opened;
      replies.#opened = undefined;
      opened?.();
    };
  }

  /**
   * The metadata the peer's handler set on `ctx.replyMetadata`, sent with
   * the end of its stream; `undefined` until the stream has ended well.
   */
  get metadata(): Metadata | undefined {
    const reply = this.#state?.reply;
    return reply === undefined ? undefined : this.#trailers?.(reply);
  }

  /**
   * Stops reading: the stream is cancelled on both sides (the peer's
   * handler sees `ctx.signal` abort). Nothing happens once it has ended.
   *
   * @param reason Why, as the `cause` of the `AbortedError` a reader
   *   still waiting gets.
   */
  cancel(reason?: unknown): void {
    const error = new AbortedError("Stream cancelled by its reader", {
      cause: reason,
    });
    if (this.#state !== undefined) {
      if (!this.#state.ended) this.#state.cancel(error);
    } else this.#cancelled ??= error;
  }

  /**
   * The replies as an async iterator; leaving a `for await` loop early
   * cancels the stream.
   *
   * @returns The iterator.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.#next(),
      return: (): Promise<IteratorResult<T>> => {
        this.cancel();
        return Promise.resolve(DONE);
      },
    };
  }

  /**
   * The replies as a web `ReadableStream` (for `pipeTo`, `pipeThrough`, a
   * `Response` body); cancelling it cancels the stream.
   *
   * @returns A stream that pulls one reply at a time.
   *
   * @example Piping replies through a transform
   * ```ts
   * import { Connection, jsonBody, Router } from "listenrain";
   * import { createMemoryPipe } from "listenrain/testing";
   *
   * const router = new Router().serverStream("words", async function* () {
   *   yield "rain"; yield "falls";
   * });
   * const [a, b] = createMemoryPipe();
   * const server = new Connection(a, { router, body: jsonBody });
   * const client = new Connection<typeof router>(b, { body: jsonBody });
   * const upper = client.serverStream("words", undefined).toReadableStream()
   *   .pipeThrough(new TransformStream<string, string>({
   *     transform: (word, out) => out.enqueue(word.toUpperCase()),
   *   }));
   * const reader = upper.getReader();
   * console.log((await reader.read()).value, (await reader.read()).value); // "RAIN" "FALLS"
   * await client.close();
   * await server.close();
   * ```
   */
  toReadableStream(): ReadableStream<T> {
    return new ReadableStream<T>({
      pull: async (controller) => {
        const result = await this.#next();
        if (result.done) controller.close();
        else controller.enqueue(result.value);
      },
      cancel: (reason) => this.cancel(reason),
    }, { highWaterMark: 0 });
  }

  #next(): Promise<IteratorResult<T>> {
    const state = this.#state;
    if (state !== undefined) {
      return state.next() as Promise<IteratorResult<T>>;
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    return new Promise<void>((resolve) => {
      const earlier = this.#opened;
      this.#opened = earlier === undefined ? resolve : () => {
        earlier();
        resolve();
      };
    }).then(() => this.#next());
  }
}
