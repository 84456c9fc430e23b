import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { loadAdapter } from "../../adapters/runtime.ts";
import type { Channel, ChannelAddr } from "../../src/channel/channel.ts";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { Connection } from "../../src/connection/connection.ts";
import { Server } from "../../src/server/server.ts";
import type { RequestContext } from "../../src/transport/request_context.ts";
import { Router } from "../../src/transport/router.ts";
import { until } from "../_helpers/pair.ts";

/** The server's routes: who called, and a push to that caller alone. */
function serverRouter(seen: Connection[]) {
  return new Router()
    .handle("whoami", (_body: null, ctx: RequestContext) => {
      seen.push(ctx.connection);
      const { transport, hostname, port } = ctx.remoteAddr;
      return { transport, hostname, port };
    })
    .handle("poke", async (body: { n: number }, ctx: RequestContext) => {
      await ctx.connection.notify("poked", body);
      return "ok";
    });
}

/** A client connection that records the server's pushes. */
function pushClient(channel: Channel) {
  const pushes: number[] = [];
  const router = new Router().handle("poked", (body: { n: number }) => {
    pushes.push(body.n);
  });
  const api = serverRouter([]);
  const connection = new Connection<typeof api>(channel, {
    router,
    body: jsonBody,
  });
  return { connection, pushes };
}

describe("RequestContext", () => {
  it(
    "gives the handler its caller: a push via ctx.connection reaches that client only, and ctx.remoteAddr is the client's address (TCP)",
    { timeout: 20_000 },
    async () => {
      const adapter = await loadAdapter();
      const seen: Connection[] = [];
      const server = new Server({ router: serverRouter(seen), body: jsonBody });
      const listener = await adapter.listen("tcp://127.0.0.1:0");
      const serving = server.serve(listener);
      const key = `tcp://127.0.0.1:${listener.addr.port}`;
      const a = pushClient(await adapter.dial(key));
      const b = pushClient(await adapter.dial(key));
      try {
        // Both connected before either pokes.
        const whoA = await a.connection.request("whoami", null);
        const whoB = await b.connection.request("whoami", null);
        const local = (c: { localAddr: ChannelAddr }) => {
          const { transport, hostname, port } = c.localAddr;
          return { transport, hostname, port };
        };
        assert.deepEqual(whoA, local(a.connection));
        assert.deepEqual(whoB, local(b.connection));
        assert.notEqual(whoA.port, whoB.port);
        // ctx.connection is the server's own Connection of that caller.
        assert.equal(seen.length, 2);
        assert.notEqual(seen[0], seen[1]);
        assert.ok(server.connections.includes(seen[0]));
        assert.ok(server.connections.includes(seen[1]));

        assert.equal(await a.connection.request("poke", { n: 1 }), "ok");
        await until(() => a.pushes.length === 1, 5000, "a's push");
        // b's own poke comes after a's: a push of a's poke sent to b would
        // reach b before b's own.
        assert.equal(await b.connection.request("poke", { n: 2 }), "ok");
        await until(() => b.pushes.length >= 1, 5000, "b's push");
        assert.equal(await a.connection.request("poke", { n: 3 }), "ok");
        await until(() => a.pushes.length === 2, 5000, "a's second push");
        assert.deepEqual(a.pushes, [1, 3]);
        assert.deepEqual(b.pushes, [2]);
      } finally {
        await a.connection.close();
        await b.connection.close();
        await server.close();
        await serving;
      }
    },
  );

  it("names the connection and the caller on a memory pipe too", async () => {
    const [s, c] = createMemoryPipe({ names: ["server", "client"] });
    const seen: Connection[] = [];
    const server = new Connection(s, {
      router: serverRouter(seen),
      body: jsonBody,
    });
    const client = pushClient(c);
    try {
      // JSON drops the fields a memory address does not have.
      assert.deepEqual(await client.connection.request("whoami", null), {
        transport: "mem",
      });
      assert.equal(seen[0], server);
      assert.equal(await client.connection.request("poke", { n: 7 }), "ok");
      await until(() => client.pushes.length === 1, 5000, "the push");
      assert.deepEqual(client.pushes, [7]);
    } finally {
      await client.connection.close();
      await server.close();
    }
  });
});
