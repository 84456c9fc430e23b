/**
 * Deadlines, cancellation and exactly-once settlement hold through
 * interceptors, over the memory pipe (two Connections) and over TCP (a
 * Client and a Server): a client interceptor that waits past the deadline
 * fails the call with `TimeoutError` at the deadline and sends nothing; a
 * server interceptor or handler sees `ctx.signal` abort when the request
 * times out or the caller aborts; a machine given to `call` is called back
 * exactly once whatever the interceptors do after the call settled.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Metadata } from "../../src/codec/metadata.ts";
import type {
  HandleInterceptor,
  Interceptor,
} from "../../src/connection/interceptor.ts";
import { AbortedError, RemoteError, TimeoutError } from "../../src/errors.ts";
import type { RequestContext } from "../../src/transport/request_context.ts";
import { Router } from "../../src/transport/router.ts";
import { deferred, sleep, until } from "../_helpers/pair.ts";
import { within } from "../_conformance/_helpers.ts";
import { countingMachine, KINDS, openPair } from "./_interceptor_pair.ts";

const T = { timeout: 30_000 };
/** The deadline of the timed requests, in ms. */
const DEADLINE = 150;
/** How late a timeout may come on a loaded 2-core machine. */
const SLACK = 3_000;

/** Resolves with the signal's reason once it aborts (at most `ms` later). */
function aborted(signal: AbortSignal, ms = 10_000): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return within(
    ms,
    "the signal to abort",
    new Promise((resolve) =>
      signal.addEventListener("abort", () => resolve(signal.reason), {
        once: true,
      })
    ),
  );
}

/** A server interceptor that passes through (so the chain is not empty). */
const passThrough: HandleInterceptor = async (_ctx, next) => await next();

/** Asserts that `started` was `DEADLINE` ms ago, give or take the slack. */
function atDeadline(started: number, deadline = DEADLINE): void {
  const took = performance.now() - started;
  assert.ok(
    took >= deadline - 20,
    `settled after ${took} ms, before the deadline`,
  );
  assert.ok(took < deadline + SLACK, `settled after ${took} ms`);
}

for (const kind of KINDS) {
  describe(`interceptors: deadlines, cancellation, exactly once (${kind})`, () => {
    it(
      "client: an interceptor that waits past the deadline fails the call with TimeoutError at the deadline, and nothing is sent",
      T,
      async () => {
        let runs = 0;
        const router = new Router().handle("get", (_: null) => ++runs);
        const late = deferred<unknown>();
        const slow: Interceptor = {
          request: async (request, next) => {
            if (request.timeout > DEADLINE) return await next(request);
            await sleep(DEADLINE * 3);
            // Too late: the call timed out; next() sends nothing.
            const result = await next(request).catch((e) => e);
            late.resolve(result);
            return { body: "too late", metadata: new Metadata() };
          },
        };
        const pair = await openPair(kind, { router, client: [slow] });
        try {
          const started = performance.now();
          const error = await pair.caller.request("get", null, {
            timeout: DEADLINE,
          }).catch((e) => e);
          assert.ok(error instanceof TimeoutError, String(error));
          atDeadline(started);
          const after = await within(
            SLACK * 2,
            "the late next()",
            late.promise,
          );
          assert.ok(after instanceof TimeoutError, String(after));
          assert.equal(runs, 0, "the request was sent after its deadline");
          // The connection is fine.
          assert.equal(await pair.caller.request("get", null), 1);
        } finally {
          await pair.close();
        }
      },
    );

    it(
      "client: a deadline an interceptor lowers travels to the handler, whose ctx.signal aborts",
      T,
      async () => {
        const handlerAborted = deferred<unknown>();
        const router = new Router()
          .use(passThrough)
          .handle("stuck", async (_: null, ctx: RequestContext) => {
            handlerAborted.resolve(await aborted(ctx.signal));
            return "never";
          });
        const cap: Interceptor = {
          request: (request, next) => {
            request.timeout = Math.min(request.timeout, DEADLINE);
            return next(request);
          },
        };
        const pair = await openPair(kind, {
          router,
          client: [cap],
          server: [{ handle: passThrough }],
        });
        try {
          const started = performance.now();
          const error = await pair.caller.request("stuck", null, {
            timeout: 60_000,
          }).catch((e) => e);
          assert.ok(error instanceof TimeoutError, String(error));
          atDeadline(started);
          await within(
            SLACK * 2,
            "the handler's signal",
            handlerAborted.promise,
          );
        } finally {
          await pair.close();
        }
      },
    );

    it(
      "server: an interceptor that waits past the deadline: the caller's TimeoutError at the deadline, ctx.signal aborts, a handler run late sees it aborted",
      T,
      async () => {
        const late = deferred<boolean>();
        const router = new Router().handle(
          "get",
          (_: null, ctx: RequestContext) => {
            if (ctx.metadata.has("wait")) late.resolve(ctx.signal.aborted);
            return "got";
          },
        );
        const seen = deferred<boolean>();
        const waiting: Interceptor = {
          handle: async (ctx, next) => {
            if (!ctx.metadata.has("wait")) return await next();
            await aborted(ctx.signal);
            seen.resolve(ctx.cancelled);
            return await next();
          },
        };
        const pair = await openPair(kind, { router, server: [waiting] });
        try {
          const started = performance.now();
          const error = await pair.caller.request("get", null, {
            timeout: DEADLINE,
            metadata: { wait: "1" },
          }).catch((e) => e);
          assert.ok(error instanceof TimeoutError, String(error));
          atDeadline(started);
          assert.equal(
            await within(SLACK * 2, "the interceptor", seen.promise),
            true,
          );
          assert.equal(
            await within(SLACK * 2, "the late handler", late.promise),
            true,
          );
          // Its reply went nowhere, and the next request is answered.
          assert.equal(await pair.caller.request("get", null), "got");
        } finally {
          await pair.close();
        }
      },
    );

    it(
      "abort: a signal aborted before the call, while a client interceptor waits, or while the handler runs",
      T,
      async () => {
        let calls = 0;
        const handlerAborted = deferred<unknown>();
        const router = new Router()
          .use(passThrough)
          .handle("stuck", async (_: null, ctx: RequestContext) => {
            handlerAborted.resolve(await aborted(ctx.signal));
            return "never";
          })
          .handle("get", (_: null) => "got");
        const gate = deferred();
        const slow: Interceptor = {
          request: async (request, next) => {
            calls++;
            if (request.route === "get") await gate.promise;
            return await next(request);
          },
        };
        const pair = await openPair(kind, {
          router,
          client: [slow],
          server: [{ handle: passThrough }],
        });
        try {
          const { caller } = pair;
          // Before: the interceptors are not even called.
          const before = new AbortController();
          before.abort(new Error("never mind"));
          const first = await caller.request("get", null, {
            signal: before.signal,
          }).catch((e) => e);
          assert.ok(first instanceof AbortedError, String(first));
          assert.equal(calls, 0);
          // While an interceptor waits.
          const during = new AbortController();
          const waiting = caller.request("get", null, { signal: during.signal })
            .catch((e) => e);
          await sleep(20);
          during.abort(new Error("stop"));
          const second = await within(SLACK, "the abort", waiting);
          assert.ok(second instanceof AbortedError, String(second));
          gate.resolve();
          // While the handler runs: the handler's signal aborts too.
          const running = new AbortController();
          const stuck = caller.request("stuck", null, {
            signal: running.signal,
          })
            .catch((e) => e);
          await sleep(50);
          running.abort(new Error("enough"));
          const third = await within(SLACK, "the abort", stuck);
          assert.ok(third instanceof AbortedError, String(third));
          await within(
            SLACK * 2,
            "the handler's signal",
            handlerAborted.promise,
          );
          assert.equal(await caller.request("get", null), "got");
        } finally {
          await pair.close();
        }
      },
    );

    it(
      "call: a machine is called back exactly once, whatever the interceptors do after the call settled",
      T,
      async () => {
        let runs = 0;
        const router = new Router()
          .handle("get", (n: number) => (runs++, n))
          .handle("fail", (_: null): number => {
            throw new RemoteError("NOPE", "no");
          });
        const done: Promise<unknown>[] = [];
        const mischief: Interceptor = {
          request: async (request, next) => {
            const mode = request.metadata.get("mode");
            const finished = deferred<unknown>();
            done.push(finished.promise);
            try {
              if (mode === "throw") throw new TypeError("thrown");
              if (mode === "late" || mode === "abort") {
                await sleep(DEADLINE * 3); // the call settles meanwhile
                await next(request).catch(() => {});
                return { body: "late", metadata: new Metadata() };
              }
              if (mode === "twice") {
                // Both at once (hedging): the first reply wins.
                return await Promise.race([next(request), next(request)]);
              }
              if (mode === "retry") {
                await next(request);
                return await next(request);
              }
              return await next(request);
            } finally {
              finished.resolve(undefined);
            }
          },
        };
        const pair = await openPair(kind, { router, client: [mischief] });
        try {
          const cases: [string, string, string, number][] = [
            // [route, mode, the one callback, handler runs]
            ["get", "plain", "message", 1],
            ["get", "twice", "message", 2],
            ["get", "retry", "message", 2],
            ["fail", "plain", "error", 0],
            ["get", "throw", "error", 0],
            ["get", "late", "timeout", 0],
            ["get", "abort", "error", 0],
          ];
          for (const [route, mode, expected, expectedRuns] of cases) {
            runs = 0;
            done.length = 0;
            const { machine, calls, first } = countingMachine();
            const controller = new AbortController();
            pair.caller.call(route, route === "get" ? 7 : null, machine, {
              metadata: { mode },
              timeout: mode === "late" ? DEADLINE : 10_000,
              signal: controller.signal,
            });
            if (mode === "abort") {
              await sleep(20);
              controller.abort(new Error("gone"));
            }
            const [name, value] = await within(SLACK * 2, mode, first);
            assert.equal(name, expected, `${mode}: ${String(value)}`);
            if (name === "message") assert.equal(value, 7);
            if (mode === "abort") assert.ok(value instanceof AbortedError);
            if (mode === "late") assert.ok(value instanceof TimeoutError);
            // Whatever the interceptor does next, nothing more is called back.
            await within(SLACK * 2, `${mode}: interceptor`, Promise.all(done));
            if (expectedRuns > 0) await until(() => runs === expectedRuns);
            await sleep(30);
            assert.deepEqual(calls.map(([n]) => n), [expected], mode);
            assert.equal(runs, expectedRuns, `${mode}: handler runs`);
          }
        } finally {
          await pair.close();
        }
      },
    );
  });
}
