/**
 * The channel over a pull-based connection (Deno's): `writev` sends a
 * frame's header with its body, in order, through partial writes.
 * Runtime-neutral: the connection is a fake.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { connChannel, type PullConn } from "../../adapters/_conn_channel.ts";
import type { ChannelAddr } from "../../src/channel/channel.ts";

const addr: ChannelAddr = { transport: "tcp", hostname: "127.0.0.1", port: 1 };

/** A connection that records each write and takes at most `most` bytes of it. */
function recording(most: number): PullConn & { writes: Uint8Array[] } {
  const writes: Uint8Array[] = [];
  return {
    writes,
    read: () => Promise.resolve(null),
    write(bytes) {
      const taken = bytes.slice(0, most);
      writes.push(taken);
      return Promise.resolve(taken.length);
    },
    closeWrite: () => Promise.resolve(),
    close() {},
  };
}

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);
}

function concat(arrays: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const array of arrays) {
    out.set(array, at);
    at += array.length;
  }
  return out;
}

describe("connChannel writev", () => {
  it("a small header and a large body leave in one write (the header with the body's first 16 KiB), the rest of the body uncopied", async () => {
    const conn = recording(Infinity);
    const channel = connChannel(conn, addr, addr);
    const header = bytes(11, 1);
    const body = bytes(256 * 1024, 2);
    await channel.io!.writev!([header, body]);
    assert.equal(conn.writes.length, 2);
    assert.equal(conn.writes[0].length, 11 + 16 * 1024);
    assert.deepEqual(concat(conn.writes), concat([header, body]));
    channel.close();
  });

  it("keeps the bytes in order through partial writes, for any mix of small and large chunks", async () => {
    const chunks = [
      bytes(5, 1),
      bytes(100 * 1024, 2),
      bytes(7, 3),
      bytes(9, 4),
      bytes(70 * 1024, 5),
      bytes(16 * 1024, 6),
      bytes(3, 7),
    ];
    for (const most of [1000, 16 * 1024 + 3, Infinity]) {
      for (let from = 0; from < chunks.length; from++) {
        const some = chunks.slice(from);
        const conn = recording(most);
        const channel = connChannel(conn, addr, addr);
        await channel.io!.writev!(some);
        assert.deepEqual(concat(conn.writes), concat(some), `from ${from}`);
        channel.close();
      }
    }
  });

  it("throws once closed", () => {
    const channel = connChannel(recording(Infinity), addr, addr);
    channel.close();
    assert.throws(() => channel.io!.writev!([new Uint8Array(1)]));
  });
});
