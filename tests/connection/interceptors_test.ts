/**
 * Interceptors around outgoing requests and handlers: order, short
 * circuits, metadata changes, results and errors seen, and the call's
 * deadline holding over the whole chain.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryNetwork } from "../../src/channel/memory_network.ts";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import { Client } from "../../src/client/client.ts";
import { textBody } from "../../src/codec/body_codec.ts";
import { Connection } from "../../src/connection/connection.ts";
import type { Interceptor } from "../../src/connection/interceptor.ts";
import { RemoteError, TimeoutError } from "../../src/errors.ts";
import { Server } from "../../src/server/server.ts";
import { Router } from "../../src/transport/router.ts";

describe("Interceptors", () => {
  it("server side: the connection's run first, then the router's, then the handler; a throw stops the chain before the handler", async () => {
    const order: string[] = [];
    let handled = 0;
    const router = new Router()
      .use(async (ctx, next) => {
        order.push(`router ${String(ctx.route)}`);
        return await next();
      })
      .handle("hello", (body: string) => {
        handled++;
        order.push("handler");
        return `hello ${body}`;
      });
    const auth: Interceptor = {
      handle: (ctx, next) => {
        order.push("auth");
        if (ctx.metadata.get("authorization") !== "Bearer ok") {
          throw new RemoteError("UNAUTHENTICATED", "Who are you?");
        }
        return next();
      },
    };
    const upper: Interceptor = {
      handle: async (_ctx, next) => {
        order.push("upper");
        return String(await next()).toUpperCase();
      },
    };
    const [a, b] = createMemoryPipe();
    const server = new Connection(a, {
      router,
      body: textBody,
      interceptors: [auth, upper],
    });
    const client = new Connection<typeof router>(b, { body: textBody });
    try {
      const refused = await client.request("hello", "x").catch((e) => e);
      assert.ok(refused instanceof RemoteError);
      assert.equal(refused.remoteCode, "UNAUTHENTICATED");
      assert.equal(handled, 0, "the handler did not run");
      order.length = 0;
      const reply = await client.request("hello", "rain", {
        metadata: { authorization: "Bearer ok" },
      });
      assert.equal(reply, "HELLO RAIN");
      assert.deepEqual(order, ["auth", "upper", "router hello", "handler"]);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("client side: in order, may change metadata, see the reply and its metadata, and retry by calling next again", async () => {
    let failures = 1;
    const router = new Router().handle("flaky", (_: string, ctx) => {
      ctx.replyMetadata.set("x-attempt", ctx.metadata.get("x-attempt")!);
      if (failures-- > 0) throw new RemoteError("UNAVAILABLE", "try again");
      return String(ctx.metadata.get("authorization"));
    });
    const seen: string[] = [];
    const token: Interceptor = {
      request: (request, next) => {
        seen.push("token");
        request.metadata.set("authorization", "Bearer t");
        return next(request);
      },
    };
    const retry: Interceptor = {
      request: async (request, next) => {
        for (let attempt = 1;; attempt++) {
          request.metadata.set("x-attempt", String(attempt));
          try {
            const reply = await next(request);
            seen.push(`reply ${String(reply.metadata.get("x-attempt"))}`);
            return reply;
          } catch (error) {
            seen.push(`error ${(error as RemoteError).remoteCode}`);
            if (attempt === 3) throw error;
          }
        }
      },
    };
    const network = new MemoryNetwork();
    await using server = new Server({ router, body: textBody });
    server.serve(await network.listen("mem://flaky"));
    await using client = new Client<typeof router>({
      endpoint: "mem://flaky",
      dial: (key, o) => network.dial(key, o),
      body: textBody,
      interceptors: [token, retry],
    });
    assert.equal(await client.request("flaky", ""), "Bearer t");
    assert.deepEqual(seen, ["token", "error UNAVAILABLE", "reply 2"]);
  });

  it("the call's deadline holds over the chain: an interceptor that waits past it ends in TimeoutError at the deadline", async () => {
    const router = new Router().handle("echo", (s: string) => s);
    const slow: Interceptor = {
      request: async (request, next) => {
        await new Promise((resolve) => setTimeout(resolve, 400));
        return next(request);
      },
    };
    const [a, b] = createMemoryPipe();
    const server = new Connection(a, { router, body: textBody });
    const client = new Connection<typeof router>(b, {
      body: textBody,
      interceptors: [slow],
    });
    try {
      const started = performance.now();
      const error = await client.request("echo", "x", { timeout: 50 }).catch((
        e,
      ) => e);
      const took = performance.now() - started;
      assert.ok(error instanceof TimeoutError, String(error));
      assert.ok(took < 350, `settled after ${Math.round(took)} ms`);
      // Exactly once: the machine gets one callback, the timeout.
      const calls: string[] = [];
      client.call("echo", "y", {
        onMessage: () => calls.push("message"),
        onTimeout: () => calls.push("timeout"),
        onError: () => calls.push("error"),
      }, { timeout: 50 });
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.deepEqual(calls, ["timeout"]);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
