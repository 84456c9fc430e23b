/**
 * Several protocols on the one stack (the seed's ProtocolRegisterTable, once
 * `ProtocolRegistry`): two Servers with two Protocol values on two TCP ports
 * of one process, two Clients calling both; and a Connection with a protocol
 * of its own serving a Router, replying in the order handlers finish.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { loadAdapter } from "../../adapters/runtime.ts";
import {
  Client,
  Connection,
  envelopeProtocol,
  type Protocol,
  RemoteError,
  Router,
  Server,
  textBody,
} from "../../mod.ts";
import type { MessageCodec } from "../../framing.ts";
import { createMemoryPipe } from "../../testing.ts";

/**
 * A protocol of its own: kind byte, u32 id, route length byte, route, UTF-8
 * text. Error replies, but no cancel, ping, deadline or goaway.
 */
interface Line {
  kind: "request" | "reply" | "error" | "notify";
  id: number;
  route: string;
  text: string;
}
const KINDS = ["request", "reply", "error", "notify"] as const;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const lineCodec: MessageCodec<Line> = {
  encode(m) {
    const route = encoder.encode(m.route);
    const text = encoder.encode(m.text);
    const out = new Uint8Array(6 + route.length + text.length);
    out[0] = KINDS.indexOf(m.kind);
    new DataView(out.buffer).setUint32(1, m.id);
    out[5] = route.length;
    out.set(route, 6);
    out.set(text, 6 + route.length);
    return [out];
  },
  decode(p) {
    const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
    const end = 6 + p[5];
    return {
      kind: KINDS[p[0]],
      id: view.getUint32(1),
      route: decoder.decode(p.subarray(6, end)),
      text: decoder.decode(p.subarray(end)),
    };
  },
  kind: (m) => m.kind,
  id: (m) => m.id,
  withId: (m, id) => ({ ...m, id: Number(id) }),
  errorReply: (id, e) => ({
    kind: "error",
    id: Number(id),
    route: "",
    text: `${e.code}|${e.message}`,
  }),
  toError: (m) => {
    const [code, message] = m.text.split("|");
    return new RemoteError(code, message);
  },
};

/** The line protocol: the body is the text (the body codec is not used). */
const lineProtocol: Protocol<Line> = {
  codec: lineCodec,
  message: (kind, route, body) => ({
    kind,
    id: 0,
    route: String(route),
    text: String(body),
  }),
  reply: (body) => ({ kind: "reply", id: 0, route: "", text: String(body) }),
  route: (m) => m.route,
  body: (m) => m.text,
};

describe("several protocols on the one stack", () => {
  it("serves two protocols on two TCP ports in one process and calls both", {
    timeout: 30_000,
  }, async () => {
    const { dial, listen } = await loadAdapter();
    const rpcRouter = new Router().handle(
      "shout",
      (text: string) => text.toUpperCase(),
    );
    const lineRouter = new Router().handle("reverse", (text: string) => {
      if (text === "") throw new RemoteError("EMPTY", "nothing to reverse");
      return [...text].reverse().join("");
    });
    await using rpcServer = new Server({
      protocol: envelopeProtocol,
      router: rpcRouter,
      body: textBody,
    });
    await using lineServer = new Server({
      protocol: lineProtocol,
      router: lineRouter,
    });
    const serving = [
      rpcServer.serve(await listen("tcp://127.0.0.1:0")),
      lineServer.serve(await listen("tcp://127.0.0.1:0")),
    ];
    const rpcPort = rpcServer.addrs[0].port;
    const linePort = lineServer.addrs[0].port;
    assert.ok(rpcPort && linePort);
    assert.notEqual(rpcPort, linePort);

    await using rpc = new Client<typeof rpcRouter>({
      endpoint: `tcp://127.0.0.1:${rpcPort}`,
      dial,
      body: textBody,
      timeout: 5000,
    });
    await using line = new Client<typeof lineRouter>({
      endpoint: `tcp://127.0.0.1:${linePort}`,
      dial,
      protocol: lineProtocol,
      timeout: 5000,
    });
    const [shouted, reversed] = await Promise.all([
      rpc.request("shout", "hello"),
      line.request("reverse", "hello"),
    ]);
    assert.equal(shouted, "HELLO");
    assert.equal(reversed, "olleh");
    await assert.rejects(
      line.request("reverse", ""),
      (e: unknown) =>
        e instanceof RemoteError && e.remoteCode === "EMPTY" &&
        e.message === "nothing to reverse",
    );
    // A route the line server does not have: its error reply, in its format.
    await assert.rejects(
      // @ts-expect-error: "shout" is not a route of the line router.
      line.request("shout", "hello"),
      (e: unknown) =>
        e instanceof RemoteError && e.remoteCode === "UNKNOWN_ROUTE",
    );
    // Each server has its one client, speaking its protocol.
    assert.equal(rpcServer.connections.length, 1);
    assert.equal(lineServer.connections.length, 1);
    assert.equal(rpcServer.connectionStats.requestsReceived, 1);
    assert.equal(lineServer.connectionStats.requestsReceived, 3);
    await Promise.all([rpc.close(), line.close()]);
    await Promise.all([rpcServer.close(), lineServer.close()]);
    await Promise.all(serving);
  });

  it(
    "a Connection with a custom protocol serves a Router and replies in any order",
    {
      timeout: 30_000,
    },
    async () => {
      const [a, b] = createMemoryPipe();
      const gates = new Map<string, () => void>();
      const router = new Router().handle(
        "wait",
        (name: string) =>
          new Promise<string>((resolve) =>
            gates.set(name, () => resolve(`done ${name}`))
          ),
      );
      const server = new Connection(a, { protocol: lineProtocol, router });
      const client = new Connection<typeof router>(b, {
        protocol: lineProtocol,
        timeout: 10_000,
      });
      try {
        const finished: string[] = [];
        const names = ["a", "b", "c"];
        const replies = names.map((name) =>
          client.request("wait", name).then((reply) => {
            finished.push(reply);
            return reply;
          })
        );
        const end = Date.now() + 10_000;
        while (gates.size < names.length && Date.now() < end) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        assert.equal(gates.size, 3, "all three requests are being handled");
        assert.equal(server.stats.handling, 3);
        // Finish them last first: each reply arrives while the earlier
        // requests still wait for theirs.
        for (const i of [2, 1, 0]) {
          gates.get(names[i])!();
          assert.equal(await replies[i], `done ${names[i]}`);
          assert.equal(client.inFlight, i);
        }
        assert.deepEqual(await Promise.all(replies), [
          "done a",
          "done b",
          "done c",
        ]);
        assert.deepEqual(finished, ["done c", "done b", "done a"]);
      } finally {
        await client.close();
        await server.close();
      }
    },
  );
});
