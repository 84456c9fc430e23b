/**
 * `listen("wss://…", { tls })` through the runtime's adapter (Deno.serve,
 * Bun.serve or node:https with the fixtures' certificate): a client that
 * trusts the test CA calls over TLS, byte-exact; without `tls` the listen
 * is refused. The client: the adapter's dial with `tls.caCerts` (Deno's own
 * client, Bun's WebSocket with `tls.ca`, ws's WebSocket with `ca` on Node).
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Connection } from "../../src/connection/connection.ts";
import { Router } from "../../src/transport/router.ts";
import type { Channel } from "../../src/channel/channel.ts";
import { detectRuntime, loadAdapter } from "../../adapters/runtime.ts";

const fixture = (name: string) =>
  readFileSync(new URL(`../_fixtures/${name}`, import.meta.url), "utf8");
const runtime = detectRuntime();

/** Dials `url` trusting the test CA: the adapter's dial with `tls.caCerts`. */
async function dialTrusting(url: string, ca: string): Promise<Channel> {
  const adapter = await loadAdapter(runtime);
  return await adapter.dial(url, { tls: { caCerts: [ca] } });
}

describe(`wss:// through the ${runtime} adapter's listen`, () => {
  it("serves a client that trusts the CA, byte-exact, and needs tls", {
    timeout: 30_000,
  }, async () => {
    const adapter = await loadAdapter(runtime);
    await assert.rejects(
      (async () => await adapter.listen("wss://127.0.0.1:0/rpc"))(),
      TypeError,
    );
    const listener = await adapter.listen("wss://127.0.0.1:0/rpc", {
      tls: { cert: fixture("server.pem"), key: fixture("server-key.pem") },
    });
    assert.equal(listener.addr.transport, "wss");
    const router = new Router().handle("echo", (body: Uint8Array) => body);
    const served = (async () => {
      for await (const channel of listener) new Connection(channel, { router });
    })();
    const url = `wss://127.0.0.1:${listener.addr.port}/rpc`;
    const client = new Connection(await dialTrusting(url, fixture("ca.pem")));
    try {
      const body = new Uint8Array(3 * 1024 * 1024 + 7);
      for (let i = 0; i < body.length; i++) body[i] = (i * 131) >>> 3;
      const reply = await client.request("echo", body);
      assert.equal(reply.length, body.length);
      assert.ok(
        Buffer.from(reply).equals(Buffer.from(body)),
        "the reply differs",
      );
      assert.equal(client.remoteAddr.transport, "wss");
    } finally {
      await client.close();
      listener.close();
      await served;
    }
  });
});
