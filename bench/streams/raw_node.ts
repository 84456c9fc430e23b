/**
 * The raw one-way stream on Node: `node:net`. The server writes the
 * prebuilt frame with `socket.write()` until it returns false, then waits
 * for `'drain'`; the client's `'data'` events feed a frame reader.
 * `setNoDelay(true)` on both sides.
 *
 * @module
 */

import * as net from "node:net";
import { FrameReader } from "../compare/_frames.ts";
import { decodeRequest } from "./_payload.ts";
import { frameOf, type RawReader, requestReader } from "./_raw.ts";

function flood(socket: net.Socket, request: Uint8Array): void {
  const { count, size } = decodeRequest(request);
  const frame = frameOf(size);
  let sent = 0;
  const pump = () => {
    while (!socket.destroyed && (count === 0 || sent < count)) {
      sent++;
      if (!socket.write(frame)) {
        socket.once("drain", pump);
        return;
      }
    }
    if (!socket.destroyed) socket.end();
  };
  pump();
}

/**
 * Serves streams on 127.0.0.1.
 *
 * @returns The port.
 */
export function serveFlood(): Promise<number> {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const read = requestReader();
    const onData = (chunk: Uint8Array) => {
      const request = read(chunk);
      if (request === undefined) return;
      socket.off("data", onData);
      socket.resume();
      flood(socket, request);
    };
    socket.on("data", onData);
    socket.on("error", () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/**
 * Reads one stream.
 *
 * @param port The server's port on 127.0.0.1.
 * @param request The stream request.
 * @param onMessage Called with each payload, in order.
 * @returns The connection.
 */
export function readFlood(
  port: number,
  request: Uint8Array,
  onMessage: (payload: Uint8Array) => void,
): Promise<RawReader> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => {
      socket.off("error", reject);
      socket.setNoDelay(true);
      const reader = new FrameReader();
      const onFrame = (_: Uint8Array, payload: Uint8Array) =>
        onMessage(payload);
      socket.on("data", (chunk) => reader.push(chunk, onFrame));
      socket.on("error", () => socket.destroy());
      const ended = new Promise<void>((done) => socket.once("close", done));
      socket.write(request);
      resolve({ close: () => socket.destroy(), ended });
    });
    socket.once("error", reject);
  });
}
