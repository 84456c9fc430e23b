/**
 * The {@linkcode DialFunction}: what opens a channel to a key.
 *
 * @module
 */

import type { Channel } from "../channel/channel.ts";
import type { TransportKey } from "../channel/transport_key.ts";

/**
 * Opens a channel to `key`: an adapter's `dial` (`listenrain/adapters/node`
 * and the others), a {@linkcode MemoryNetwork}'s, or your own.
 *
 * @example A dial function that logs, around a memory network's
 * ```ts
 * import type { DialFunction } from "listenrain";
 * import { EndpointDialer } from "listenrain/advanced";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const network = new MemoryNetwork();
 * const listener = await network.listen("mem://api");
 * const dialed: string[] = [];
 * const dial: DialFunction = (key, options) => {
 *   dialed.push(key.toString());
 *   return network.dial(key, options);
 * };
 * const channel = await new EndpointDialer("mem://api", dial).dial();
 * console.log(dialed); // [ "mem://api" ]
 * channel.close();
 * listener.close();
 * ```
 */
export type DialFunction = (
  key: TransportKey,
  options: { signal?: AbortSignal },
) => Promise<Channel>;
