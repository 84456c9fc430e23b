/**
 * The raw one-way stream on Bun: `Bun.listen` / `Bun.connect` socket
 * handlers. The server writes the prebuilt frame until `socket.write()`
 * takes less than all of it, then writes the rest on `drain` (at most 256
 * frames per turn of the event loop); the client's `data` handler feeds a
 * frame reader. Bun's API is typed as a small local interface.
 *
 * @module
 */

import { FrameReader } from "../compare/_frames.ts";
import { decodeRequest } from "./_payload.ts";
import { frameOf, type RawReader, requestReader } from "./_raw.ts";

interface Socket<T> {
  data: T;
  write(bytes: Uint8Array): number;
  end(): void;
  setNoDelay?(noDelay?: boolean): boolean;
}
interface Handlers<T> {
  open?(socket: Socket<T>): void;
  data?(socket: Socket<T>, bytes: Uint8Array): void;
  drain?(socket: Socket<T>): void;
  close?(socket: Socket<T>): void;
  error?(socket: Socket<T>, error: Error): void;
}
interface BunLike {
  listen<T>(options: {
    hostname: string;
    port: number;
    socket: Handlers<T>;
  }): { port: number };
  connect<T>(options: {
    hostname: string;
    port: number;
    data?: T;
    socket: Handlers<T>;
  }): Promise<Socket<T>>;
}

const bun = (globalThis as unknown as { Bun: BunLike }).Bun;
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

  start(socket: Socket<Flood>, request: Uint8Array): void {
    const { count, size } = decodeRequest(request);
    this.count = count;
    this.frame = frameOf(size);
    this.pump(socket);
  }

  pump(socket: Socket<Flood>): void {
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
