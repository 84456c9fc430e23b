/**
 * A server's connections share one route handler when nothing sets them
 * apart (same router, protocol and body codec, no handle interceptors), and
 * an idle connection holds no interceptor array of its own; what each
 * connection answers is unchanged.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import { jsonBody, rawBody, textBody } from "../../src/codec/body_codec.ts";
import { Caller } from "../../src/connection/_caller.ts";
import { transportOptionsOf } from "../../src/connection/_connection_parts.ts";
import type { Interceptor } from "../../src/connection/interceptor.ts";
import { envelopeProtocol } from "../../src/protocol/envelope_protocol.ts";
import type { Protocol } from "../../src/protocol/protocol.ts";
import { Router } from "../../src/transport/router.ts";
import { peers } from "../_helpers/pair.ts";

const protocol = envelopeProtocol as Protocol<unknown>;
const channel = createMemoryPipe()[0];
const origin = { connection: undefined, channel };

function handlerOf(
  router: Router,
  body = rawBody,
  interceptors?: Interceptor[],
): unknown {
  return transportOptionsOf(
    protocol,
    undefined,
    router,
    body as never,
    interceptors,
    {},
    origin,
  ).handler;
}

describe("shared route handler", () => {
  it("is one handler for the connections of one router, protocol and body codec", () => {
    const router = new Router();
    const first = handlerOf(router);
    assert.equal(typeof first, "function");
    assert.equal(handlerOf(router), first);
    assert.equal(handlerOf(router), first);
    assert.notEqual(handlerOf(new Router()), first, "another router");
    assert.notEqual(
      handlerOf(router, jsonBody as never),
      first,
      "another body codec",
    );
    const withInterceptor = handlerOf(router, rawBody, [{
      handle: (_ctx, next) => next(),
    }]);
    assert.notEqual(withInterceptor, first, "handle interceptors of its own");
  });

  it("each connection still answers with its own body codec and its own interceptors, and routes added later", async () => {
    const router = new Router().handle("echo", (body: unknown) => body);
    const text = peers({ router, body: textBody }, { body: textBody });
    const json = peers({ router, body: jsonBody }, { body: jsonBody });
    const seen: string[] = [];
    const intercepted = peers({
      router,
      body: textBody,
      interceptors: [{
        handle: (ctx, next) => {
          seen.push(String(ctx.route));
          return next();
        },
      }],
    }, { body: textBody });
    const again = peers({ router, body: textBody }, { body: textBody });
    router.handle("late", () => "late reply");
    try {
      assert.equal(await text.client.request("echo", "hi"), "hi");
      assert.deepEqual(await json.client.request("echo", { a: [1] }), {
        a: [1],
      });
      assert.equal(await intercepted.client.request("echo", "x"), "x");
      assert.equal(await again.client.request("echo", "again"), "again");
      assert.equal(await text.client.request("late", ""), "late reply");
      assert.equal(await again.client.request("late", ""), "late reply");
      assert.deepEqual(
        seen,
        ["echo"],
        "only the connection with the interceptor ran it",
      );
    } finally {
      await Promise.all([text, json, intercepted, again].map((p) => p.close()));
    }
  });
});

describe("Caller interceptors", () => {
  it("a caller without request interceptors holds the one shared empty list", () => {
    const a = new Caller(protocol, rawBody as never, undefined, undefined);
    const b = new Caller(protocol, rawBody as never, undefined, [{
      handle: (_ctx, next) => next(),
    }]);
    assert.equal(a.interceptors.length, 0);
    assert.equal(b.interceptors.length, 0);
    assert.equal(a.interceptors, b.interceptors);
    const request = () => Promise.reject(new Error("unused"));
    const c = new Caller(protocol, rawBody as never, undefined, [{ request }]);
    assert.deepEqual(c.interceptors, [request]);
  });
});
