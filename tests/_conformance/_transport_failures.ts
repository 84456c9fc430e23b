/**
 * The failure half of the transport conformance suite: half-close, a peer
 * reset inside a frame, a peer that stops reading, a full queue, and close
 * while writing. The misbehaving peer is played by hand on the raw channel.
 * Registered by `transport_suite.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ConnectionClosedError, QueueFullError } from "../../src/errors.ts";
import { LengthPrefixedCodec } from "../../src/framing/length_prefixed.ts";
import { Router } from "../../src/transport/router.ts";
import {
  assertSameBytes,
  bytes,
  randomBytes,
  settled,
  sleep,
  stillPending,
  text,
  until,
} from "./_helpers.ts";
import { frameOf, FrameReader } from "./_raw_frames.ts";
import {
  BACKPRESSURE_LIMIT,
  echo,
  handled,
  type HarnessTest,
  large,
  MiB,
  rejectsClosed,
  reset,
  STALL_MS,
  type TransportFeatures,
  u32,
} from "./_transport_harness.ts";

/**
 * Registers the failure tests.
 *
 * @param harnessTest The suite's test registrar.
 * @param features What the channel supports.
 */
export function transportFailureTests(
  harnessTest: HarnessTest,
  features: TransportFeatures,
): void {
  harnessTest(
    "a caller that half-closes after its requests still gets every reply, then the Connection closes",
    async ({ pair, peer }) => {
      const server = peer(pair.server, {
        router: new Router().handle("later", async (body: Uint8Array) => {
          await sleep(20);
          return body;
        }),
      });
      const writer = pair.client.writable.getWriter();
      const ids = [1, 2, 3, 4, 5];
      for (const id of ids) {
        const body = bytes(`question ${id}`);
        await writer.write(
          frameOf({ kind: "request", id, route: "later", body }),
        );
      }
      await writer.close();
      const replies = await new FrameReader(pair.client).rest();
      assert.deepEqual(
        replies
          .map((reply) => [reply.kind, reply.id, text(reply.body)])
          .sort((a, b) => (a[1] as number) - (b[1] as number)),
        ids.map((id) => ["reply", id, `question ${id}`]),
      );
      await server.closed;
    },
    features.halfClose === false && "no half-close",
  );

  harnessTest(
    "a callee that half-closes without replying fails pending requests with ConnectionClosedError",
    async ({ pair, peer }) => {
      const client = peer(pair.client);
      const requests = [1, 2, 3].map((i) =>
        handled(client.request("echo", bytes(`r${i}`)))
      );
      const raw = new FrameReader(pair.server);
      for (let i = 0; i < requests.length; i++) {
        assert.equal((await raw.next())?.kind, "request");
      }
      await pair.server.writable.getWriter().close();
      await rejectsClosed(requests, "request");
      await client.closed;
      await assert.rejects(
        client.request("echo", bytes("late")),
        ConnectionClosedError,
      );
      // The Connection closed its side as well: the raw end reads to the end.
      await raw.rest();
    },
    features.halfClose === false && "no half-close",
  );

  for (const side of ["dialing", "accepting"] as const) {
    harnessTest(
      `a peer reset mid-frame fails the ${side} Connection's pending requests with ConnectionClosedError`,
      async ({ pair, peer }) => {
        const [mine, theirs] = side === "dialing"
          ? [pair.client, pair.server]
          : [pair.server, pair.client];
        const local = peer(mine);
        const requests = [0, 1, 2].map((i) =>
          handled(local.request("echo", randomBytes(1000, i + 1)))
        );
        const raw = new FrameReader(theirs);
        const first = await raw.next();
        assert.ok(first?.kind === "request", "the raw end reads a request");
        // The start of a reply to it: the header and 100 of its 1,011 bytes.
        const reply = frameOf({
          kind: "reply",
          id: first.id,
          route: "",
          body: randomBytes(1000, 9),
        });
        await theirs.writable.getWriter().write(reply.subarray(0, 100));
        await until(
          () => local.stats.bytesIn >= 100,
          "the partial frame to arrive",
        );
        reset(theirs);
        await rejectsClosed(requests, "request");
        await local.closed;
        assert.ok(
          local.closedReason instanceof ConnectionClosedError,
        );
        assert.equal(local.stats.repliesReceived, 0);
        await assert.rejects(
          local.request("echo", bytes("late")),
          ConnectionClosedError,
        );
      },
    );
  }

  harnessTest(
    "a peer that stops reading makes the sender wait, with the send queue bounded, and every message arrives once it reads",
    async ({ pair, peer }) => {
      const maxQueueBytes = 256 * 1024;
      const body = randomBytes(64 * 1024, 6);
      const client = peer(pair.client, { queue: { maxQueueBytes } });
      let maxQueued = 0;
      const sample = () => {
        maxQueued = Math.max(maxQueued, client.stats.queuedBytes);
      };
      const sampler = setInterval(sample, 5);
      try {
        // Nobody reads pair.server yet.
        let sent = 0;
        let waiting: Promise<void> | undefined;
        while (sent * body.byteLength < BACKPRESSURE_LIMIT) {
          const queued = client.notify("sink", body);
          sent++;
          sample();
          if (queued && await stillPending(queued, STALL_MS)) {
            waiting = queued;
            break;
          }
        }
        assert.ok(
          waiting !== undefined,
          `notify() never waited: ${sent} × 64 KiB were taken while nobody read`,
        );
        // Requests sent now wait for room too: none settles, none is lost.
        const requests = Array.from(
          { length: 16 },
          () => handled(client.request("echo", body)),
        );
        sample();
        assert.ok(
          await stillPending(Promise.race(requests), STALL_MS),
          "no request settles while the peer does not read",
        );
        sample();
        // The peer starts reading (and serving) now.
        let sunk = 0;
        peer(pair.server, {
          router: echo().handle("sink", (received: Uint8Array) => {
            assertSameBytes(received, body, `notification ${sunk}`);
            sunk++;
          }),
        });
        await waiting;
        for (const reply of await Promise.all(requests)) {
          assertSameBytes(reply, body, "echo after the stall");
        }
        await until(() => sunk === sent, `all ${sent} notifications`);
      } finally {
        clearInterval(sampler);
      }
      // The bound: maxQueueBytes, plus one frame admitted to an empty queue.
      const oneFrame = body.byteLength + 64;
      assert.ok(maxQueued > 0, "the send queue held bytes");
      assert.ok(
        maxQueued <= maxQueueBytes + oneFrame,
        `queuedBytes reached ${maxQueued}, above ${maxQueueBytes} + one frame`,
      );
    },
  );

  harnessTest(
    'with overflow "error", a full send queue fails the next request with QueueFullError',
    async ({ pair, peer }) => {
      const maxQueueBytes = 64 * 1024;
      const body = randomBytes(16 * 1024 + 1, 5);
      const client = peer(pair.client, {
        queue: { maxQueueBytes, overflow: "error" },
      });
      let replies = 0;
      let full: unknown;
      let sent = 0;
      // All in one tick: nothing is written yet, so the queue fills up.
      for (; sent < 100; sent++) {
        try {
          client.call("echo", body, { onMessage: () => void replies++ });
        } catch (error) {
          full = error;
          break;
        }
      }
      assert.ok(full instanceof QueueFullError, `got ${full}`);
      assert.ok(sent <= maxQueueBytes / body.byteLength + 1, `${sent} sent`);
      assert.ok(client.stats.queuedBytes <= maxQueueBytes + body.length + 64);
      peer(pair.server, { router: echo() });
      await until(() => replies === sent, `${sent} replies`);
    },
  );

  harnessTest(
    "close() while a 16 MiB request is being written settles every request and the peer closes too",
    async ({ pair, peer }) => {
      const server = peer(pair.server, { ...large(), router: echo() });
      const client = peer(pair.client, large());
      const requests = [
        client.request("echo", randomBytes(16 * MiB, 8), { timeout: 0 }),
        ...Array.from(
          { length: 100 },
          (_, i) => client.request("echo", u32(i)),
        ),
      ];
      // One microtask: the send queue has started writing, nothing more.
      await Promise.resolve();
      assert.ok(
        client.stats.queuedBytes >= 16 * MiB,
        "the 16 MiB request is being written",
      );
      const closing = client.close();
      await rejectsClosed(requests, "request");
      await closing;
      await assert.rejects(
        client.request("echo", bytes("late")),
        ConnectionClosedError,
      );
      await server.closed;
    },
  );

  harnessTest(
    "the channel closing under a Connection mid-write fails every request with ConnectionClosedError",
    async ({ pair, peer }) => {
      const options = {
        framing: new LengthPrefixedCodec({ maxFrameSize: 64 << 20 }),
      };
      const client = peer(pair.client, options);
      // 32 MiB: more than loopback socket buffers hold, so writing stalls.
      const requests = [
        client.request("echo", randomBytes(32 * MiB, 4), { timeout: 0 }),
        ...Array.from(
          { length: 100 },
          (_, i) => client.request("echo", u32(i)),
        ),
      ];
      // The peer reads the first MiB, then stops.
      const reader = pair.server.readable.getReader();
      for (let read = 0; read < MiB;) {
        const { value, done } = await reader.read();
        assert.ok(!done, "the stream ended early");
        read += value.byteLength;
      }
      assert.ok(client.stats.queuedBytes > 0, "the request is being written");
      pair.client.close();
      await rejectsClosed(requests, "request");
      await client.closed;
      assert.ok(
        client.closedReason instanceof ConnectionClosedError,
      );
      // The peer's readable ends or errors; hanging is the failure.
      await settled((async () => {
        while (!(await reader.read()).done);
      })());
    },
  );
}
