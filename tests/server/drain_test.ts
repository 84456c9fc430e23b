/** Transport.drain(), canRequest, refusal and inFlight: what graceful shutdown is built on. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Envelope } from "../../src/codec/envelope.ts";
import { AbortedError, RemoteError } from "../../src/errors.ts";
import {
  deferred,
  replyOf,
  requestOf,
  sleep,
  transports,
  until,
} from "../_helpers/pair.ts";

const bytes = (n: number) => new Uint8Array([n]);

describe("Transport.drain", () => {
  it("waits for running handlers and refuses new requests with GOING_AWAY", async () => {
    const release = deferred();
    let notifications = 0;
    const { server, client, close } = transports({
      handler: async (m: Envelope) => {
        if (m.kind === "notify") {
          notifications++;
          return undefined;
        }
        await release.promise;
        return replyOf(m.body);
      },
    });
    const first = client.request(requestOf("a", bytes(1)));
    await until(() => server.stats.handling === 1, 5000, "handler running");
    let drained = false;
    const draining = server.drain().then(() => drained = true);
    assert.equal(server.draining, true);
    await assert.rejects(
      client.request(requestOf("b", bytes(2))),
      (e: unknown) => {
        assert.ok(e instanceof RemoteError);
        assert.equal(e.remoteCode, "GOING_AWAY");
        return true;
      },
    );
    await client.notify({ kind: "notify", id: 0, route: "n", body: bytes(3) });
    await sleep(20);
    assert.equal(drained, false);
    assert.equal(notifications, 0, "notifications are dropped while draining");
    release.resolve();
    assert.deepEqual((await first).body, bytes(1));
    await draining;
    assert.equal(drained, true);
    await close();
  });

  it("waits for this side's pending requests too", async () => {
    const release = deferred();
    const { server, client, close } = transports({}, {
      handler: async (m) => {
        await release.promise;
        return replyOf(m.body);
      },
    });
    const outgoing = server.request(requestOf("x", bytes(1)));
    await sleep(10);
    assert.equal(server.inFlight, 1);
    let drained = false;
    const draining = server.drain().then(() => drained = true);
    await sleep(30);
    assert.equal(drained, false);
    release.resolve();
    await outgoing;
    await draining;
    assert.equal(server.inFlight, 0);
    assert.equal(client.inFlight, 0);
    await close();
  });

  it("resolves at once when idle, when the transport closes, and rejects on abort", async () => {
    const idle = transports();
    await idle.server.drain();
    await idle.close();
    const { server, client, close } = transports({
      handler: () => new Promise<Envelope>(() => {}),
    });
    void client.request(requestOf("hang", bytes(1))).catch(() => {});
    await until(() => server.stats.handling === 1, 5000, "handler running");
    const controller = new AbortController();
    const aborted = server.drain({ signal: controller.signal });
    controller.abort("enough");
    await assert.rejects(aborted, AbortedError);
    await assert.rejects(
      server.drain({ signal: controller.signal }),
      AbortedError,
    );
    const atClose = server.drain();
    await server.close();
    await atClose;
    await close();
  });

  it("canRequest and refusal follow goaway and close", async () => {
    const { server, client, close } = transports();
    assert.equal(client.canRequest, true);
    assert.equal(client.refusal, undefined);
    server.goaway("maintenance");
    await until(() => !client.canRequest, 5000, "goaway received");
    const refusal = client.refusal as Error | undefined;
    assert.match(String(refusal?.message), /going away \(maintenance\)/);
    assert.equal(server.canRequest, true);
    await server.close();
    assert.equal(server.canRequest, false);
    await close();
  });
});
