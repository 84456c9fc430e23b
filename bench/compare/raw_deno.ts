/**
 * The raw baseline on Deno: `Deno.listen` / `Deno.connect` with the same
 * length-prefixed framing as listenrain, written by hand for speed.
 * `conn.read` into one reused 64 KiB buffer (the rest of a large frame is
 * read straight into the frame's own buffer); every frame produced in one
 * tick goes out in one `conn.write()` (a {@linkcode Batch}); TCP_NODELAY on.
 * Deno's API is typed as a small local interface.
 *
 * @module
 */

import type { FifoSender } from "./_workload.ts";
import { Batch, FrameReader, type OnFrame } from "./_frames.ts";
import type { RawClient, RawServer } from "./_raw.ts";

interface Conn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
  setNoDelay(noDelay?: boolean): void;
}
interface DenoLike {
  listen(options: {
    hostname: string;
    port: number;
    tcpBacklog?: number;
  }): AsyncIterable<Conn> & { addr: { port: number } };
  connect(options: { hostname: string; port: number }): Promise<Conn>;
}

const deno = (globalThis as unknown as { Deno: DenoLike }).Deno;
const READ_SIZE = 64 * 1024;

/** Writes every chunk, however many calls `conn.write` takes. */
async function writeAll(conn: Conn, chunks: Uint8Array[]): Promise<void> {
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length;) {
      at += await conn.write(at === 0 ? chunk : chunk.subarray(at));
    }
  }
}

/**
 * Reads frames until the connection ends, calling `afterRead` after the
 * frames of each read.
 */
async function readFrames(
  conn: Conn,
  onFrame: OnFrame,
  afterRead: () => Promise<void> | void,
): Promise<void> {
  const scratch = new Uint8Array(READ_SIZE);
  const reader = new FrameReader();
  for (;;) {
    const target = reader.target(READ_SIZE);
    const n = await conn.read(target ?? scratch);
    if (n === null) return;
    if (target) reader.advance(n, onFrame);
    else reader.push(scratch.subarray(0, n), onFrame);
    const after = afterRead();
    if (after) await after;
  }
}

function close(conn: Conn): void {
  try {
    conn.close();
  } catch { /* closed */ }
}

function listen(backlog: number) {
  return deno.listen({ hostname: "127.0.0.1", port: 0, tcpBacklog: backlog });
}

/**
 * Serves echo: every frame comes back as it came. Each connection reads,
 * writes the frames of that read in one write, and reads again.
 *
 * @param backlog The listen backlog.
 * @returns The server.
 */
export function serveEcho(backlog = 511): Promise<RawServer> {
  const listener = listen(backlog);
  let accepted = 0;
  const serve = async (conn: Conn) => {
    conn.setNoDelay(true);
    const batch = new Batch();
    const onFrame = (frame: Uint8Array) => batch.add(frame);
    try {
      await readFrames(
        conn,
        onFrame,
        () => batch.bytes > 0 ? writeAll(conn, batch.take()) : undefined,
      );
    } catch { /* the peer went away */ }
    close(conn);
  };
  (async () => {
    for await (const conn of listener) {
      accepted++;
      void serve(conn);
    }
  })();
  return Promise.resolve({
    port: listener.addr.port,
    accepted: () => accepted,
  });
}

/**
 * Accepts connections and holds them, reading nothing: the runtime's own
 * cost of an idle socket.
 *
 * @param backlog The listen backlog.
 * @returns The server.
 */
export function serveHold(backlog = 511): Promise<RawServer> {
  const listener = listen(backlog);
  const conns: Conn[] = [];
  (async () => {
    for await (const conn of listener) conns.push(conn);
  })();
  return Promise.resolve({
    port: listener.addr.port,
    accepted: () => conns.length,
  });
}

/**
 * Connects to a raw echo server. Reading and writing run concurrently;
 * bodies sent in one tick go out in one write, and while a write is in
 * progress the next batch gathers.
 *
 * @param port The server's port on 127.0.0.1.
 * @param onReply Called with each reply's payload (a view valid during the
 *   call), in order.
 * @returns The connection.
 */
export async function connect(
  port: number,
  onReply: (payload: Uint8Array) => void,
): Promise<RawClient> {
  const conn = await deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const batch = new Batch();
  let busy = false;
  const flush = async () => {
    busy = true;
    try {
      while (batch.bytes > 0) await writeAll(conn, batch.take());
    } catch { /* closed */ }
    busy = false;
  };
  const sender: FifoSender = {
    send(body) {
      batch.addFrame(body);
      if (!busy) {
        busy = true;
        queueMicrotask(flush);
      }
    },
  };
  readFrames(conn, (_, payload) => onReply(payload), () => {}).catch(() => {});
  return { send: sender.send, close: () => close(conn) };
}
