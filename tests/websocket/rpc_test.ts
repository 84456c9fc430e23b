/**
 * A Client and a Server over ws:// inside the runtime's own HTTP server (one
 * port for the page and the RPC): request and reply, server push, the
 * upgrade's info seen by handlers, and a caller refused at the upgrade
 * (401) before any channel exists.
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client/client.ts";
import { Server } from "../../src/server/server.ts";
import { Router } from "../../src/transport/router.ts";
import { textBody } from "../../src/codec/body_codec.ts";
import { ConnectError } from "../../src/errors.ts";
import { webSocketInfo } from "../../src/channel/websocket_channel.ts";
import { adapter } from "./_ws_pair.ts";
import { startWsHttp } from "./_ws_http.ts";

describe("WebSocket: Client and Server on one HTTP port", () => {
  it(
    "request/reply, a push, the upgrade's info, and the page on the same port",
    {
      timeout: 30_000,
    },
    async () => {
      const http = await startWsHttp();
      const router = new Router()
        .handle(
          "whoami",
          (_: string, ctx) =>
            webSocketInfo<{ user: string }>(ctx)?.user ?? "anonymous",
        )
        .handle("subscribe", async (topic: string, ctx) => {
          await ctx.connection.notify("tick", `${topic}:1`);
          return "subscribed";
        });
      const server = new Server({ router, body: textBody });
      server.serve(http.listener);
      const pushes: string[] = [];
      let pushed!: () => void;
      const gotPush = new Promise<void>((resolve) => pushed = resolve);
      const clientRouter = new Router().handle("tick", (body: string) => {
        pushes.push(body);
        pushed();
      });
      const endpoint = `${http.origin.replace("http", "ws")}/rpc?token=secret`;
      const client = new Client<typeof router>({
        endpoint,
        dial: (key, o) => adapter.dial(key, o),
        body: textBody,
        router: clientRouter,
      });
      try {
        assert.equal(await client.request("whoami", ""), "ada");
        assert.equal(await client.request("subscribe", "prices"), "subscribed");
        await gotPush;
        assert.deepEqual(pushes, ["prices:1"]);
        const replies = await Promise.all(
          Array.from({ length: 200 }, () => client.request("whoami", "")),
        );
        assert.equal(replies.filter((r) => r === "ada").length, 200);
        const page = await fetch(`${http.origin}/`);
        assert.equal(page.status, 200);
        assert.match(await page.text(), /<title>listenrain<\/title>/);
      } finally {
        await client.close();
        await server.close();
        await http.close();
      }
    },
  );

  it(
    "a wrong token is refused at the upgrade with 401, and no channel is accepted",
    {
      timeout: 30_000,
    },
    async () => {
      const http = await startWsHttp();
      let accepted = 0;
      const counting = (async () => {
        for await (const channel of http.listener) {
          accepted++;
          channel.close();
        }
      })();
      try {
        const ws = http.origin.replace("http", "ws");
        await assert.rejects(
          adapter.dial(`${ws}/rpc?token=wrong`),
          (error: unknown) => error instanceof ConnectError,
        );
        const response = await fetch(`${http.origin}/rpc?token=wrong`, {
          headers: { upgrade: "websocket", connection: "upgrade" },
        }).catch(() => undefined);
        if (response !== undefined) assert.equal(response.status, 401);
        const channel = await adapter.dial(`${ws}/rpc?token=secret`);
        channel.close();
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(accepted, 1, "only the authorized caller got a channel");
      } finally {
        http.listener.close();
        await counting;
        await http.close();
      }
    },
  );
});
