/**
 * The handlers of stream routes ({@linkcode Router.serverStream},
 * `clientStream`, `bidiStream`) and what a stream's messages may come from.
 *
 * @module
 */

import type { RequestContext } from "./request_context.ts";
// deno-lint-ignore no-unused-vars
import type { Router } from "./router.ts";

/**
 * Where the messages of a stream a caller sends come from: an async
 * iterable (an `async function*`), a plain iterable (an array) or a
 * `ReadableStream`.
 *
 * @example Three sources of the same messages
 * ```ts
 * import type { StreamSource } from "listenrain/advanced";
 *
 * async function* generated() { yield 1; yield 2; }
 * const sources: StreamSource<number>[] = [
 *   [1, 2],
 *   generated(),
 *   ReadableStream.from([1, 2]),
 * ];
 * console.log(sources.length); // 3
 * ```
 */
export type StreamSource<T> =
  | AsyncIterable<T>
  | Iterable<T>
  | ReadableStream<T>;

/**
 * The handler of a server-streaming route: one request in, a stream of
 * replies out, usually an `async function*`. The stream ends when the
 * generator returns; a throw ends it with an error; `ctx.signal` aborts when
 * the caller cancels, the deadline passes or the connection closes.
 *
 * @example A countdown
 * ```ts
 * import type { ServerStreamHandler } from "listenrain/advanced";
 *
 * const countdown: ServerStreamHandler<number, number> = async function* (from) {
 *   for (let i = from; i > 0; i--) yield i;
 * };
 * const values: number[] = [];
 * // deno-lint-ignore no-explicit-any
 * for await (const i of countdown(3, {} as any)) values.push(i);
 * console.log(values); // [ 3, 2, 1 ]
 * ```
 */
// deno-lint-ignore no-explicit-any
export type ServerStreamHandler<Req = any, Res = any> = (
  request: Req,
  // deno-lint-ignore no-explicit-any
  context: RequestContext<any>,
) => AsyncIterable<Res> | Iterable<Res>;

/**
 * The handler of a client-streaming route: a stream of requests in (read
 * it with `for await`), one reply out.
 *
 * @example A sum of what the caller sends
 * ```ts
 * import type { ClientStreamHandler } from "listenrain/advanced";
 *
 * const sum: ClientStreamHandler<number, number> = async (numbers) => {
 *   let total = 0;
 *   for await (const n of numbers) total += n;
 *   return total;
 * };
 * async function* numbers() { yield 1; yield 2; }
 * // deno-lint-ignore no-explicit-any
 * console.log(await sum(numbers(), {} as any)); // 3
 * ```
 */
// deno-lint-ignore no-explicit-any
export type ClientStreamHandler<Req = any, Res = any> = (
  requests: AsyncIterable<Req>,
  // deno-lint-ignore no-explicit-any
  context: RequestContext<any>,
) => Res | Promise<Res>;

/**
 * The handler of a bidirectional route: a stream of requests in, a stream
 * of replies out, usually an `async function*` that reads its requests
 * with `for await`.
 *
 * @example An echo that shouts
 * ```ts
 * import type { BidiStreamHandler } from "listenrain/advanced";
 *
 * const shout: BidiStreamHandler<string, string> = async function* (lines) {
 *   for await (const line of lines) yield line.toUpperCase();
 * };
 * async function* lines() { yield "hi"; yield "there"; }
 * const out: string[] = [];
 * // deno-lint-ignore no-explicit-any
 * for await (const line of shout(lines(), {} as any)) out.push(line);
 * console.log(out); // [ "HI", "THERE" ]
 * ```
 */
// deno-lint-ignore no-explicit-any
export type BidiStreamHandler<Req = any, Res = any> = (
  requests: AsyncIterable<Req>,
  // deno-lint-ignore no-explicit-any
  context: RequestContext<any>,
) => AsyncIterable<Res> | Iterable<Res>;
