/**
 * The raw baseline on Node: `node:net` sockets with the same length-prefixed
 * framing as listenrain, written by hand for speed. `'data'` events feed a
 * {@linkcode FrameReader}; every frame produced in one tick goes out in one
 * `socket.write()` (a {@linkcode Batch}); `setNoDelay(true)`.
 *
 * @module
 */

import * as net from "node:net";
import { Batch, FrameReader } from "./_frames.ts";
import type { RawClient, RawServer } from "./_raw.ts";

/** Writes a batch once per tick. */
class Writer {
  #batch = new Batch();
  #scheduled = false;
  #socket: net.Socket;
  #flush = () => {
    this.#scheduled = false;
    const chunks = this.#batch.take();
    if (chunks.length === 1) {
      this.#socket.write(chunks[0]);
      return;
    }
    this.#socket.cork();
    for (const chunk of chunks) this.#socket.write(chunk);
    this.#socket.uncork();
  };

  constructor(socket: net.Socket) {
    this.#socket = socket;
  }

  /** The batch of this tick. */
  get batch(): Batch {
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flush);
    }
    return this.#batch;
  }
}

function listen(
  backlog: number,
  onSocket: (socket: net.Socket) => void,
): Promise<net.Server> {
  const server = net.createServer(onSocket);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, backlog }, () => {
      server.on("error", () => {});
      resolve(server);
    });
  });
}

function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

/**
 * Serves echo: every frame comes back as it came.
 *
 * @param backlog The listen backlog.
 * @returns The server.
 */
export async function serveEcho(backlog = 511): Promise<RawServer> {
  let accepted = 0;
  const server = await listen(backlog, (socket) => {
    accepted++;
    socket.setNoDelay(true);
    const reader = new FrameReader();
    const writer = new Writer(socket);
    const onFrame = (frame: Uint8Array) => writer.batch.add(frame);
    socket.on("data", (chunk) => reader.push(chunk, onFrame));
    socket.on("error", () => socket.destroy());
  });
  return { port: portOf(server), accepted: () => accepted };
}

/**
 * Accepts connections and holds them, reading nothing: the runtime's own
 * cost of an idle socket.
 *
 * @param backlog The listen backlog.
 * @returns The server.
 */
export async function serveHold(backlog = 511): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const server = await listen(backlog, (socket) => {
    sockets.add(socket);
    socket.on("error", () => socket.destroy());
    socket.on("close", () => sockets.delete(socket));
  });
  return { port: portOf(server), accepted: () => sockets.size };
}

/**
 * Connects to a raw echo server.
 *
 * @param port The server's port on 127.0.0.1.
 * @param onReply Called with each reply's payload (a view valid during the
 *   call), in order.
 * @returns The connection.
 */
export function connect(
  port: number,
  onReply: (payload: Uint8Array) => void,
): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => {
      socket.off("error", reject);
      socket.setNoDelay(true);
      const reader = new FrameReader();
      const writer = new Writer(socket);
      const onFrame = (_: Uint8Array, payload: Uint8Array) => onReply(payload);
      socket.on("data", (chunk) => reader.push(chunk, onFrame));
      socket.on("error", () => socket.destroy());
      resolve({
        send: (body) => writer.batch.addFrame(body),
        close: () => socket.destroy(),
      });
    });
    socket.once("error", reject);
  });
}
