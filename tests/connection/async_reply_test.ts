/**
 * Replies of async route handlers (an AsyncReply: the reply is built once
 * the handler's promise resolves): the value, the reply metadata set after
 * an await, a rejection, a value its codec cannot encode, and the
 * executor's slot held until the reply is sent, with and without handle
 * interceptors.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { RemoteError } from "../../src/errors.ts";
import { BoundedExecutor } from "../../src/executor/executor.ts";
import type { HandlerFailure } from "../../src/transport/handler_failure.ts";
import { Router } from "../../src/transport/router.ts";
import { deferred, peers } from "../_helpers/pair.ts";

function router(): Router {
  return new Router()
    .handle("double", async (n: number, ctx) => {
      await Promise.resolve();
      ctx.replyMetadata.set("x-after-await", String(n));
      return n * 2;
    })
    .handle("reject", async () => {
      await Promise.resolve();
      throw new RemoteError("NOPE", "rejected on purpose");
    })
    // deno-lint-ignore require-await
    .handle("unencodable", async () => ({ big: 1n }));
}

for (const interceptors of [false, true]) {
  const label = interceptors ? "with a handle interceptor" : "plain";
  describe(`async route handler replies (${label})`, () => {
    function pair(
      options: { executor?: BoundedExecutor } = {},
      routes = router(),
    ) {
      const failures: HandlerFailure<unknown>[] = [];
      const connections = peers({
        router: routes,
        body: jsonBody,
        interceptors: interceptors
          ? [{ handle: (_ctx, next) => next() }]
          : undefined,
        onHandlerError: (failure) => void failures.push(failure),
        ...options,
      }, { body: jsonBody });
      return { ...connections, failures };
    }

    it("the resolved value is the reply, with the metadata set after an await", async () => {
      const { client, close, failures } = pair();
      const reply = await client.request("double", 21, { withMetadata: true });
      assert.equal(reply.body, 42);
      assert.equal(reply.metadata.get("x-after-await"), "21");
      assert.deepEqual(failures, []);
      await close();
    });

    it("a rejection is the caller's RemoteError and is reported once", async () => {
      const { client, close, failures } = pair();
      await assert.rejects(client.request("reject", 0), (error) => {
        assert.ok(error instanceof RemoteError);
        assert.equal(error.remoteCode, "NOPE");
        return true;
      });
      assert.equal(failures.length, 1);
      assert.equal(failures[0].error.message, "rejected on purpose");
      await close();
    });

    it("a value its codec cannot encode is an error reply, reported once", async () => {
      const { client, close, failures } = pair();
      await assert.rejects(client.request("unencodable", 0), (error) => {
        assert.ok(error instanceof RemoteError);
        assert.equal(error.remoteCode, "CODEC_ERROR");
        return true;
      });
      assert.equal(failures.length, 1);
      assert.equal(failures[0].error.name, "CodecError");
      await close();
    });

    it("the executor's slot is held until the reply is sent, then the queued request runs", async () => {
      const executor = new BoundedExecutor({ concurrency: 1 });
      const gate = deferred<number>();
      const order: string[] = [];
      const { client, close } = pair(
        { executor },
        new Router().handle("gated", async (name: string) => {
          order.push(`${name} start`);
          if (name === "first") await gate.promise;
          order.push(`${name} end`);
          return name;
        }),
      );
      const first = client.request("gated", "first");
      const second = client.request("gated", "second");
      while (executor.queued === 0) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      assert.equal(executor.active, 1);
      assert.deepEqual(order, ["first start"]);
      gate.resolve(0);
      assert.deepEqual(await Promise.all([first, second]), ["first", "second"]);
      assert.deepEqual(order, [
        "first start",
        "first end",
        "second start",
        "second end",
      ]);
      await executor.drain();
      assert.equal(executor.active, 0);
      await close();
    });
  });
}
