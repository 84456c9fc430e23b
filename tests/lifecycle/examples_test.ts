/** Runs the lifecycle examples (examples/*.ts of gev's and tcpserver's kinds) over TCP. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { main as gracefulShutdown } from "../../examples/graceful_shutdown.ts";
import { main as idleCleanup } from "../../examples/idle_cleanup.ts";
import { main as maxConnections } from "../../examples/max_connections.ts";
import { main as pushOnTimer } from "../../examples/push_on_timer.ts";
import { within } from "./_helpers.ts";

const quiet = () => {};

describe("examples", () => {
  it("max_connections: two clients served, the third refused with the reason", {
    timeout: 60_000,
  }, async () => {
    const { replies, refused } = await within(
      20_000,
      "example",
      maxConnections(quiet),
    );
    assert.deepEqual(replies, ["hello, ann", "hello, bob"]);
    assert.match(refused, /maxConnections 2/);
  });

  it(
    "idle_cleanup: the idle connection is closed and a new one opens on demand",
    { timeout: 60_000 },
    async () => {
      const stats = await within(20_000, "example", idleCleanup(quiet));
      assert.deepEqual(stats, { accepted: 2, idleClosed: 1 });
    },
  );

  it(
    "push_on_timer: both clients get the server's ticks",
    { timeout: 60_000 },
    async () => {
      const received = await within(20_000, "example", pushOnTimer(quiet));
      assert.equal(received.length, 2);
      for (const count of received) assert.ok(count >= 2, `${count} ticks`);
    },
  );

  it("graceful_shutdown: in-flight requests finish, a late one is refused", {
    timeout: 60_000,
  }, async () => {
    const { replies, late } = await within(
      20_000,
      "example",
      gracefulShutdown(quiet),
    );
    assert.deepEqual(replies, [1, 4, 9, 16, 25]);
    assert.match(late, /Cannot connect|going away|closed/);
  });
});
