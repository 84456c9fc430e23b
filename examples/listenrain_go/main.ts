/**
 * Speak the Go ListenRain benchmark's protocol from TypeScript.
 *
 * Run (any runtime; the adapter is picked for it):
 *
 * ```sh
 * node --import tsx examples/listenrain_go/main.ts          # echo server + client on loopback, frames printed
 * node --import tsx examples/listenrain_go/main.ts serve 9000                # an echo server for a Go client
 * node --import tsx examples/listenrain_go/main.ts call tcp://127.0.0.1:9000 hello  # a client for a Go server
 * deno run -A examples/listenrain_go/main.ts                # the same on Deno
 * bun examples/listenrain_go/main.ts                        # and on Bun
 * ```
 *
 * The echo server answers every request with its payload, as the seed's
 * benchmark server does. Both are listenrain's `Server` and `Client`
 * speaking {@linkcode seedProtocol}, each with the seed's role: the server's
 * connections are `"server"` (every frame a request to the one route,
 * `SEED_ROUTE`), the client's `"client"` (every frame a reply; one whose id
 * is not pending is dropped).
 *
 * Frames are limited to 16 MiB of id and payload unless `maxFrameSize` is
 * given to {@linkcode serveEcho} or {@linkcode call}; the seed has no limit.
 * A larger frame from a Go client closes its connection, and the Go client
 * dials again and resends it, in a loop: raise the limit to the largest frame
 * the Go side sends. The seed's own benchmark server reads every frame as 36
 * bytes of id plus its `-payloadSize` flag (4096 unless set), whatever the
 * length says, so `call` it with payloads of exactly that size.
 *
 * @module
 */

import process from "node:process";
import { loadAdapter } from "../../adapters/runtime.ts";
import { Client, type Listener, Router, Server } from "../../mod.ts";
import { isMain } from "../_main.ts";
import { SeedMessageCodec, seedPacketCodec } from "./codec.ts";
import { SEED_ROUTE, seedProtocol } from "./protocol.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Options of {@linkcode serveEcho} and {@linkcode call}. */
export interface SeedHelperOptions {
  /**
   * The largest frame payload (36-byte id and message payload) sent or
   * accepted; the seed has no limit. A larger frame from the peer closes
   * its connection; a larger request fails with `FrameTooLargeError`.
   * @default {16777216}
   */
  maxFrameSize?: number;
}

/**
 * A {@linkcode Server} that serves an echo handler on every channel
 * `listener` accepts, until it closes. It speaks the `"server"`-role seed
 * protocol: every frame it reads is a request to {@linkcode SEED_ROUTE},
 * answered with its payload.
 *
 * @param listener Where channels come from.
 * @param options The frame limit (16 MiB unless raised).
 * @returns The server, to close at the end.
 */
export function serveEcho(
  listener: Listener,
  options: SeedHelperOptions = {},
): Server {
  const server = new Server({
    protocol: seedProtocol({
      role: "server",
      maxFrameSize: options.maxFrameSize,
    }),
    router: new Router().handle(SEED_ROUTE, (payload: Uint8Array) => payload),
  });
  server.serve(listener).catch(() => {});
  return server;
}

/**
 * Sends `texts` as requests to a seed-protocol server at `key` and returns
 * the replies as text. A {@linkcode Client} speaking the `"client"`-role
 * seed protocol: every frame it reads is a reply, and one whose id is not
 * pending (late after a timeout, or unknown) is dropped.
 *
 * @param key Where the server listens, like `tcp://127.0.0.1:9000`.
 * @param texts The request payloads.
 * @param onFrame Sees the frame of each request, for the curious.
 * @param options The frame limit (16 MiB unless raised).
 * @returns The reply payloads, in order.
 */
export async function call(
  key: string,
  texts: readonly string[],
  onFrame?: (frame: Uint8Array) => void,
  options: SeedHelperOptions = {},
): Promise<string[]> {
  const adapter = await loadAdapter();
  await using client = new Client({
    endpoint: key,
    dial: adapter.dial,
    protocol: seedProtocol({
      role: "client",
      maxFrameSize: options.maxFrameSize,
    }),
    timeout: 5000,
  });
  if (onFrame === undefined) {
    return await Promise.all(texts.map(async (text) => {
      const reply: Uint8Array = await client.request(
        SEED_ROUTE,
        encoder.encode(text),
      );
      return decoder.decode(reply);
    }));
  }
  // The connection's `call` returns the request's id: show its frame.
  const connection = await client.connection();
  return await Promise.all(
    texts.map((text) =>
      new Promise<string>((resolve, reject) => {
        const payload = encoder.encode(text);
        const id = connection.call(SEED_ROUTE, payload, {
          onMessage: (reply: Uint8Array) => resolve(decoder.decode(reply)),
          onError: reject,
          onTimeout: reject,
        });
        onFrame(frameOf(String(id), payload));
      })
    ),
  );
}

/** The bytes the codec pair puts on the wire for one message. */
export function frameOf(id: string, payload: Uint8Array): Uint8Array {
  const parts = new SeedMessageCodec().encode({ id, payload });
  const length = parts.reduce((n, part) => n + part.byteLength, 0);
  // Any size the 4-byte length can say: this only shows the bytes.
  const frame = seedPacketCodec(0xffff_ffff).encode(parts, length);
  const bytes = new Uint8Array(4 + length);
  let at = 0;
  for (const part of frame) {
    bytes.set(part, at);
    at += part.byteLength;
  }
  return bytes;
}

/**
 * The demo: without arguments an echo server and a client on loopback;
 * `serve PORT` or `call KEY TEXT...` for the halves.
 *
 * @param args Command-line arguments.
 * @param log Where output goes.
 */
export async function main(
  args: readonly string[],
  log: (line: string) => void = console.log,
): Promise<void> {
  const adapter = await loadAdapter();
  const [command, ...rest] = args;
  if (command === "serve") {
    const listener = await adapter.listen(`tcp://127.0.0.1:${rest[0] ?? 0}`);
    serveEcho(listener);
    log(`seed-protocol echo server on tcp://127.0.0.1:${listener.addr.port}`);
    return; // serves until the process is stopped
  }
  if (command === "call") {
    const [key, ...texts] = rest;
    for (const reply of await call(key, texts.length ? texts : ["hello"])) {
      log(reply);
    }
    return;
  }
  const listener = await adapter.listen("tcp://127.0.0.1:0");
  const server = serveEcho(listener);
  const key = `tcp://127.0.0.1:${listener.addr.port}`;
  log(`echo server on ${key}`);
  const replies = await call(key, ["hello", "rain"], (frame) => {
    const hex = [...frame].map((b) => b.toString(16).padStart(2, "0"));
    log(`frame: ${hex.join(" ")}`);
  });
  log(`replies: ${JSON.stringify(replies)}`);
  await server.close();
}

if (isMain(import.meta)) await main(process.argv.slice(2));
