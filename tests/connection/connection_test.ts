import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { jsonBody, rawBody, textBody } from "../../src/codec/body_codec.ts";
import { CodecError, RemoteError } from "../../src/errors.ts";
import { Router } from "../../src/transport/router.ts";
import { deferred, peers } from "../_helpers/pair.ts";

describe("Connection", () => {
  it("calls a named route with JSON bodies", async () => {
    const router = new Router().handle(
      "sayhi",
      (body: { name: string }) => ({ hi: body.name }),
    );
    const { client, close } = peers({ router, body: jsonBody }, {
      body: jsonBody,
    });
    assert.deepEqual(await client.request("sayhi", { name: "rain" }), {
      hi: "rain",
    });
    await close();
  });

  it("calls numeric commands and async handlers with raw bodies", async () => {
    const router = new Router().handle(42, async (body: Uint8Array) => {
      await Promise.resolve();
      return body.map((b) => b + 1);
    });
    const { client, close } = peers<Uint8Array>({ router });
    const reply = await client.request(42, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...reply], [2, 3, 4]);
    await close();
  });

  it("answers UNKNOWN_ROUTE for a route nobody registered", async () => {
    const { client, close } = peers({ router: new Router() });
    const error = await client.request("nope", new Uint8Array()).catch((e) =>
      e
    );
    assert.ok(error instanceof RemoteError);
    assert.equal(error.remoteCode, "UNKNOWN_ROUTE");
    assert.equal(error.message, 'No handler for route "nope"');
    await close();
  });

  it("answers CODEC_ERROR for a body that does not decode, and stays up", async () => {
    const router = new Router().handle("j", (body: unknown) => body);
    const { client, close } = peers({ router, body: jsonBody });
    const error = await client.request("j", new TextEncoder().encode("{oops"))
      .catch((e) => e);
    assert.ok(error instanceof RemoteError);
    assert.equal(error.remoteCode, "CODEC_ERROR");
    assert.match(error.message, /Cannot decode JSON body/);
    const again = await client.request("j", new TextEncoder().encode("[1]"));
    assert.equal(new TextDecoder().decode(again), "[1]");
    await close();
  });

  it("answers CODEC_ERROR when the handler's reply body does not encode", async () => {
    const router = new Router().handle("big", () => 10n);
    const { client, close } = peers({ router, body: jsonBody }, {
      body: jsonBody,
    });
    const error = await client.request("big", null).catch((e) => e);
    assert.ok(error instanceof RemoteError);
    assert.equal(error.remoteCode, "CODEC_ERROR");
    // A reply that does not encode is the server's bug: the message stays there.
    assert.match(error.message, /error id/);
    await close();
  });

  it("rejects with CodecError when the reply does not decode here", async () => {
    const router = new Router().handle("bytes", () => new Uint8Array([0xff]));
    const { client, close } = peers({ router }, { body: textBody });
    const error = await client.request("bytes", "x").catch((e) => e);
    assert.ok(error instanceof CodecError);
    await close();
  });

  it("uses a route's own body codec", async () => {
    const router = new Router()
      .handle("text", (s: string) => s.toUpperCase(), { body: textBody })
      .handle("raw", (b: Uint8Array) => b);
    const { client, close } = peers({ router, body: rawBody });
    const reply = await client.request("text", new TextEncoder().encode("abc"));
    assert.equal(new TextDecoder().decode(reply), "ABC");
    await close();
  });

  it("calls back a state machine with the decoded reply", async () => {
    const router = new Router().handle("double", (n: number) => n * 2);
    const { client, close } = peers({ router, body: jsonBody }, {
      body: jsonBody,
    });
    const got = deferred<number>();
    client.call("double", 21, {
      onMessage: (n) => got.resolve(n),
      onError: (e) => got.reject(e),
    });
    assert.equal(await got.promise, 42);
    await close();
  });

  it("delivers notifications to routes, and the server can push to the client", async () => {
    const pushed = deferred<string>();
    const clientRouter = new Router().handle("news", (s: string) => {
      pushed.resolve(s);
    });
    const serverRouter = new Router().handle("subscribe", () => "ok");
    const { client, server, close } = peers(
      { router: serverRouter, body: textBody },
      { router: clientRouter, body: textBody },
    );
    assert.equal(await client.request("subscribe", ""), "ok");
    server.notify("news", "it rains");
    assert.equal(await pushed.promise, "it rains");
    await close();
  });

  it("rejects bad routes when registering", () => {
    const router = new Router().handle("a", () => 1);
    assert.throws(() => router.handle("a", () => 2), TypeError);
    assert.throws(() => router.handle("", () => 2), TypeError);
    assert.throws(() => router.handle(-1, () => 2), TypeError);
    assert.throws(() => router.handle(2 ** 32, () => 2), TypeError);
    // 255 UTF-8 bytes is the envelope's limit: a longer name is never callable.
    assert.throws(() => router.handle("é".repeat(128), () => 2), RangeError);
    router.handle("é".repeat(127) + "x", () => 3);
    assert.deepEqual(router.routes, ["a", "é".repeat(127) + "x"]);
  });
});
