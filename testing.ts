/**
 * listenrain's in-memory channels, for tests and for two parts of one
 * process: a pipe of two connected channels, and a network of named
 * listeners (`mem://name`) to dial, with the same contract as sockets.
 *
 * @example A client and a server on the memory network
 * ```ts
 * import { Client, Router, Server, textBody } from "listenrain";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const network = new MemoryNetwork();
 * const router = new Router().handle("echo", (s: string) => s);
 * await using server = new Server({ router, body: textBody });
 * server.serve(await network.listen("mem://echo"));
 * await using client = new Client<typeof router>({
 *   endpoint: "mem://echo",
 *   dial: (key, o) => network.dial(key, o),
 *   body: textBody,
 * });
 * console.log(await client.request("echo", "hi")); // "hi"
 * ```
 *
 * @module
 */

export { createMemoryPipe } from "./src/channel/memory_pipe.ts";
export type {
  MemoryChannel,
  MemoryPipeOptions,
} from "./src/channel/memory_pipe.ts";
export { MemoryNetwork } from "./src/channel/memory_network.ts";
export type { MemoryNetworkOptions } from "./src/channel/memory_network.ts";
