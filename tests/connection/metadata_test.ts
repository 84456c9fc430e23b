/**
 * Metadata on the one stack: sent with requests and notifications (per
 * request, per connection, per client, merged), read by handlers, sent back
 * with replies and error replies, reached by the caller with
 * `withMetadata`, and refused when too large or on a protocol without it.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryNetwork } from "../../src/channel/memory_network.ts";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import { Client } from "../../src/client/client.ts";
import { textBody } from "../../src/codec/body_codec.ts";
import { EnvelopeCodec } from "../../src/codec/envelope.ts";
import { Metadata } from "../../src/codec/metadata.ts";
import { Connection } from "../../src/connection/connection.ts";
import { CodecError, ProtocolError, RemoteError } from "../../src/errors.ts";
import { envelopeProtocol } from "../../src/protocol/envelope_protocol.ts";
import type { Protocol } from "../../src/protocol/protocol.ts";
import { Server } from "../../src/server/server.ts";
import { Router } from "../../src/transport/router.ts";
import type { RequestContext } from "../../src/transport/request_context.ts";

const bytes = new Uint8Array([0, 1, 254, 255]);

/** A router whose "show" route answers with what it received. */
function showing(seen: RequestContext[] = []) {
  return new Router()
    .handle("show", (body: string, ctx) => {
      seen.push(ctx);
      ctx.replyMetadata.set("x-echo", body);
      ctx.replyMetadata.append("x-bytes", bytes);
      return JSON.stringify(
        ctx.metadata.toJSON(),
        (_k, v) => v instanceof Uint8Array ? [...v] : v,
      );
    })
    .handle("fail", (_body: string, ctx) => {
      ctx.replyMetadata.set("retry-after", "5");
      throw new RemoteError("BUSY", "come back later");
    })
    .handle("tell", (body: string, ctx) => {
      seen.push(ctx);
      void body;
    });
}

function pair(
  serverOptions: Partial<ConstructorParameters<typeof Connection>[1]> = {},
  clientOptions: Partial<ConstructorParameters<typeof Connection>[1]> = {},
) {
  const seen: RequestContext[] = [];
  const router = showing(seen);
  const [a, b] = createMemoryPipe();
  const server = new Connection(a, {
    router,
    body: textBody,
    ...serverOptions,
  });
  const client = new Connection<typeof router>(b, {
    body: textBody,
    ...clientOptions,
  });
  return {
    seen,
    client,
    server,
    close: () => Promise.all([client.close(), server.close()]),
  };
}

describe("Metadata", () => {
  it("keeps order and repeated keys; set replaces, append adds, delete removes", () => {
    const m = new Metadata([["a", "1"], ["b", bytes], ["a", "2"]]);
    assert.deepEqual(m.getAll("a"), ["1", "2"]);
    assert.equal(m.get("a"), "1");
    m.set("a", "3");
    assert.deepEqual([...m].map(([k]) => k), ["a", "b"]);
    assert.equal(m.get("a"), "3");
    m.append("c", "x");
    assert.equal(m.delete("b"), true);
    assert.deepEqual(m.toJSON(), { a: "3", c: "x" });
    assert.equal(new Metadata({ k: "v" }).get("k"), "v");
  });

  it("refuses keys that are not lower-case ASCII and values that are neither text nor bytes", () => {
    for (const key of ["", "Upper", "sp ace", "-lead", "é", "x".repeat(256)]) {
      assert.throws(() => new Metadata([[key, "v"]]), CodecError, key);
    }
    assert.throws(
      () => new Metadata([["k", 5 as unknown as string]]),
      CodecError,
    );
  });
});

describe("Metadata on a connection", () => {
  it("travels with a request; the handler reads it; the reply's comes back with withMetadata", async () => {
    const { client, seen, close } = pair();
    try {
      const reply = await client.request("show", "hi", {
        metadata: [["authorization", "Bearer rain"], ["x-bin", bytes]],
        withMetadata: true,
      });
      assert.deepEqual(JSON.parse(reply.body), {
        "authorization": "Bearer rain",
        "x-bin": [0, 1, 254, 255],
      });
      assert.equal(reply.metadata.get("x-echo"), "hi");
      assert.deepEqual(reply.metadata.get("x-bytes"), bytes);
      assert.equal(seen[0].route, "show");
      // Without withMetadata the body alone, as before.
      assert.equal(await client.request("show", "x"), "{}");
    } finally {
      await close();
    }
  });

  it("merges the connection's metadata under each request's (a key given per request replaces it)", async () => {
    const { client, close } = pair({}, {
      metadata: { "x-tenant": "a", "authorization": "Bearer rain" },
    });
    try {
      assert.deepEqual(JSON.parse(await client.request("show", "")), {
        "x-tenant": "a",
        "authorization": "Bearer rain",
      });
      assert.deepEqual(
        JSON.parse(
          await client.request("show", "", { metadata: { "x-tenant": "b" } }),
        ),
        { "authorization": "Bearer rain", "x-tenant": "b" },
      );
    } finally {
      await close();
    }
  });

  it("sends the handler's reply metadata with its error reply, on RemoteError.metadata", async () => {
    const { client, close } = pair();
    try {
      const error = await client.request("fail", "").catch((e) => e);
      assert.ok(error instanceof RemoteError);
      assert.equal(error.remoteCode, "BUSY");
      assert.equal(error.metadata?.get("retry-after"), "5");
    } finally {
      await close();
    }
  });

  it("sends metadata with notifications", async () => {
    const { client, seen, close } = pair();
    try {
      await client.notify("tell", "x", { metadata: { "x-event": "1" } });
      for (let i = 0; i < 100 && seen.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.equal(seen[0].metadata.get("x-event"), "1");
      assert.equal(seen[0].expectsReply, false);
    } finally {
      await close();
    }
  });

  it("a request without metadata has empty ctx.metadata and its frame carries no metadata flag", async () => {
    const codec = new EnvelopeCodec();
    const [frame] = codec.encode({
      kind: "request",
      id: 1,
      route: "show",
      body: new Uint8Array(),
    });
    assert.equal(frame[1], 0, "flags");
    const { client, seen, close } = pair();
    try {
      await client.request("show", "");
      assert.equal(seen[0].metadata.size, 0);
    } finally {
      await close();
    }
  });

  it("over the limit: a CodecError here and nothing sent; a larger block received is a ProtocolError that closes only that connection", async () => {
    const small = {
      ...envelopeProtocol,
      codec: new EnvelopeCodec({ maxMetadataSize: 64 }),
    };
    const { client, server, close } = pair({ protocol: small });
    try {
      const big = { "x-big": "y".repeat(100) };
      // This side's limit is 8 KiB: it sends; the server's is 64 bytes.
      const sent = client.request("show", "", { metadata: big }).catch((e) =>
        e
      );
      await server.closed;
      assert.ok(server.closedReason?.cause instanceof ProtocolError);
      assert.match(String(server.closedReason?.message), /maxMetadataSize 64/);
      assert.equal((await sent).name, "ConnectionClosedError");
    } finally {
      await close();
    }
    const tight = pair({}, { protocol: small });
    try {
      const stats = { ...tight.client.stats };
      const error = await tight.client.request("show", "", {
        metadata: { "x-big": "y".repeat(100) },
      }).catch((e) => e);
      assert.ok(error instanceof CodecError, String(error));
      assert.match(error.message, /exceeds maxMetadataSize 64/);
      assert.equal(tight.client.stats.framesOut, stats.framesOut);
      assert.equal(await tight.client.request("show", "ok"), "{}");
    } finally {
      await tight.close();
    }
  });

  it("the same Metadata sent by a codec with a higher limit, then by one with a lower, is refused by the second", () => {
    const metadata = new Metadata({ "x-big": "y".repeat(100) });
    const message = {
      kind: "request" as const,
      id: 1,
      route: "show",
      body: new Uint8Array(),
      metadata,
    };
    assert.ok(new EnvelopeCodec().encode(message)[0].byteLength > 100);
    assert.throws(
      () => new EnvelopeCodec({ maxMetadataSize: 64 }).encode(message),
      /exceeds maxMetadataSize 64/,
    );
  });

  it("a protocol without metadata refuses it with a CodecError", async () => {
    const { metadata: _none, ...rest } = envelopeProtocol;
    const bare: Protocol<unknown> = rest as Protocol<unknown>;
    const { client, close } = pair({ protocol: bare }, { protocol: bare });
    try {
      await assert.rejects(
        client.request("show", "", { metadata: { a: "1" } }),
        CodecError,
      );
      assert.equal(await client.request("show", "plain"), "{}");
    } finally {
      await close();
    }
  });
});

describe("Metadata on a client and a server", () => {
  it("a client's default metadata goes with every request, merged per request; replies' metadata comes back", async () => {
    const network = new MemoryNetwork();
    const router = showing();
    await using server = new Server({ router, body: textBody });
    server.serve(await network.listen("mem://meta"));
    await using client = new Client<typeof router>({
      endpoint: "mem://meta",
      dial: (key, o) => network.dial(key, o),
      body: textBody,
      metadata: { authorization: "Bearer rain" },
    });
    assert.deepEqual(JSON.parse(await client.request("show", "")), {
      authorization: "Bearer rain",
    });
    const reply = await client.request("show", "z", {
      metadata: { "x-trace": "t" },
      withMetadata: true,
    });
    assert.deepEqual(JSON.parse(reply.body), {
      "authorization": "Bearer rain",
      "x-trace": "t",
    });
    assert.equal(reply.metadata.get("x-echo"), "z");
    const error = await client.request("fail", "").catch((e) => e);
    assert.equal(error.metadata?.get("retry-after"), "5");
    // Async mode with the reply's metadata.
    const full = await new Promise<unknown>((resolve, reject) =>
      client.call("show", "m", {
        onMessage: resolve,
        onError: reject,
      }, { withMetadata: true })
    ) as { body: string; metadata: Metadata };
    assert.equal(full.metadata.get("x-echo"), "m");
  });
});
