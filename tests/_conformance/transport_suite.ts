/**
 * The transport conformance suite: the default protocol (`Connection` over
 * `Transport`) on a real channel, including its failures. Each adapter's test
 * file calls {@linkcode transportConformance} with the same pair maker it
 * gives the channel suite, so every channel (memory pipe, TCP over 127.0.0.1
 * and ::1, TLS, Unix sockets, on each runtime) runs it.
 *
 * This file holds the round trips; `_transport_failures.ts` the failures
 * (half-close, reset mid-frame, a peer that stops reading, close while
 * writing), where the misbehaving peer is played by hand on the raw channel
 * with `_raw_frames.ts`.
 *
 * Written with `node:test` and `node:assert/strict` only. Every test is
 * bounded in time and asserts no tight timings.
 *
 * @module
 */

import { describe } from "node:test";
import assert from "node:assert/strict";
import { RemoteError } from "../../src/errors.ts";
import { Router } from "../../src/transport/router.ts";
import type { ChannelPair } from "./channel_suite.ts";
import {
  assertSameBytes,
  bytes,
  Checksum,
  randomBytes,
  sleep,
  text,
} from "./_helpers.ts";
import {
  echo,
  harnessTests,
  large,
  MiB,
  mix,
  readU32,
  type TransportFeatures,
  u32,
} from "./_transport_harness.ts";
import { transportFailureTests } from "./_transport_failures.ts";

export type { TransportFeatures } from "./_transport_harness.ts";

/**
 * Registers the transport conformance tests for one channel implementation.
 *
 * @param name Names the implementation in test names ("node tcp 127.0.0.1").
 * @param makePair Makes a fresh connected pair for each test.
 * @param features What the implementation supports.
 */
export function transportConformance(
  name: string,
  makePair: () => Promise<ChannelPair>,
  features: TransportFeatures = {},
): void {
  const harnessTest = harnessTests(makePair, features.timeoutMs ?? 60_000);
  describe(`Transport conformance: ${name}`, { skip: features.skip }, () => {
    harnessTest(
      "Connection request/reply round trips both ways: bodies, routes, errors, notify",
      async ({ pair, peer }) => {
        let news: (value: string) => void;
        const heard = new Promise<string>((resolve) => news = resolve);
        const router = echo()
          .handle("slow", async (body: Uint8Array) => {
            await sleep(body[0]);
            return body;
          })
          .handle("fail", () => {
            throw new Error("boom");
          })
          .handle(7, (body: Uint8Array) => body.slice().reverse())
          .handle("news", (body: Uint8Array) => news(text(body)));
        const server = peer(pair.server, { router });
        const client = peer(pair.client, {
          router: new Router().handle("whoami", () => bytes("the client")),
        });
        for (const size of [0, 1, 100, 16 * 1024 + 1, MiB]) {
          const body = randomBytes(size, size + 1);
          assertSameBytes(
            await client.request("echo", body),
            body,
            `echo of ${size}`,
          );
        }
        const reversed = await client.request(7, bytes("abc"));
        assert.equal(text(reversed), "cba", "a numeric route");
        // Replies come back in any order and each finds its own request.
        const delays = [40, 30, 20, 10, 0];
        const replies = await Promise.all(
          delays.map((ms) => client.request("slow", new Uint8Array([ms]))),
        );
        assert.deepEqual(replies.map((reply) => reply[0]), delays);
        // The accepting side calls the dialing side on the same connection.
        assert.equal(
          text(await server.request("whoami", new Uint8Array())),
          "the client",
        );
        await assert.rejects(
          client.request("nowhere", new Uint8Array()),
          (e) => e instanceof RemoteError && e.remoteCode === "UNKNOWN_ROUTE",
        );
        await assert.rejects(
          client.request("fail", new Uint8Array()),
          (e) => e instanceof RemoteError && e.remoteCode === "HANDLER_ERROR",
        );
        await client.notify("news", bytes("rain"));
        assert.equal(await heard, "rain");
        assert.equal(client.stats.pending, 0);
        assert.equal(server.stats.pending, 0);
      },
    );

    harnessTest(
      "a 16 MiB payload arrives byte-exact through request and reply",
      async ({ pair, peer }) => {
        const payload = randomBytes(16 * MiB, 16);
        const sent = new Checksum().update(payload);
        let received: Checksum | undefined;
        peer(pair.server, {
          ...large(),
          router: new Router().handle("echo", (body: Uint8Array) => {
            received = new Checksum().update(body);
            return body;
          }),
        });
        const client = peer(pair.client, large());
        const reply = await client.request("echo", payload, { timeout: 0 });
        assert.ok(received !== undefined, "the server's handler ran");
        assert.equal(received.length, sent.length, "request length");
        assert.equal(received.hash, sent.hash, "request bytes");
        assertSameBytes(reply, payload, "the 16 MiB reply");
      },
    );

    harnessTest(
      "10,000 small requests in flight at once each get their own reply",
      async ({ pair, peer }) => {
        const count = 10_000;
        const server = peer(pair.server, {
          router: new Router().handle("mix", (body: Uint8Array) => {
            const value = readU32(body);
            const reply = u32(mix(value));
            // Half the replies come a tick later, so they overtake each other.
            return value % 2 ? Promise.resolve(reply) : reply;
          }),
        });
        const client = peer(pair.client);
        const requests: Promise<Uint8Array>[] = [];
        for (let i = 0; i < count; i++) {
          requests.push(client.request("mix", u32(i)));
        }
        assert.equal(client.stats.pending, count, "all in flight at once");
        const replies = await Promise.all(requests);
        for (let i = 0; i < count; i++) {
          if (readU32(replies[i]) !== mix(i)) {
            assert.fail(`request ${i} got the reply of another request`);
          }
        }
        assert.equal(server.stats.requestsReceived, count);
        assert.equal(client.stats.pending, 0);
      },
    );

    transportFailureTests(harnessTest, features);
  });
}
