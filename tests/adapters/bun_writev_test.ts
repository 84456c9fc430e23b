/**
 * The Bun channel's `writev` copies a frame of up to `WHOLE_MAX` bytes
 * whole, and a larger one's header with its body's first 16 KiB, into a
 * buffer shared by the thread's sockets: reused by every write; what a
 * socket did not take is copied out before another write reuses it, or,
 * when large, keeps the buffer. Over fake sockets; runtime-neutral.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { GATHER_HEAD } from "../../adapters/_gather.ts";
import { SocketState, WHOLE_MAX } from "../../adapters/_bun_channel.ts";
import { fakeSocket } from "./_fake_bun_socket.ts";
import { concat, pattern as bytes } from "../_helpers/bytes.ts";

/** Drains `state` until `done` settles (at most 1000 times). */
async function drain(state: SocketState, done: Promise<void> | undefined) {
  let finished = false;
  const settled = done?.then(() => finished = true);
  for (let i = 0; settled !== undefined && !finished && i < 1000; i++) {
    state.flush();
    await Promise.resolve();
  }
  await settled;
}

/** Two channels over fake sockets that take at most `most` bytes per write. */
function pair(mostA: number, mostB: number) {
  const a = new SocketState();
  const b = new SocketState();
  return [
    a,
    b,
    fakeSocket(a, { most: mostA }),
    fakeSocket(b, { most: mostB }),
  ] as const;
}

describe("Bun channel writev: the shared head buffer", () => {
  it("copies every frame's header and head into the same buffer, for every socket", () => {
    const [a, b, sa, sb] = pair(Infinity, Infinity);
    const first = [bytes(11, 1), bytes(WHOLE_MAX + 1, 2)];
    const second = [bytes(13, 3), bytes(WHOLE_MAX + 40 * 1024, 4)];
    assert.equal(a.writev(first), undefined);
    assert.equal(b.writev(second), undefined);
    assert.equal(a.writev(second), undefined);
    const heads = [sa.written[0], sb.written[0], sa.written[2]];
    assert.equal(heads[0].length, 11 + GATHER_HEAD);
    assert.equal(heads[1].buffer, heads[0].buffer, "no new array per frame");
    assert.equal(heads[2].buffer, heads[0].buffer);
    assert.equal(sa.written[1].buffer, first[1].buffer, "the rest uncopied");
    assert.deepEqual(concat(sa.taken), concat([...first, ...second]));
    assert.deepEqual(concat(sb.taken), concat(second));
    a.close();
    b.close();
  });

  it("writes a frame of up to WHOLE_MAX bytes whole, in one write through the same buffer", () => {
    const [a, b, sa, sb] = pair(Infinity, Infinity);
    const first = [bytes(11, 1), bytes(256 * 1024, 2)];
    // Two frames that fit together go out in one write too.
    const second = [
      bytes(13, 3),
      bytes(100 * 1024, 4),
      bytes(7, 5),
      bytes(9, 6),
    ];
    const largest = [bytes(4, 7), bytes(WHOLE_MAX - 4, 8)];
    assert.equal(a.writev(largest), undefined);
    assert.equal(b.writev(second), undefined);
    assert.equal(a.writev(first), undefined);
    assert.deepEqual(sa.written.map((w) => w.length), [
      WHOLE_MAX,
      11 + 256 * 1024,
    ]);
    assert.deepEqual(sb.written.map((w) => w.length), [100 * 1024 + 29]);
    const buffer = sa.written[0].buffer;
    assert.ok(sb.written[0].buffer === buffer, "no new array per frame");
    assert.ok(sa.written[1].buffer === buffer, "no new array per frame");
    assert.deepEqual(concat(sa.taken), concat([...largest, ...first]));
    assert.deepEqual(concat(sb.taken), concat(second));
    a.close();
    b.close();
  });

  it("hands the buffer to a socket that did not take a large rest of it, uncopied", async () => {
    const [a, b, sa, sb] = pair(5000, Infinity);
    const chunksA = [bytes(11, 1), bytes(256 * 1024, 2)];
    const chunksB = [bytes(9, 7), bytes(128 * 1024, 8)];
    const waiting = a.writev(chunksA);
    assert.notEqual(waiting, undefined, "the socket took part of the frame");
    // Another socket writes before `a` drains: into another buffer.
    assert.equal(b.writev(chunksB), undefined);
    assert.ok(sb.written[0].buffer !== sa.written[0].buffer, "another buffer");
    await drain(a, waiting);
    assert.ok(sa.written.length > 2);
    for (const write of sa.written) {
      assert.ok(
        write.buffer === sa.written[0].buffer,
        "the rest is not copied",
      );
    }
    assert.deepEqual(concat(sa.taken), concat(chunksA));
    assert.deepEqual(concat(sb.taken), concat(chunksB));
    // The next write takes the buffer `b` used.
    assert.equal(b.writev(chunksB), undefined);
    assert.ok(sb.written[1].buffer === sb.written[0].buffer, "the same buffer");
    a.close();
    b.close();
  });

  it("keeps what a socket did not take of it when another write reuses the buffer", async () => {
    const [a, b, sa, sb] = pair(5000, Infinity);
    const chunksA = [bytes(11, 1), bytes(64 * 1024, 2)];
    const chunksB = [bytes(9, 7), bytes(64 * 1024, 8)];
    const waiting = a.writev(chunksA);
    assert.notEqual(waiting, undefined, "the socket took part of the head");
    // Another socket writes through the shared buffer before `a` drains.
    assert.equal(b.writev(chunksB), undefined);
    await drain(a, waiting);
    assert.deepEqual(concat(sa.taken), concat(chunksA));
    assert.deepEqual(concat(sb.taken), concat(chunksB));
    a.close();
    b.close();
  });

  it("writes groups larger than the shared buffer, and any mix of chunks, in order", async () => {
    const small = Array.from({ length: 12 }, (_, i) => bytes(GATHER_HEAD, i));
    const mixes: Uint8Array[][] = [
      [...small, bytes(300 * 1024, 20)],
      [bytes(GATHER_HEAD + 1, 1), bytes(3, 2), bytes(5, 3)],
      [bytes(7, 1), bytes(8, 2), bytes(90 * 1024, 3), bytes(9, 4)],
      [bytes(4, 1)],
    ];
    for (const most of [777, 20 * 1024, Infinity]) {
      for (const [i, chunks] of mixes.entries()) {
        const state = new SocketState();
        const { taken } = fakeSocket(state, { most });
        await drain(state, state.writev(chunks));
        assert.deepEqual(concat(taken), concat(chunks), `mix ${i}, ${most}`);
        state.close();
      }
    }
  });
});
