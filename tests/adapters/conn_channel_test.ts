/**
 * The channel over a pull-based connection (Deno's): `writev` sends a
 * frame's header with its body, in order, through partial writes.
 * Runtime-neutral: the connection is a fake.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  connChannel,
  connChannelOf,
  type PullConn,
} from "../../adapters/_conn_channel.ts";
import { parseKey } from "../../adapters/_key.ts";
import type { ChannelAddr } from "../../src/channel/channel.ts";
import { Connection } from "../../src/connection/connection.ts";
import { Router } from "../../src/transport/router.ts";
import { concat, pattern as bytes } from "../_helpers/bytes.ts";

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

/**
 * Two pull-based connections joined in memory, as Deno's TCP pair: each
 * write is taken up to 64 KiB at a time, each read copies what waits into
 * the reader's buffer. Every buffer a read was given is recorded.
 */
function pullPair(): [PullConn, PullConn, Uint8Array[]] {
  const targets: Uint8Array[] = [];
  const inboxes: Uint8Array[][] = [[], []];
  const ended = [false, false];
  const wakers: ((() => void) | undefined)[] = [undefined, undefined];
  const end = (side: number) => {
    const peer = 1 - side;
    ended[peer] = true;
    wakers[peer]?.();
  };
  const side = (me: number): PullConn => ({
    async read(buffer) {
      targets.push(buffer);
      const inbox = inboxes[me];
      while (inbox.length === 0) {
        if (ended[me]) return null;
        await new Promise<void>((resolve) => wakers[me] = resolve);
        wakers[me] = undefined;
      }
      let n = 0;
      while (inbox.length > 0 && n < buffer.length) {
        const piece = inbox[0];
        const take = Math.min(piece.length, buffer.length - n);
        buffer.set(piece.subarray(0, take), n);
        n += take;
        if (take === piece.length) inbox.shift();
        else inbox[0] = piece.subarray(take);
      }
      return n;
    },
    write(bytes) {
      const taken = bytes.slice(0, 64 * 1024);
      inboxes[1 - me].push(taken);
      wakers[1 - me]?.();
      return Promise.resolve(taken.length);
    },
    closeWrite: () => Promise.resolve(end(me)),
    close: () => {
      end(me);
      end(1 - me);
    },
  });
  return [side(0), side(1), targets];
}

describe("connChannel readInto", () => {
  it(
    "the rest of a large frame is read straight into the frame's own buffer: the replies held are those buffers, each its own",
    {
      timeout: 30_000,
    },
    async () => {
      const [a, b, targets] = pullPair();
      const router = new Router().handle("echo", (body: Uint8Array) => body);
      const server = new Connection(connChannel(b, addr, addr), { router });
      const client = new Connection(connChannel(a, addr, addr));
      const bodies = [1, 2, 3, 4].map((seed) => bytes(1024 * 1024, seed));
      const replies: Uint8Array[] = [];
      for (const body of bodies) {
        replies.push(await client.request("echo", body) as Uint8Array);
      }
      await client.close();
      await server.close();
      replies.forEach((reply, i) => {
        assert.ok(reply.every((x, j) => x === bodies[i][j]), `reply ${i}`);
      });
      // The first reply of its size is joined from chunks; the later ones are
      // read into their own buffers (the frame's, which the body views).
      for (const reply of replies.slice(1)) {
        assert.ok(
          targets.some((t) => t.buffer === reply.buffer),
          "no read went straight into the reply's buffer",
        );
      }
      assert.equal(new Set(replies.map((r) => r.buffer)).size, 4);
    },
  );
});

describe("connChannel read", () => {
  /** A connection whose reads play `script`: a byte count, an error, or the end. */
  function scripted(script: (number | Error | null)[]): PullConn {
    return {
      read(buffer) {
        const step = script.shift();
        if (step instanceof Error) return Promise.reject(step);
        if (typeof step === "number") buffer.fill(7, 0, step);
        return Promise.resolve(step === undefined ? null : step);
      },
      write: (bytes) => Promise.resolve(bytes.length),
      closeWrite: () => Promise.resolve(),
      close() {},
    };
  }

  it("skips reads of no bytes, hands out what each read brought, and ends with null", async () => {
    const io = connChannel(scripted([0, 3, 0, 0, 2, null]), addr, addr).io!;
    assert.deepEqual(await io.read(), new Uint8Array([7, 7, 7]));
    assert.deepEqual(await io.read(), new Uint8Array([7, 7]));
    assert.equal(await io.read(), null);
    assert.equal(await io.read(), null);
  });

  it("a failed read throws once; later reads end; once closed, a failure ends quietly", async () => {
    const failure = new Error("reset");
    const io = connChannel(scripted([1, failure]), addr, addr).io!;
    assert.deepEqual(await io.read(), new Uint8Array([7]));
    await assert.rejects(io.read(), (error) => error === failure);
    assert.equal(await io.read(), null);
    const channel = connChannel(
      scripted([new Error("closed under it")]),
      addr,
      addr,
    );
    const pending = channel.io!.read();
    channel.close();
    assert.equal(await pending, null);
  });
});

describe("connChannelOf addresses", () => {
  /** A connection that counts how often its addresses are read. */
  function reporting(): PullConn & { looks: number } {
    const conn = {
      looks: 0,
      read: () => new Promise<number | null>(() => {}),
      write: (bytes: Uint8Array) => Promise.resolve(bytes.length),
      closeWrite: () => Promise.resolve(),
      close() {},
      get localAddr() {
        conn.looks++;
        return { transport: "tcp", hostname: "10.0.0.1", port: 7000 };
      },
      get remoteAddr() {
        conn.looks++;
        return { transport: "tcp", hostname: "10.0.0.2", port: 40000 };
      },
    };
    return conn;
  }

  it("are made from the connection's on first use, once, and stay right after close", async () => {
    const conn = reporting();
    const channel = connChannelOf(
      conn,
      parseKey("tls://example.com:7000"),
      "client",
    );
    void channel.io!.read(); // an idle connection: a read pending, nothing else
    await Promise.resolve();
    assert.equal(
      conn.looks,
      0,
      "nothing read the addresses before they were asked for",
    );
    channel.close();
    assert.deepEqual({ ...channel.remoteAddr }, {
      transport: "tls",
      hostname: "10.0.0.2",
      port: 40000,
    });
    assert.deepEqual({ ...channel.localAddr }, {
      transport: "tls",
      hostname: "10.0.0.1",
      port: 7000,
    });
    assert.equal(conn.looks, 2);
    assert.equal(channel.localAddr, channel.localAddr, "made once");
    assert.equal(channel.remoteAddr, channel.remoteAddr);
    assert.equal(conn.looks, 2);
  });

  it("name the key's path on a Unix socket's listening side, and \"\" on its dialing side", () => {
    const key = parseKey("unix:///tmp/listenrain-lazy.sock");
    const server = connChannelOf(reporting(), key, "server");
    const client = connChannelOf(reporting(), key, "client");
    assert.deepEqual([server.localAddr, server.remoteAddr], [
      { transport: "unix", path: "/tmp/listenrain-lazy.sock" },
      { transport: "unix", path: "" },
    ]);
    assert.deepEqual([client.remoteAddr, client.localAddr], [
      { transport: "unix", path: "/tmp/listenrain-lazy.sock" },
      { transport: "unix", path: "" },
    ]);
    server.close();
    client.close();
  });
});
