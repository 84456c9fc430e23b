/**
 * WebSocket channel limits on the runtime running the test: a message over
 * the receiver's maxMessageSize closes the channel with
 * MessageTooLargeError on both ends, and a peer whose socket stops reading
 * keeps the sender's bufferedAmount bounded by the high-water mark (plus one
 * message) while write() waits.
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, type Socket } from "node:net";
import {
  dialWebSocket,
  type WebSocketConstructor,
} from "../../src/channel/websocket_channel.ts";
import { MessageTooLargeError } from "../../src/errors.ts";
import { stillPending } from "../_conformance/_helpers.ts";
import { startWsHttp } from "./_ws_http.ts";

const MiB = 1024 * 1024;

async function webSocketClass(): Promise<WebSocketConstructor> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor })
    .WebSocket;
  if (global !== undefined) return global;
  const ws = await import("ws");
  return ws.WebSocket as unknown as WebSocketConstructor;
}

describe("WebSocket channel limits", () => {
  it(
    "a message over the receiver's maxMessageSize fails both ends with MessageTooLargeError",
    {
      timeout: 30_000,
    },
    async () => {
      const http = await startWsHttp({
        maxMessageSize: 64 * 1024,
        window: 4 * MiB,
      });
      const accepted = http.listener[Symbol.asyncIterator]().next();
      const client = await dialWebSocket(
        `${http.origin.replace("http", "ws")}/rpc?token=secret`,
        { maxMessageSize: 4 * MiB, WebSocket: await webSocketClass() },
      );
      const server = (await accepted).value!;
      try {
        const serverRead = server.io!.read();
        await client.io!.write(new Uint8Array(MiB));
        await assert.rejects(serverRead, MessageTooLargeError);
        await assert.rejects(client.io!.read(), MessageTooLargeError);
      } finally {
        client.close();
        server.close();
        await http.close();
      }
    },
  );

  it(
    "a peer that stops reading: bufferedAmount stays under the high-water mark plus a message, and write() waits",
    {
      timeout: 30_000,
    },
    async () => {
      // A WebSocket server by hand: the handshake, a credit of 1 GiB, then it
      // never reads again, so only the sockets' buffers hold what is sent.
      const sockets: Socket[] = [];
      const raw = createServer((socket) => {
        sockets.push(socket);
        socket.once("data", (request) => {
          const key = /sec-websocket-key: *(\S+)/i.exec(request.toString())![1];
          const accept = createHash("sha1")
            .update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
            .digest("base64");
          socket.write(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
              `Connection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
          );
          // One unmasked binary frame: CREDIT (tag 1) of 2^30 bytes.
          socket.write(new Uint8Array([0x82, 5, 1, 0x40, 0, 0, 0]));
          socket.pause();
        });
      });
      await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
      const port = (raw.address() as { port: number }).port;
      const Base = await webSocketClass();
      let most = 0;
      const Probe = function (url: string, protocols?: string | string[]) {
        const socket = new Base(url, protocols);
        const send = socket.send.bind(socket);
        socket.send = (data: Uint8Array) => {
          send(data);
          most = Math.max(most, socket.bufferedAmount);
        };
        return socket;
      } as unknown as WebSocketConstructor;
      const highWaterMark = 256 * 1024;
      const maxMessageSize = 64 * 1024;
      const channel = await dialWebSocket(`ws://127.0.0.1:${port}/`, {
        WebSocket: Probe,
        highWaterMark,
        maxMessageSize,
      });
      try {
        const chunk = new Uint8Array(64 * 1024);
        let pending: Promise<void> | undefined;
        for (let sent = 0; sent < 256 * MiB; sent += chunk.length) {
          const write = channel.io!.write(chunk);
          if (write !== undefined && await stillPending(write, 300)) {
            pending = write;
            break;
          }
        }
        assert.ok(pending !== undefined, "write() never waited");
        assert.ok(
          most <= highWaterMark + maxMessageSize,
          `bufferedAmount reached ${most}, over ${highWaterMark} + ${maxMessageSize}`,
        );
        pending.catch(() => {});
      } finally {
        channel.close();
        for (const socket of sockets) socket.destroy();
        raw.close();
      }
    },
  );
});
