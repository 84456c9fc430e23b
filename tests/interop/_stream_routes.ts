/**
 * The interop server's stream routes (see _streams.ts for what each does).
 *
 * @module
 */

import type { RequestContext } from "../../src/transport/request_context.ts";
import type { Router } from "../../src/transport/router.ts";
import {
  CANCEL_WAIT_MS,
  digestOf,
  patternOf,
  readPatternsRequest,
  tokenKey,
  transformOf,
} from "./_streams.ts";

/** What the handler of one cancel token saw. */
interface Watch {
  aborted: boolean;
  finished: boolean;
  /** Resolves once both are true. */
  done: Promise<void>;
  update: () => void;
}

/** At most this many messages from an "endless" stream (bounded anyway). */
const ENDLESS_LIMIT = 100_000;
const ENDLESS_CHUNK = 1024;

/**
 * Adds the stream routes to `router`.
 *
 * @param router The server's router (routes are added in place).
 * @returns The same router.
 */
// deno-lint-ignore no-explicit-any
export function addStreamRoutes(router: Router<any>): Router<any> {
  const watches = new Map<string, Watch>();
  const watchOf = (key: string): Watch => {
    let watch = watches.get(key);
    if (watch === undefined) {
      let resolve = () => {};
      const done = new Promise<void>((r) => resolve = r);
      const created: Watch = {
        aborted: false,
        finished: false,
        done,
        update: () => {
          if (created.aborted && created.finished) resolve();
        },
      };
      watch = created;
      watches.set(key, watch);
    }
    return watch;
  };
  const watchSignal = (key: string, ctx: RequestContext) => {
    const watch = watchOf(key);
    ctx.signal.addEventListener("abort", () => {
      watch.aborted = true;
      watch.update();
    }, { once: true });
    return watch;
  };
  async function* endless(watch: Watch, ctx: RequestContext) {
    try {
      const chunk = new Uint8Array(ENDLESS_CHUNK);
      for (let i = 0; i < ENDLESS_LIMIT && !ctx.signal.aborted; i++) {
        chunk[0] = i & 0xff;
        yield chunk.slice();
      }
    } finally {
      watch.finished = true;
      watch.update();
    }
  }
  return router
    .serverStream("stream.patterns", async function* (body: Uint8Array) {
      const { seed, count } = readPatternsRequest(body);
      for (let i = 0; i < count; i++) yield patternOf(seed, i);
    })
    .clientStream(
      "stream.digest",
      (messages: AsyncIterable<Uint8Array>) => digestOf(messages),
    )
    .bidiStream(
      "stream.transform",
      async function* (messages: AsyncIterable<Uint8Array>) {
        for await (const message of messages) yield transformOf(message);
      },
    )
    .serverStream("stream.endless", (token: Uint8Array, ctx) => {
      return endless(watchSignal(tokenKey(token), ctx), ctx);
    })
    .bidiStream(
      "stream.endless.bidi",
      async function* (messages: AsyncIterable<Uint8Array>, ctx) {
        const iterator = messages[Symbol.asyncIterator]();
        const first = await iterator.next();
        if (first.done) throw new RangeError("no token");
        const watch = watchSignal(tokenKey(first.value), ctx);
        yield* endless(watch, ctx);
      },
    )
    .clientStream(
      "stream.endless.upload",
      async (messages: AsyncIterable<Uint8Array>, ctx) => {
        let watch: Watch | undefined;
        let count = 0;
        try {
          for await (const message of messages) {
            watch ??= watchSignal(tokenKey(message), ctx);
            count++;
          }
          return new Uint8Array([count & 0xff]);
        } finally {
          if (watch !== undefined) {
            watch.finished = true;
            watch.update();
          }
        }
      },
    )
    .handle("stream.cancelled", async (token: Uint8Array) => {
      const key = tokenKey(token);
      const watch = watchOf(key);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        watch.done,
        new Promise((resolve) => timer = setTimeout(resolve, CANCEL_WAIT_MS)),
      ]);
      clearTimeout(timer);
      watches.delete(key);
      return new Uint8Array([watch.aborted ? 1 : 0, watch.finished ? 1 : 0]);
    });
}
