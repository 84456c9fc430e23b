/**
 * examples/websocket/{deno,bun,node}.ts, the one on the runtime running the
 * test: started on a free port, the page and its script fetched over HTTP,
 * then a listenrain Client over ws:// to `/rpc` on the same port makes a
 * call and receives the server's pushes; then the example stops.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client/client.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { Router } from "../../src/transport/router.ts";
import { detectRuntime, loadAdapter } from "../../adapters/runtime.ts";
import { within } from "../lifecycle/_helpers.ts";

const runtime = detectRuntime();

async function start(port: number) {
  switch (runtime) {
    case "deno":
      return await (await import("../../examples/websocket/deno.ts")).main(
        port,
      );
    case "bun":
      return await (await import("../../examples/websocket/bun.ts")).main(port);
    case "node":
      return await (await import("../../examples/websocket/node.ts")).main(
        port,
      );
  }
}

describe(`examples/websocket/${runtime}.ts: the page and its RPC on one port`, () => {
  it(
    "serves the page and its script, and a call and pushes over ws:// on the same port",
    {
      timeout: 60_000,
    },
    async () => {
      const example = await within(30_000, "example", start(0));
      const adapter = await loadAdapter(runtime);
      const ticks: string[] = [];
      const client = new Client({
        endpoint: `${example.url.replace("http", "ws")}rpc`,
        dial: (key, options) => adapter.dial(key, options),
        body: jsonBody,
        router: new Router().handle("tick", (tick: string) => {
          ticks.push(tick);
        }),
      });
      try {
        const page = await within(10_000, "fetch /", fetch(example.url));
        assert.equal(page.status, 200);
        assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
        assert.match(
          await page.text(),
          /<script type="module" src="\/app\.js">/,
        );
        const script = await within(
          10_000,
          "fetch",
          fetch(`${example.url}app.js`),
        );
        assert.equal(script.status, 200);
        assert.match(
          script.headers.get("content-type") ?? "",
          /^text\/javascript/,
        );
        const code = await script.text();
        assert.ok(code.length > 10_000, `a bundle of ${code.length} chars`);
        assert.doesNotMatch(code, /from\s*["'](node|bun|deno):/);
        const missing = await fetch(`${example.url}nothing`);
        assert.equal(missing.status, 404);
        await missing.body?.cancel();

        assert.equal(await client.request("hello", "test"), "hello, test");
        assert.equal(
          await client.request("subscribe", "weather"),
          "subscribed to weather",
        );
        assert.deepEqual(ticks, ["weather 1", "weather 2", "weather 3"]);
      } finally {
        await client.close();
        await example.close();
      }
    },
  );
});
