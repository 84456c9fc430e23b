/**
 * Shared helpers of the client, server and lifecycle tests: a memory network
 * with a server on it, a client dialing it, bounded waits.
 *
 * @module
 */

import { loadAdapter } from "../../bench/_runtime.ts";
import type { Channel, Listener } from "../../src/channel/channel.ts";
import { MemoryNetwork } from "../../src/channel/memory_network.ts";
import { Client, type ClientOptions } from "../../src/client/client.ts";
import type { DialFunction } from "../../src/client/dialers.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { Server, type ServerOptions } from "../../src/server/server.ts";
import { Router } from "../../src/transport/router.ts";

export { deferred, sleep, until } from "../_helpers/pair.ts";
export { within } from "../_conformance/_helpers.ts";

/** Resolves after `ms`, or rejects with the signal's reason. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The routes most tests use: echo, slow (ms in the body), fail, whoami. */
export function testRouter(name = "server"): Router {
  return new Router()
    .handle("echo", (body: unknown) => body)
    .handle("whoami", () => name)
    .handle("slow", async (body: { ms: number }, ctx) => {
      await delay(body.ms, ctx.signal);
      return { slept: body.ms };
    })
    .handle("fail", () => {
      throw new Error("boom");
    });
}

/** A memory network with a JSON server on `mem://name`; `stop()` closes both ends. */
export async function memoryServer(
  name = "svc",
  options: ServerOptions<unknown> = {},
  network: MemoryNetwork = new MemoryNetwork(),
): Promise<{
  network: MemoryNetwork;
  server: Server;
  key: string;
  dial: DialFunction;
}> {
  const server = new Server({
    router: testRouter(name),
    body: jsonBody,
    ...options,
  });
  void server.serve(await network.listen(`mem://${name}`));
  return {
    network,
    server,
    key: `mem://${name}`,
    dial: (key, o) => network.dial(key, o),
  };
}

/** A JSON client of `key` dialing with `dial`. */
export function jsonClient(
  key: string,
  dial: DialFunction,
  options: Partial<ClientOptions<unknown>> = {},
): Client {
  return new Client({
    endpoint: key,
    dial,
    body: jsonBody,
    ...options,
  });
}

/** A dial function that counts its calls. */
export function countingDial(
  dial: DialFunction,
): DialFunction & { count: number } {
  const counted = ((key, options) => {
    counted.count++;
    return dial(key, options);
  }) as DialFunction & { count: number };
  counted.count = 0;
  return counted;
}

/** Accepts on `mem://name` and holds the channels, never reading: a silent peer. */
export async function silentListener(
  network: MemoryNetwork,
  name: string,
): Promise<{ channels: Channel[]; close(): void }> {
  const listener = await network.listen(`mem://${name}`);
  const channels: Channel[] = [];
  void (async () => {
    for await (const channel of listener) channels.push(channel);
  })();
  return {
    channels,
    close() {
      listener.close();
      for (const channel of channels) channel.close();
    },
  };
}

/** The runtime's socket adapter, typed as the client and server use it. */
export async function tcpAdapter(): Promise<{
  dial: DialFunction;
  listen(key: string): Promise<Listener>;
}> {
  const adapter = await loadAdapter();
  // The adapters' dial takes a TransportKey and { signal } as they are.
  const dial = adapter.dial as unknown as DialFunction;
  return { dial, listen: (key) => adapter.listen(key) };
}
