/**
 * The {@linkcode MemoryNetwork}: `mem://name` listeners and dialers inside
 * one process, so the whole client and server path runs without sockets.
 *
 * @module
 */

import type { Channel, Listener } from "./channel.ts";
import {
  createMemoryPipe,
  type MemoryChannel,
  type MemoryPipeOptions,
} from "./memory_pipe.ts";
import { TransportKey, type TransportKeyInit } from "./transport_key.ts";
import { AbortedError, AddressInUseError, ConnectError } from "../errors.ts";

/**
 * The default bound of a memory listener's accept queue. @default {511}
 *
 * @example Dials beyond the backlog are refused
 * ```ts
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * // The default: 511.
 * const network = new MemoryNetwork({ backlog: 1 }); // instead of the default
 * const listener = await network.listen("mem://busy"); // never iterated
 * const first = await network.dial("mem://busy");
 * console.log(await network.dial("mem://busy").catch((e) => e.code)); // "ERR_CONNECT"
 * first.close();
 * listener.close();
 * ```
 */
export const DEFAULT_MEMORY_BACKLOG = 511;

/**
 * Options of {@linkcode MemoryNetwork}.
 *
 * @example Every dialed channel delivers one byte at a time
 * ```ts
 * import {
 *   MemoryNetwork,
 *   type MemoryNetworkOptions,
 * } from "listenrain/testing";
 *
 * const options: MemoryNetworkOptions = { pipe: { chunkSize: 1 }, backlog: 16 };
 * const network = new MemoryNetwork(options);
 * const listener = await network.listen("mem://api");
 * const client = await network.dial("mem://api");
 * const { value: server } = await listener[Symbol.asyncIterator]().next();
 * await client.writable.getWriter().write(new Uint8Array([1, 2]));
 * console.log((await server.readable.getReader().read()).value); // Uint8Array(1) [ 1 ]
 * client.close();
 * server.close();
 * listener.close();
 * ```
 */
export interface MemoryNetworkOptions {
  /** The options of every pipe the network makes (chunking, delay, buffer). */
  pipe?: Omit<MemoryPipeOptions, "names">;
  /**
   * Dialed channels that wait for the listener to take them; a dial beyond
   * that is refused.
   * @default {511}
   */
  backlog?: number;
}

/**
 * An in-process network of `mem://name` endpoints. `listen("mem://api")`
 * binds a name; `dial("mem://api")` connects to it with a fresh memory pipe.
 * A name with no listener refuses dials with {@linkcode ConnectError}, as a
 * closed TCP port does; closing the listener frees the name. `dial` has the
 * shape of a client's dial function, and both have the shape of a socket
 * adapter's, so tests and in-process services swap them in for sockets.
 *
 * @example A listener and a dialer
 * ```ts
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const network = new MemoryNetwork();
 * const listener = await network.listen("mem://echo");
 * (async () => {
 *   for await (const channel of listener) {
 *     channel.readable.pipeTo(channel.writable).catch(() => {});
 *   }
 * })();
 * const channel = await network.dial("mem://echo");
 * const writer = channel.writable.getWriter();
 * await writer.write(new TextEncoder().encode("ping"));
 * const { value } = await channel.readable.getReader().read();
 * console.log(new TextDecoder().decode(value)); // "ping"
 * channel.close();
 * listener.close();
 * ```
 */
export class MemoryNetwork {
  #listeners = new Map<string, MemoryListener>();
  #pipe: Omit<MemoryPipeOptions, "names">;
  #backlog: number;
  #dialed = 0;

  /**
   * Creates an empty network.
   *
   * @param options Pipe options and the accept backlog.
   * @throws {RangeError} If `backlog` is not a positive integer.
   */
  constructor(options: MemoryNetworkOptions = {}) {
    this.#pipe = options.pipe ?? {};
    this.#backlog = options.backlog ?? DEFAULT_MEMORY_BACKLOG;
    if (!Number.isInteger(this.#backlog) || this.#backlog < 1) {
      throw new RangeError(
        `backlog must be a positive integer, got ${this.#backlog}`,
      );
    }
  }

  /** The names that have a listener now. */
  get names(): string[] {
    return [...this.#listeners.keys()];
  }

  /**
   * Binds `key` and accepts the channels dialed to it.
   *
   * @param key `mem://name`.
   * @returns The listener; `close()` frees the name.
   * @throws {TypeError} If `key` is not a valid `mem://` key.
   * @throws {AddressInUseError} If the name already has a listener.
   */
  listen(key: string | TransportKeyInit): Promise<Listener> {
    try {
      const name = memoryName(key);
      if (this.#listeners.has(name)) {
        throw new AddressInUseError(
          `Cannot listen on mem://${name}: address in use`,
        );
      }
      const listener = new MemoryListener(name, this.#backlog, () => {
        if (this.#listeners.get(name) === listener) {
          this.#listeners.delete(name);
        }
      });
      this.#listeners.set(name, listener);
      return Promise.resolve(listener);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Connects to the listener of `key`.
   *
   * @param key `mem://name`.
   * @param options `signal` aborts the dial.
   * @returns The client end of a new pipe; the listener yields the other.
   * @throws {TypeError} If `key` is not a valid `mem://` key.
   * @throws {ConnectError} If no listener has the name, or its backlog is full.
   * @throws {AbortedError} If `signal` is already aborted.
   */
  dial(
    key: string | TransportKeyInit,
    options: { signal?: AbortSignal } = {},
  ): Promise<MemoryChannel> {
    try {
      const name = memoryName(key);
      if (options.signal?.aborted) {
        throw new AbortedError(`Dial mem://${name} aborted`, {
          cause: options.signal.reason,
        });
      }
      const listener = this.#listeners.get(name);
      if (listener === undefined) {
        throw new ConnectError(
          `Cannot connect to mem://${name}: connection refused (no listener)`,
        );
      }
      const id = ++this.#dialed;
      const [client, server] = createMemoryPipe({
        ...this.#pipe,
        names: [`${name}#${id}`, name],
      });
      if (!listener.push(server)) {
        client.close();
        server.close();
        throw new ConnectError(
          `Cannot connect to mem://${name}: connection refused (backlog full)`,
        );
      }
      return Promise.resolve(client);
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

function memoryName(key: string | TransportKeyInit): string {
  const parsed = TransportKey.from(key);
  if (parsed.transport !== "mem") {
    throw new TypeError(
      `Invalid memory key "${parsed}": expected mem://name`,
    );
  }
  return parsed.name;
}

/** A bound name: an accept queue of channels, iterated by one consumer. */
class MemoryListener implements Listener {
  readonly addr: { transport: "mem"; name: string };
  #queue: Channel[] = [];
  #backlog: number;
  #waiter: ((result: IteratorResult<Channel>) => void) | undefined;
  #closed = false;
  #onClose: () => void;

  constructor(name: string, backlog: number, onClose: () => void) {
    this.addr = { transport: "mem", name };
    this.#backlog = backlog;
    this.#onClose = onClose;
  }

  push(channel: Channel): boolean {
    if (this.#closed) return false;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter({ value: channel, done: false });
      return true;
    }
    if (this.#queue.length >= this.#backlog) return false;
    this.#queue.push(channel);
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose();
    // Channels nobody accepted are refused, as a kernel backlog would be.
    for (const channel of this.#queue.splice(0)) channel.close();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<Channel> {
    return {
      next: () => {
        const channel = this.#queue.shift();
        if (channel !== undefined) {
          return Promise.resolve({ value: channel, done: false });
        }
        if (this.#closed || this.#waiter !== undefined) {
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve) => this.#waiter = resolve);
      },
      // Leaving a for-await loop does not close the listener.
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
  }
}
