import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryNetwork } from "../../src/channel/memory_network.ts";
import { TransportKey } from "../../src/channel/transport_key.ts";
import { type Envelope, EnvelopeCodec } from "../../src/codec/envelope.ts";
import type { MessageCodec } from "../../src/codec/message_codec.ts";
import { RemoteError, TooManyPendingError } from "../../src/errors.ts";
import { BoundedExecutor } from "../../src/executor/executor.ts";
import { ProtocolRegistry } from "../../src/registry/protocol_registry.ts";
import { tcpAdapter } from "../lifecycle/_helpers.ts";

/** A protocol of its own: kind byte, u32 id, UTF-8 text. No cancel, ping or goaway. */
interface Line {
  kind: "request" | "reply" | "error";
  id: number;
  text: string;
}
const KINDS = ["request", "reply", "error"] as const;
const lineCodec: MessageCodec<Line> = {
  encode(m) {
    const text = new TextEncoder().encode(m.text);
    const out = new Uint8Array(5 + text.length);
    out[0] = KINDS.indexOf(m.kind);
    new DataView(out.buffer).setUint32(1, m.id);
    out.set(text, 5);
    return [out];
  },
  decode(p) {
    const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
    return {
      kind: KINDS[p[0]],
      id: view.getUint32(1),
      text: new TextDecoder().decode(p.subarray(5)),
    };
  },
  kind: (m) => m.kind,
  id: (m) => m.id,
  withId: (m, id) => ({ ...m, id: Number(id) }),
  errorReply: (id, e) => ({
    kind: "error",
    id: Number(id),
    text: `${e.code}|${e.message}`,
  }),
  toError: (m) => new RemoteError(m.text.split("|")[0], m.text.split("|")[1]),
};

const envelope = (
  text: string,
  kind: "request" | "reply" = "request",
): Envelope => ({
  kind,
  id: 0,
  route: kind === "request" ? "shout" : "",
  body: new TextEncoder().encode(text),
});
const textOf = (m: Envelope) => new TextDecoder().decode(m.body);

describe("ProtocolRegistry", () => {
  it("serves two protocols on two TCP ports in one process and calls both", async () => {
    const tcp = await tcpAdapter();
    const made: string[] = [];
    await using registry = new ProtocolRegistry();
    registry.register<Envelope>("rpc", {
      codec: new EnvelopeCodec(),
      timeout: 5000,
      dial: tcp.dial,
      listen: (key) => tcp.listen(String(key)),
      handler: (m) => envelope(textOf(m).toUpperCase(), "reply"),
      executor: (key) => {
        made.push(`executor ${key.transport}`);
        return new BoundedExecutor({ concurrency: 8 });
      },
      queue: (key) => {
        made.push(`queue ${key.transport}`);
        return { maxQueueBytes: 1 << 20 };
      },
    });
    registry.register<Line>("line", {
      codec: lineCodec,
      dial: tcp.dial,
      listen: (key) => tcp.listen(String(key)),
      handler: (m) => {
        if (m.text === "") throw new RemoteError("EMPTY", "nothing to reverse");
        return { kind: "reply", id: 0, text: [...m.text].reverse().join("") };
      },
    });
    assert.deepEqual(registry.names, ["rpc", "line"]);
    const rpcServer = await registry.serve<Envelope>(
      "rpc",
      "tcp://127.0.0.1:0",
    );
    const lineServer = await registry.serve<Line>("line", "tcp://127.0.0.1:0");
    const rpcPort = rpcServer.addrs[0].port;
    const linePort = lineServer.addrs[0].port;
    assert.notEqual(rpcPort, linePort);

    const rpc = registry.client<Envelope>("rpc", {
      endpoint: `tcp://127.0.0.1:${rpcPort}`,
    });
    const line = registry.client<Line>("line", {
      endpoint: `tcp://127.0.0.1:${linePort}`,
    });
    const [shouted, reversed] = await Promise.all([
      rpc.request(envelope("hello")),
      line.request({ kind: "request", id: 0, text: "hello" }),
    ]);
    assert.equal(textOf(shouted), "HELLO");
    assert.equal(reversed.text, "olleh");
    await assert.rejects(
      line.request({ kind: "request", id: 0, text: "" }),
      (e: unknown) => e instanceof RemoteError && e.remoteCode === "EMPTY",
    );
    // The per-connection factories ran for the client's and the server's connection.
    assert.deepEqual(made.sort(), [
      "executor tcp",
      "executor tcp",
      "queue tcp",
      "queue tcp",
    ]);
  });

  it("builds each connection's transport options from the protocol's factories", async () => {
    const network = new MemoryNetwork();
    const keys: string[] = [];
    const registry = new ProtocolRegistry();
    const protocol = registry.register<Envelope>("small", {
      codec: new EnvelopeCodec(),
      timeout: 1234,
      dial: (k, o) => network.dial(k, o),
      listen: (k) => network.listen(k),
      handler: (m) =>
        new Promise((resolve) =>
          setTimeout(() => resolve(envelope(textOf(m), "reply")), 20)
        ),
      pendingTable: (key) => {
        keys.push(String(key));
        return { maxPendingRequests: 2 };
      },
    });
    assert.equal(registry.get("small"), protocol);
    assert.equal(
      protocol.transportOptions(new TransportKey("mem://x")).timeout,
      1234,
    );
    await registry.serve("small", "mem://small");
    const client = registry.client<Envelope>("small", {
      endpoint: "mem://small",
    });
    const transport = await client.transport();
    const first = [
      transport.request(envelope("1")),
      transport.request(envelope("2")),
    ];
    await assert.rejects(transport.request(envelope("3")), TooManyPendingError);
    await assert.rejects(client.request(envelope("3")), TooManyPendingError);
    await Promise.all(first);
    assert.deepEqual(keys, ["mem://x", "mem://small", "mem://small"]);
    await registry.close();
    assert.equal(
      network.names.length,
      0,
      "the registry closed its server's listener",
    );
  });

  it("rejects bad registrations and unknown names", async () => {
    const registry = new ProtocolRegistry();
    registry.register("a", { codec: lineCodec });
    assert.ok(registry.has("a"));
    assert.ok(!registry.has("b"));
    assert.throws(
      () => registry.register("a", { codec: lineCodec }),
      /already registered/,
    );
    assert.throws(() => registry.register("", { codec: lineCodec }), TypeError);
    assert.throws(
      () => registry.register("c", {} as { codec: MessageCodec<Line> }),
      /needs a codec/,
    );
    assert.throws(
      () => registry.get("b"),
      /Unknown protocol "b" \(registered: a\)/,
    );
    await assert.rejects(registry.serve("a", "mem://a"), /no listen function/);
    assert.throws(() => registry.client("a"), /dial function or a dialer/);
    await registry.close();
  });
});
