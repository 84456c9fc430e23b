/**
 * The raw one-way stream on Deno: `Deno.listen` / `Deno.connect`. The
 * server awaits `conn.write()` of the prebuilt frame again and again; the
 * client reads into one reused 64 KiB buffer (the rest of a large frame
 * straight into the frame's own buffer) and splits frames. TCP_NODELAY on.
 * Deno's API is typed as a small local interface.
 *
 * @module
 */

import { FrameReader } from "../compare/_frames.ts";
import { decodeRequest } from "./_payload.ts";
import { frameOf, type RawReader, requestReader } from "./_raw.ts";

interface Conn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
  setNoDelay(noDelay?: boolean): void;
}
interface DenoLike {
  listen(options: { hostname: string; port: number }):
    & AsyncIterable<Conn>
    & { addr: { port: number } };
  connect(options: { hostname: string; port: number }): Promise<Conn>;
}

const deno = (globalThis as unknown as { Deno: DenoLike }).Deno;
const READ_SIZE = 64 * 1024;

function close(conn: Conn): void {
  try {
    conn.close();
  } catch { /* closed */ }
}

async function serve(conn: Conn): Promise<void> {
  conn.setNoDelay(true);
  const read = requestReader();
  const scratch = new Uint8Array(16);
  let request: Uint8Array | undefined;
  while (request === undefined) {
    const n = await conn.read(scratch);
    if (n === null) return;
    request = read(scratch.subarray(0, n));
  }
  const { count, size } = decodeRequest(request);
  const frame = frameOf(size);
  for (let sent = 0; count === 0 || sent < count; sent++) {
    for (let at = 0; at < frame.length;) {
      at += await conn.write(at === 0 ? frame : frame.subarray(at));
    }
  }
}

/**
 * Serves streams on 127.0.0.1.
 *
 * @returns The port.
 */
export function serveFlood(): Promise<number> {
  const listener = deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) {
      serve(conn).catch(() => {}).finally(() => close(conn));
    }
  })();
  return Promise.resolve(listener.addr.port);
}

/**
 * Reads one stream.
 *
 * @param port The server's port on 127.0.0.1.
 * @param request The stream request.
 * @param onMessage Called with each payload, in order.
 * @returns The connection.
 */
export async function readFlood(
  port: number,
  request: Uint8Array,
  onMessage: (payload: Uint8Array) => void,
): Promise<RawReader> {
  const conn = await deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  await conn.write(request);
  const onFrame = (_: Uint8Array, payload: Uint8Array) => onMessage(payload);
  const ended = (async () => {
    const scratch = new Uint8Array(READ_SIZE);
    const reader = new FrameReader();
    for (;;) {
      const target = reader.target(READ_SIZE);
      const n = await conn.read(target ?? scratch);
      if (n === null) return;
      if (target) reader.advance(n, onFrame);
      else reader.push(scratch.subarray(0, n), onFrame);
    }
  })().catch(() => {});
  return { close: () => close(conn), ended };
}
