/**
 * The raw WebSocket echo, the practical limit of listenrain over WebSocket:
 * every binary message comes back as it came, one message per request.
 * Server: `Deno.serve` + `Deno.upgradeWebSocket` on Deno, `Bun.serve`'s
 * `websocket` handlers on Bun, the `ws` package's `WebSocketServer` on Node.
 * Client: the global `WebSocket` on Deno and Bun, `ws`'s on Node (as
 * listenrain's adapters dial).
 *
 * @module
 */

import type { RuntimeName } from "../../adapters/runtime.ts";
import type { RawClient } from "../compare/_raw.ts";

interface Socket {
  binaryType: string;
  send(data: Uint8Array | ArrayBuffer): void;
  close(): void;
  addEventListener(
    type: string,
    listener: (event: { data: ArrayBuffer | Uint8Array }) => void,
  ): void;
}
type SocketClass = new (url: string) => Socket;

interface WsModule {
  WebSocket: SocketClass;
  WebSocketServer: new (
    options: { port: number; host: string; maxPayload: number },
  ) => {
    on(event: "listening", listener: () => void): void;
    on(event: "connection", listener: (socket: NodeSocket) => void): void;
    address(): { port: number };
  };
}

interface NodeSocket {
  on(event: "message", listener: (data: Uint8Array) => void): void;
  send(data: Uint8Array): void;
}

interface BunSocket {
  send(data: Uint8Array): void;
}

interface Runtimes {
  Deno: {
    serve(
      options: { hostname: string; port: number; onListen(): void },
      handler: (request: Request) => Response,
    ): { addr: { port: number } };
    upgradeWebSocket(request: Request): { socket: Socket; response: Response };
  };
  Bun: {
    serve(options: {
      hostname: string;
      port: number;
      fetch(
        request: Request,
        server: { upgrade(request: Request): boolean },
      ): Response | undefined;
      websocket: {
        message(socket: BunSocket, message: Uint8Array): void;
        maxPayloadLength: number;
      };
    }): { port: number };
  };
}

async function ws(): Promise<WsModule> {
  const module = await import("ws") as unknown as WsModule & {
    default?: WsModule;
  };
  return module.WebSocketServer ? module : module.default!;
}

/**
 * Serves the echo on 127.0.0.1 and any free port.
 *
 * @param runtime The runtime running this code.
 * @returns The port.
 */
export async function serveEcho(runtime: RuntimeName): Promise<number> {
  const g = globalThis as unknown as Runtimes;
  if (runtime === "deno") {
    const server = g.Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (request: Request) => {
        const { socket, response } = g.Deno.upgradeWebSocket(request);
        socket.binaryType = "arraybuffer";
        socket.addEventListener("message", (event) => socket.send(event.data));
        return response;
      },
    );
    return server.addr.port;
  }
  if (runtime === "bun") {
    const server = g.Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request, bunServer) =>
        bunServer.upgrade(request)
          ? undefined
          : new Response("no", { status: 400 }),
      websocket: {
        message: (socket, message) => socket.send(message),
        maxPayloadLength: 16 * 1024 * 1024,
      },
    });
    return server.port;
  }
  const { WebSocketServer } = await ws();
  const server = new WebSocketServer({
    port: 0,
    host: "127.0.0.1",
    maxPayload: 16 * 1024 * 1024,
  });
  server.on("connection", (socket) => {
    socket.on("message", (data) => socket.send(data));
  });
  await new Promise<void>((resolve) => server.on("listening", resolve));
  return server.address().port;
}

/**
 * Connects to the echo; `onReply` gets every reply, in order.
 *
 * @param runtime The runtime running this code.
 * @param port The server's port.
 * @param onReply Called with each reply.
 * @returns The client.
 */
export async function connect(
  runtime: RuntimeName,
  port: number,
  onReply: (payload: Uint8Array) => void,
): Promise<RawClient> {
  const Socket = runtime === "node"
    ? (globalThis as { WebSocket?: SocketClass }).WebSocket ??
      (await ws()).WebSocket
    : (globalThis as unknown as { WebSocket: SocketClass }).WebSocket;
  const socket = new Socket(`ws://127.0.0.1:${port}/`);
  socket.binaryType = "arraybuffer";
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve);
    socket.addEventListener("error", reject);
  });
  socket.addEventListener("message", (event) => {
    const data = event.data;
    onReply(
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
  });
  return {
    send: (body) => socket.send(body),
    close: () => socket.close(),
  };
}
