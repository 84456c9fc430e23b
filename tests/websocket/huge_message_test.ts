/**
 * A message far over the server's maxMessageSize, past every runtime's own
 * limit too (65 MiB: Deno's server socket takes up to 64 MiB before the
 * channel sees it, and reports a larger one as "Frame too large" with close
 * code 0): the server's channel fails with MessageTooLargeError on every
 * runtime, not with a bare close. The sender is the ws package, which does
 * not speak the channel's credits, as a hostile peer would not. And the
 * other way: a 2 MiB message from a ws server to a client the adapter
 * dialed (1 MiB limit) fails the client's channel with MessageTooLargeError
 * (Deno's adapter client refuses it from the frame's header).
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MessageTooLargeError } from "../../src/errors.ts";
import { startWsHttp } from "./_ws_http.ts";
import { detectRuntime, loadAdapter } from "../../adapters/runtime.ts";

describe("WebSocket: a huge message to the server", () => {
  it("fails the server's channel with MessageTooLargeError", {
    timeout: 60_000,
  }, async () => {
    const http = await startWsHttp();
    const accepted = http.listener[Symbol.asyncIterator]().next();
    const { WebSocket } = await import("ws");
    const socket = new WebSocket(
      `${http.origin.replace("http", "ws")}/rpc?token=secret`,
    );
    socket.on("error", () => {});
    const closed = new Promise<number>((resolve) =>
      socket.on("close", (code: number) => resolve(code))
    );
    try {
      await new Promise((resolve, reject) => {
        socket.on("open", resolve);
        socket.on("error", reject);
      });
      const server = (await accepted).value!;
      const read = server.io!.read();
      // DATA (tag 0) and 65 MiB in one message.
      socket.send(new Uint8Array(65 * 1024 * 1024 + 1));
      await assert.rejects(read, MessageTooLargeError);
      server.close();
      await closed;
    } finally {
      socket.terminate();
      await http.close();
    }
  });

  it("a message over the client's maxMessageSize fails the client's channel", {
    timeout: 60_000,
  }, async () => {
    const { WebSocketServer } = await import("ws");
    const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    await new Promise((resolve) => wss.on("listening", resolve));
    wss.on("connection", (socket) => {
      socket.on("error", () => {});
      socket.send(new Uint8Array(2 * 1024 * 1024 + 1)); // DATA and 2 MiB
    });
    const { port } = wss.address() as { port: number };
    const adapter = await loadAdapter(detectRuntime());
    const client = await adapter.dial(`ws://127.0.0.1:${port}/`);
    try {
      await assert.rejects(client.io!.read(), MessageTooLargeError);
    } finally {
      client.close();
      for (const socket of wss.clients) socket.terminate();
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});
