/**
 * The vectored write of sockets that have none: `gather` and the Bun
 * channel's `writev` over a fake socket that takes part of each write.
 * Runtime-neutral.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { gather, GATHER_HEAD, nextGroup } from "../../adapters/_gather.ts";
import { SocketState } from "../../adapters/_bun_channel.ts";
import { fakeSocket } from "./_fake_bun_socket.ts";
import { concat, pattern as bytes } from "../_helpers/bytes.ts";

const mixes: Uint8Array[][] = [
  [bytes(11, 1), bytes(256 * 1024, 2)],
  [bytes(5, 1), bytes(100 * 1024, 2), bytes(7, 3), bytes(70 * 1024, 4)],
  [bytes(GATHER_HEAD, 1), bytes(GATHER_HEAD + 1, 2), bytes(3, 3)],
  [bytes(64 * 1024, 1), bytes(9, 2)],
  [bytes(4, 1), bytes(4, 2)],
  [],
];

describe("gather", () => {
  it("sends a header with its body's first 16 KiB, and the rest of the body as a view, uncopied", () => {
    const header = bytes(11, 1);
    const body = bytes(256 * 1024, 2);
    const writes = gather([header, body]);
    assert.deepEqual(writes.map((w) => w.length), [
      11 + GATHER_HEAD,
      256 * 1024 - GATHER_HEAD,
    ]);
    assert.equal(writes[1].buffer, body.buffer, "the rest is not copied");
    assert.deepEqual(concat(writes), concat([header, body]));
  });

  it("keeps every byte in order, for any mix of small and large chunks", () => {
    for (const [i, chunks] of mixes.entries()) {
      assert.deepEqual(concat(gather(chunks)), concat(chunks), `mix ${i}`);
    }
  });
});

describe("nextGroup", () => {
  it("copies large chunks whole while the group stays within `whole` bytes", () => {
    const frames = [bytes(4, 1), bytes(100_000, 2), bytes(4, 3)];
    assert.deepEqual(nextGroup(frames, 0), {
      end: 1,
      head: GATHER_HEAD,
      size: 4 + GATHER_HEAD,
    });
    assert.deepEqual(nextGroup(frames, 0, 200_000), {
      end: 3,
      head: 0,
      size: 100_008,
    });
    // The second frame does not fit: it starts the next group, whole.
    const two = [...frames, bytes(100_000, 4)];
    assert.deepEqual(nextGroup(two, 0, 150_000), {
      end: 2,
      head: 0,
      size: 100_004,
    });
    assert.deepEqual(nextGroup(two, 2, 150_000), {
      end: 4,
      head: 0,
      size: 100_004,
    });
    // A frame larger than `whole`: its header with its body's head.
    assert.deepEqual(nextGroup(two, 2, 50_000), {
      end: 3,
      head: GATHER_HEAD,
      size: 4 + GATHER_HEAD,
    });
    // A large chunk that does not fit goes out alone.
    assert.deepEqual(nextGroup(two, 3, 50_000), { end: 3, head: 0, size: 0 });
  });
});

describe("Bun channel writev", () => {
  it("writes a frame's header with its body, in order, waiting for drain when the socket takes part", async () => {
    for (const most of [1000, 40 * 1024, Infinity]) {
      for (const [i, chunks] of mixes.entries()) {
        const state = new SocketState();
        const { taken } = fakeSocket(state, { most });
        let finished = false;
        const done = state.writev(chunks)?.then(() => finished = true);
        // Each drain writes more of what the socket did not take.
        for (let i = 0; done !== undefined && !finished && i < 1000; i++) {
          state.flush();
          await Promise.resolve();
        }
        await done;
        assert.deepEqual(concat(taken), concat(chunks), `mix ${i}, ${most}`);
        if (most === Infinity && i === 0) {
          assert.equal(taken.length, 1, "header and body in one write");
        }
        state.close();
      }
    }
  });
});
