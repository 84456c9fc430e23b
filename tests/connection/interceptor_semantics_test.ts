/**
 * What interceptors promise, on both sides, over the memory pipe (two
 * Connections) and over TCP (a Client and a Server): the order of
 * registration (server-level before `router.use`), short-circuits, changed
 * metadata, seeing the result or the error, retries by calling `next` twice.
 * Deadlines, cancellation and exactly-once settlement through them are in
 * interceptor_deadline_test.ts.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Metadata } from "../../src/codec/metadata.ts";
import type {
  HandleInterceptor,
  Interceptor,
} from "../../src/connection/interceptor.ts";
import { RemoteError } from "../../src/errors.ts";
import type { RequestContext } from "../../src/transport/request_context.ts";
import { Router } from "../../src/transport/router.ts";
import { until } from "../_helpers/pair.ts";
import { KINDS, openPair } from "./_interceptor_pair.ts";

const T = { timeout: 20_000 };

/** A server interceptor that logs its way in and out under `name`. */
const tracing =
  (name: string, log: string[]): HandleInterceptor => async (_ctx, next) => {
    log.push(`${name}:in`);
    try {
      return await next();
    } finally {
      log.push(`${name}:out`);
    }
  };

for (const kind of KINDS) {
  describe(`interceptor semantics (${kind})`, () => {
    it(
      "server: interceptors run in registration order, server-level before router.use, and unwind in reverse",
      T,
      async () => {
        const log: string[] = [];
        const router = new Router()
          .use(tracing("c", log))
          .use(tracing("d", log))
          .handle("run", (_: null, ctx: RequestContext) => {
            log.push(`handler ${String(ctx.route)}`);
            return "done";
          });
        const pair = await openPair(kind, {
          router,
          server: [{ handle: tracing("a", log) }, {}, {
            handle: tracing("b", log),
          }],
        });
        try {
          assert.equal(await pair.caller.request("run", null), "done");
          assert.deepEqual(log, [
            "a:in",
            "b:in",
            "c:in",
            "d:in",
            "handler run",
            "d:out",
            "c:out",
            "b:out",
            "a:out",
          ]);
        } finally {
          await pair.close();
        }
      },
    );

    it(
      "server: an interceptor short-circuits with a value or an error; the handler does not run (requests and notifications)",
      T,
      async () => {
        let runs = 0;
        const seenNotify: string[] = [];
        const router = new Router()
          .handle("get", (_: null) => ++runs)
          .handle("tell", (_: null) => void runs++);
        const gate: Interceptor = {
          handle: (ctx, next) => {
            const mode = ctx.metadata.get("mode");
            if (!ctx.expectsReply) seenNotify.push(String(mode));
            if (mode === "cached") return Promise.resolve("from cache");
            if (mode === "deny") {
              throw new RemoteError("UNAUTHENTICATED", "who are you?");
            }
            return next();
          },
        };
        const pair = await openPair(kind, { router, server: [gate] });
        try {
          const { caller } = pair;
          const cached = await caller.request("get", null, {
            metadata: { mode: "cached" },
          });
          assert.equal(cached, "from cache");
          const denied = await caller.request("get", null, {
            metadata: { mode: "deny" },
          }).catch((e) => e);
          assert.ok(denied instanceof RemoteError, String(denied));
          assert.equal(denied.remoteCode, "UNAUTHENTICATED");
          assert.equal(denied.message.includes("who are you?"), true);
          await caller.notify("tell", null, { metadata: { mode: "deny" } });
          await until(() => seenNotify.length === 1);
          assert.deepEqual(seenNotify, ["deny"]);
          assert.equal(runs, 0, "the handler ran");
          // Let through, the handler runs (and the notification did not count).
          assert.equal(await caller.request("get", null), 1);
        } finally {
          await pair.close();
        }
      },
    );

    it(
      "server: an interceptor sees the result and the error, and may change them and the reply metadata",
      T,
      async () => {
        const seen: unknown[] = [];
        const router = new Router()
          .handle("ok", (n: number) => n * 2)
          .handle("fail", (_: null): number => {
            throw new RemoteError("NOPE", "not today");
          })
          .handle("crash", (_: null): number => {
            throw new Error("a bug");
          });
        const watcher: Interceptor = {
          handle: async (ctx, next) => {
            try {
              const result = await next();
              seen.push(["result", result]);
              ctx.replyMetadata.set("x-outcome", "ok");
              return { wrapped: result };
            } catch (error) {
              seen.push(["error", (error as Error).message]);
              ctx.replyMetadata.set("x-outcome", "error");
              if (ctx.route === "crash") return { recovered: true };
              throw error;
            }
          },
        };
        const pair = await openPair(kind, { router, server: [watcher] });
        try {
          const { caller } = pair;
          const full = await caller.request("ok", 21, { withMetadata: true });
          assert.deepEqual(full.body, { wrapped: 42 });
          assert.ok(full.metadata instanceof Metadata);
          assert.equal(full.metadata.get("x-outcome"), "ok");
          const error = await caller.request("fail", null).catch((e) => e);
          assert.ok(error instanceof RemoteError, String(error));
          assert.equal(error.remoteCode, "NOPE");
          // The error reply carries the metadata set on the way out.
          assert.equal(error.metadata?.get("x-outcome"), "error");
          assert.deepEqual(await caller.request("crash", null), {
            recovered: true,
          });
          assert.deepEqual(seen, [
            ["result", 42],
            ["error", "not today"],
            ["error", "a bug"],
          ]);
        } finally {
          await pair.close();
        }
      },
    );

    it(
      "server: ctx.metadata and ctx.route reach every interceptor and the handler",
      T,
      async () => {
        const seen: string[] = [];
        const router = new Router()
          .use((ctx, next) => {
            seen.push(`use ${String(ctx.route)} ${ctx.metadata.get("tenant")}`);
            return next();
          })
          .handle(
            "who",
            (_: null, ctx: RequestContext) => ctx.metadata.toJSON(),
          );
        const pair = await openPair(kind, {
          router,
          metadata: { tenant: "blue", "x-keep": "1" },
          server: [{
            handle: (ctx, next) => {
              seen.push(
                `server ${String(ctx.route)} ${ctx.metadata.get("tenant")}`,
              );
              return next();
            },
          }],
        });
        try {
          // The request's own metadata replaces the default of the same key.
          const reply = await pair.caller.request("who", null, {
            metadata: [["tenant", "red"], ["x-many", "1"], ["x-many", "2"]],
          });
          assert.deepEqual(reply, {
            "x-keep": "1",
            tenant: "red",
            "x-many": ["1", "2"],
          });
          assert.deepEqual(seen, ["server who red", "use who red"]);
        } finally {
          await pair.close();
        }
      },
    );

    it(
      "client: interceptors run in order, each sees the metadata set before it, and the server sees the result",
      T,
      async () => {
        const log: string[] = [];
        const router = new Router().handle(
          "echo-metadata",
          (_: null, ctx: RequestContext) => ctx.metadata.toJSON(),
        );
        const first: Interceptor = {
          request: async (request, next) => {
            log.push(`1:in ${request.metadata.get("tenant")}`);
            request.metadata.set("trace", "t-1");
            const reply = await next(request);
            log.push("1:out");
            return reply;
          },
        };
        const second: Interceptor = {
          request: async (request, next) => {
            log.push(`2:in ${request.metadata.get("trace")}`);
            request.metadata.delete("drop-me");
            request.metadata.set("tenant", "changed");
            const reply = await next(request);
            log.push(`2:out ${JSON.stringify(reply.body)}`);
            return reply;
          },
        };
        const pair = await openPair(kind, {
          router,
          client: [first, {}, second],
          metadata: { tenant: "default", "drop-me": "x" },
        });
        try {
          const reply = await pair.caller.request("echo-metadata", null);
          const expected = { tenant: "changed", trace: "t-1" };
          assert.deepEqual(reply, expected);
          assert.deepEqual(log, [
            "1:in default",
            "2:in t-1",
            `2:out ${JSON.stringify(expected)}`,
            "1:out",
          ]);
          // Each request starts from the defaults again (no leak between calls).
          log.length = 0;
          await pair.caller.request("echo-metadata", null);
          assert.equal(log[0], "1:in default");
        } finally {
          await pair.close();
        }
      },
    );

    it(
      "client: an interceptor retries by calling next twice, and sees the first error",
      T,
      async () => {
        let runs = 0;
        const router = new Router().handle("flaky", (_: null) => {
          if (++runs === 1) throw new RemoteError("UNAVAILABLE", "try again");
          return `ok after ${runs}`;
        });
        const errors: string[] = [];
        const retry: Interceptor = {
          request: async (request, next) => {
            try {
              return await next(request);
            } catch (error) {
              errors.push((error as RemoteError).remoteCode);
              request.metadata.set("attempt", "2");
              return await next(request);
            }
          },
        };
        const pair = await openPair(kind, { router, client: [retry] });
        try {
          assert.equal(await pair.caller.request("flaky", null), "ok after 2");
          assert.equal(runs, 2);
          assert.deepEqual(errors, ["UNAVAILABLE"]);
        } finally {
          await pair.close();
        }
      },
    );

    it(
      "client: an interceptor sees the error and passes it on, or short-circuits with a reply of its own",
      T,
      async () => {
        let runs = 0;
        const router = new Router().handle("no", (_: null): string => {
          runs++;
          throw new RemoteError("NOPE", "no means no");
        });
        const seen: unknown[] = [];
        const watcher: Interceptor = {
          request: async (request, next) => {
            if (request.metadata.get("local") === "1") {
              return { body: "answered locally", metadata: new Metadata() };
            }
            try {
              return await next(request);
            } catch (error) {
              seen.push(error);
              throw error;
            }
          },
        };
        const pair = await openPair(kind, { router, client: [watcher] });
        try {
          const error = await pair.caller.request("no", null).catch((e) => e);
          assert.ok(error instanceof RemoteError, String(error));
          assert.equal(error.remoteCode, "NOPE");
          assert.equal(seen.length, 1);
          assert.equal(
            seen[0],
            error,
            "the caller gets the error the interceptor saw",
          );
          assert.equal(runs, 1);
          const local = await pair.caller.request("no", null, {
            metadata: { local: "1" },
          });
          assert.equal(local, "answered locally");
          assert.equal(runs, 1, "a short-circuit sends nothing");
          // A client interceptor that throws fails the call with its error.
          const thrower: Interceptor = {
            request: () => {
              throw new TypeError("refused locally");
            },
          };
          const other = await openPair(kind, { router, client: [thrower] });
          try {
            await assert.rejects(other.caller.request("no", null), {
              name: "TypeError",
              message: "refused locally",
            });
            assert.equal(runs, 1);
          } finally {
            await other.close();
          }
        } finally {
          await pair.close();
        }
      },
    );
  });
}
