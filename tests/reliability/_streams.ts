/**
 * Helpers of the stream reliability suites: reading a stream of replies to
 * its one terminal (completed, or the typed error it ended with), a
 * server's stream routes that record how each handler ended, and the
 * envelope bytes of a stream's frames built by hand.
 *
 * @module
 */

import type { ReplyStream } from "../../src/connection/reply_stream.ts";
import type { RequestContext } from "../../src/transport/request_context.ts";
import { RemoteError } from "../../src/errors.ts";
import { Router } from "../../src/transport/router.ts";
import { KIND, Ledger, lengthPrefixed, nameOf, sleep } from "./_helpers.ts";

/** How a stream read to its end ended, and what it delivered. */
export interface StreamEnd<T> {
  /** "ok", or the error's name (with its remote code for a RemoteError). */
  outcome: string;
  /** The values read. */
  values: T[];
  /** The error it ended with, if any. */
  error?: unknown;
}

/**
 * Reads `replies` to its terminal: "ok" once it is done, the error's name
 * once it throws. With `breakAfter`, leaves the loop after that many values
 * (which cancels the stream), then reads on to the terminal the stream
 * reached: `AbortedError`, or "ok" if it had completed first. Then checks
 * that the terminal stays: another read gives the same end again.
 */
export async function readStream<T>(
  replies: ReplyStream<T>,
  breakAfter = Infinity,
): Promise<StreamEnd<T>> {
  const values: T[] = [];
  let end: StreamEnd<T> | undefined;
  try {
    for await (const value of replies) {
      values.push(value);
      if (values.length >= breakAfter) break;
    }
  } catch (error) {
    end = { outcome: nameOf(error), values, error };
  }
  const iterator = replies[Symbol.asyncIterator]();
  if (end === undefined && values.length >= breakAfter) {
    // Left early: what is still buffered may be read, then the terminal.
    for (let i = 0;; i++) {
      if (i > 1_000_000) throw new Error("a cancelled stream never ends");
      try {
        const next = await iterator.next();
        if (next.done) break;
      } catch (error) {
        end = { outcome: nameOf(error), values, error };
        break;
      }
    }
  }
  end ??= { outcome: "ok", values };
  // The terminal is final: a further read ends the same way.
  try {
    const again = await iterator.next();
    if (!again.done) throw new Error("a stream gave a value after its end");
    if (end.outcome !== "ok") {
      throw new Error(`a stream ended with ${end.outcome}, then completed`);
    }
  } catch (error) {
    if (end.outcome === "ok" || nameOf(error) !== end.outcome) throw error;
  }
  return end;
}

/** The parameters of one stream, sent as its metadata. */
export interface StreamPlan {
  /** The stream's number in the test (its ledger id). */
  sid: number;
  /** Messages each side sends. */
  n: number;
  /** The handler throws (RemoteError "BOOM") at this message; -1 never. */
  throwAt: number;
  /** Milliseconds the handler waits before each message (0: a macrotask). */
  delay: number;
}

/** A plan as stream metadata. */
export function planMetadata(plan: StreamPlan): Record<string, string> {
  return {
    sid: String(plan.sid),
    n: String(plan.n),
    "throw-at": String(plan.throwAt),
    delay: String(plan.delay),
  };
}

function planOf(ctx: RequestContext): StreamPlan {
  const get = (name: string) => Number(ctx.metadata.get(name));
  return {
    sid: get("sid"),
    n: get("n"),
    throwAt: get("throw-at"),
    delay: get("delay"),
  };
}

/**
 * What the server's handlers did: one entry per handler that started, by
 * the stream's number, settled when the handler ended as "finished",
 * "threw" (its planned throw) or "aborted" (it saw `ctx.signal` abort).
 */
export class HandlerLedger {
  /** Each started handler, settled once it ended. */
  readonly ledger = new Ledger();
  /** The stream's number → its ledger id. */
  readonly started = new Map<number, number>();
  /** The stream's number → how its handler ended. */
  readonly ends = new Map<number, string>();
  /** Handlers that started twice for one stream number. */
  readonly doubles: number[] = [];

  /** A handler of stream `sid` started; returns its `end` callback. */
  start(sid: number, ctx: RequestContext): (threw: boolean) => void {
    if (this.started.has(sid)) this.doubles.push(sid);
    const id = this.ledger.open();
    this.started.set(sid, id);
    let done = false;
    return (threw) => {
      if (done) return;
      done = true;
      const outcome = threw
        ? "threw"
        : ctx.signal.aborted
        ? "aborted"
        : "finished";
      this.ends.set(sid, outcome);
      this.ledger.settle(id, outcome);
    };
  }
}

const wait = (delay: number) =>
  delay === 0 ? new Promise<void>((r) => setTimeout(r, 0)) : sleep(delay);

/**
 * Stream routes whose handlers follow the stream's plan (its metadata) and
 * record how they ended in `handlers`: `down` (server stream: yields
 * 0..n-1), `up` (client stream: reads the requests, replies with their
 * count) and `both` (bidi: yields each request doubled). Each throws
 * `RemoteError("BOOM")` at message `throwAt`.
 */
export function planRoutes(handlers: HandlerLedger) {
  const boom = (sid: number) => new RemoteError("BOOM", `stream ${sid}`);
  return new Router()
    .serverStream("down", async function* (_body: unknown, ctx) {
      const plan = planOf(ctx);
      const end = handlers.start(plan.sid, ctx);
      let threw = false;
      try {
        for (let i = 0; i < plan.n; i++) {
          if (i === plan.throwAt) {
            threw = true;
            throw boom(plan.sid);
          }
          await wait(plan.delay);
          yield i;
        }
      } finally {
        end(threw);
      }
    })
    .clientStream("up", async (requests: AsyncIterable<number>, ctx) => {
      const plan = planOf(ctx);
      const end = handlers.start(plan.sid, ctx);
      let threw = false;
      try {
        let count = 0;
        for await (const _ of requests) {
          if (count === plan.throwAt) {
            threw = true;
            throw boom(plan.sid);
          }
          count++;
          await wait(plan.delay);
        }
        return count;
      } finally {
        end(threw);
      }
    })
    .bidiStream(
      "both",
      async function* (requests: AsyncIterable<number>, ctx) {
        const plan = planOf(ctx);
        const end = handlers.start(plan.sid, ctx);
        let threw = false;
        let count = 0;
        try {
          for await (const value of requests) {
            if (count === plan.throwAt) {
              threw = true;
              throw boom(plan.sid);
            }
            count++;
            await wait(plan.delay);
            yield value * 2;
          }
        } finally {
          end(threw);
        }
      },
    );
}

/** FLAG_STREAM of a request's flags byte. */
export const FLAG_STREAM = 0x08;
/** The shape bytes that follow the route of a stream's request. */
export const SHAPE = { server: 1, client: 2, bidi: 3 } as const;

/**
 * The frame of a request that opens a stream, by hand: kind 1, flags 0x08,
 * the id, the route (u8 length + UTF-8), the shape byte and the u32 credit
 * the opener grants, then the body.
 */
export function streamRequestFrame(
  id: number,
  route: string,
  shape: keyof typeof SHAPE,
  credit: number,
  body: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const name = new TextEncoder().encode(route);
  const payload = new Uint8Array(6 + 1 + name.byteLength + 5 + body.byteLength);
  const view = new DataView(payload.buffer);
  payload[0] = KIND.request;
  payload[1] = FLAG_STREAM;
  view.setUint32(2, id);
  payload[6] = name.byteLength;
  payload.set(name, 7);
  let at = 7 + name.byteLength;
  payload[at] = SHAPE[shape];
  view.setUint32(at + 1, credit);
  at += 5;
  payload.set(body, at);
  return lengthPrefixed(payload);
}
