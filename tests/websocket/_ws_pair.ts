/**
 * Connected WebSocket channel pairs on the runtime running the test: a
 * server with the runtime's adapter (`listen("ws://127.0.0.1:0/rpc")`), a
 * client with its `dial`.
 *
 * @module
 */

import type { Channel, Listener } from "../../src/channel/channel.ts";
import type { ChannelPair } from "../_conformance/channel_suite.ts";
import { loadAdapter } from "../../adapters/runtime.ts";

/** The runtime's adapter, with its WebSocket names. */
export const adapter = await loadAdapter();

/**
 * Listens on a free port and returns the listener and its key.
 *
 * @returns The listener and the `ws://` URL clients dial.
 */
export async function listenWs(): Promise<{ listener: Listener; url: string }> {
  const listener = await adapter.listen("ws://127.0.0.1:0/rpc");
  return { listener, url: `ws://127.0.0.1:${listener.addr.port}/rpc` };
}

/**
 * Makes a connected pair.
 *
 * @returns The pair; `cleanup` closes both ends and the listener.
 */
export async function wsPair(): Promise<ChannelPair> {
  const { listener, url } = await listenWs();
  const accepted = listener[Symbol.asyncIterator]().next();
  const client: Channel = await adapter.dial(url);
  const { value: server } = await accepted;
  return {
    client,
    server: server as Channel,
    cleanup() {
      client.close();
      (server as Channel).close();
      listener.close();
      return Promise.resolve();
    },
  };
}
