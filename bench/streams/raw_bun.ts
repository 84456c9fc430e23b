/**
 * The raw one-way stream on Bun: `Bun.listen` / `Bun.connect` socket
 * handlers. The server writes the prebuilt frame until `socket.write()`
 * takes less than all of it, then writes the rest on `drain` (at most 256
 * frames per turn of the event loop); the client's `data` handler feeds a
 * frame reader. Bun's API is typed in bench/_bun_sockets.ts.
 *
 * @module
 */

import { FrameReader } from "../compare/_frames.ts";
import { decodeRequest } from "./_payload.ts";
import { frameOf, type RawReader, requestReader } from "./_raw.ts";
import { bun, type BunSocket } from "../_bun_sockets.ts";

/** Frames written per turn of the event loop at most. */
const TURN = 256;

/** One served connection. */
class Flood {
  read = requestReader();
  frame: Uint8Array | undefined;
  /** The unwritten rest of the frame in progress, if any. */
  rest: Uint8Array | undefined;
  count = 0;
  sent = 0;
  closed = false;

  start(socket: BunSocket<Flood>, request: Uint8Array): void {
    const { count, size } = decodeRequest(request);
    this.count = count;
    this.frame = frameOf(size);
    this.pump(socket);
  }

  pump(socket: BunSocket<Flood>): void {
    if (this.rest !== undefined) {
      const n = socket.write(this.rest);
      if (n < 0) return;
      if (n < this.rest.length) {
        this.rest = this.rest.subarray(n);
        return;
      }
      this.rest = undefined;
    }
    const frame = this.frame!;
    for (let turn = 0; turn < TURN; turn++) {
      if (this.closed) return;
      if (this.count !== 0 && this.sent === this.count) return socket.end();
      this.sent++;
      const n = socket.write(frame);
      if (n < 0) return;
      if (n < frame.length) {
        this.rest = frame.subarray(n);
        return; // on drain
      }
    }
    setTimeout(() => this.pump(socket), 0);
  }
}

/**
 * Serves streams on 127.0.0.1.
 *
 * @returns The port.
 */
export function serveFlood(): Promise<number> {
  const server = bun.listen<Flood>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = new Flood();
        socket.setNoDelay?.(true);
      },
      data(socket, bytes) {
        const request = socket.data.read(bytes);
        if (request !== undefined) socket.data.start(socket, request);
      },
      drain: (socket) => socket.data.pump(socket),
      close(socket) {
        socket.data.closed = true;
      },
      error: (socket) => socket.end(),
    },
  });
  return Promise.resolve(server.port);
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
  const reader = new FrameReader();
  const onFrame = (_: Uint8Array, payload: Uint8Array) => onMessage(payload);
  let closed!: () => void;
  const ended = new Promise<void>((resolve) => closed = resolve);
  const socket = await bun.connect<undefined>({
    hostname: "127.0.0.1",
    port,
    socket: {
      data: (_, bytes) => reader.push(bytes, onFrame),
      close: () => closed(),
      error: (socket) => socket.end(),
    },
  });
  socket.setNoDelay?.(true);
  socket.write(request);
  return { close: () => socket.end(), ended };
}
