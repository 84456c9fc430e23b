/**
 * The {@linkcode ProtocolRegistry} (the seed's ProtocolRegisterTable): named
 * protocols, each with its codecs, default timeout, per-connection factories,
 * handler, dialer and listener, so that one process speaks several
 * protocols.
 *
 * @module
 */

import type { Listener } from "../channel/channel.ts";
import type { DialFunction } from "../client/dialers.ts";
import {
  TransportClient,
  type TransportClientOptions,
} from "../client/transport_client.ts";
import {
  TransportKey,
  type TransportKeyInit,
} from "../channel/transport_key.ts";
import type { IdAllocator, MessageCodec } from "../codec/message_codec.ts";
import type { Executor } from "../executor/executor.ts";
import type { PacketCodec } from "../framing/packet_codec.ts";
import type { SendQueueOptions } from "../queue/send_queue.ts";
import {
  TransportServer,
  type TransportServerOptions,
} from "../server/transport_server.ts";
import {
  type MessageHandler,
  Transport,
  type TransportOptions,
} from "../transport/transport.ts";

/**
 * The pending table of a transport (the seed's StatMachinePool): its bound and its ids.
 *
 * @example A pending table per connection, with its own ids
 * ```ts
 * import { TransportKey } from "../channel/transport_key.ts";
 * import { EnvelopeCodec } from "../codec/envelope.ts";
 * import { SequentialIds } from "../codec/message_codec.ts";
 * import { type PendingTableOptions, ProtocolRegistry } from "./protocol_registry.ts";
 *
 * const registry = new ProtocolRegistry();
 * const protocol = registry.register("rpc", {
 *   codec: new EnvelopeCodec(),
 *   pendingTable: (): PendingTableOptions => ({
 *     maxPendingRequests: 256,
 *     ids: new SequentialIds({ start: 1000 }),
 *   }),
 * });
 * const options = protocol.transportOptions(new TransportKey("mem://a"));
 * console.log(options.maxPendingRequests, options.ids?.next(() => false)); // 256 1000
 * ```
 */
export interface PendingTableOptions {
  /** Requests waiting for replies at most. */
  maxPendingRequests?: number;
  /** Allocates request ids. */
  ids?: IdAllocator;
}

/**
 * A protocol: how its messages are framed and encoded, and where its
 * per-connection parts come from. Each factory is called once per
 * connection with the connection's key (the endpoint on a client, the
 * listening address on a server), like the seed's generators.
 *
 * @example An echo protocol on the memory network
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { type Envelope, EnvelopeCodec } from "../codec/envelope.ts";
 * import { type ProtocolDefinition, ProtocolRegistry } from "./protocol_registry.ts";
 *
 * const network = new MemoryNetwork();
 * const echo: ProtocolDefinition<Envelope> = {
 *   codec: new EnvelopeCodec(),
 *   timeout: 5_000,
 *   queue: () => ({ maxQueueBytes: 1024 * 1024 }),
 *   handler: (m) => ({ ...m, kind: "reply" }),
 *   dial: (key, options) => network.dial(key, options),
 *   listen: (key) => network.listen(key),
 * };
 * await using registry = new ProtocolRegistry();
 * registry.register("echo", echo);
 * await registry.serve("echo", "mem://echo");
 * const client = registry.client<Envelope>("echo", { endpoint: "mem://echo" });
 * const reply = await client.request({ kind: "request", id: 0, route: "hi", body: new Uint8Array([4]) });
 * console.log(reply.body); // Uint8Array(1) [ 4 ]
 * ```
 */
export interface ProtocolDefinition<M> {
  /** Message serialization (the seed's EncodeMessage/DecodeMessage). */
  codec: MessageCodec<M>;
  /** Framing (the seed's EncodePacket/DecodePacket). @default {new LengthPrefixedCodec()} */
  packetCodec?: PacketCodec;
  /** Default request timeout in ms. @default {30000} */
  timeout?: number;
  /** The send queue's options per connection (the seed's QueueGenerator). */
  queue?: (key: TransportKey) => SendQueueOptions;
  /** The executor per connection (the seed's ExecutorGenerator); return a shared one to share it. */
  executor?: (key: TransportKey) => Executor;
  /** The pending table per connection (the seed's StatMachinePoolGenerator). */
  pendingTable?: (key: TransportKey) => PendingTableOptions;
  /** Handles incoming requests and notifications (the seed's ServerRouter). */
  handler?: MessageHandler<M>;
  /** Opens client channels (the seed's ChannelGenerator on a client). */
  dial?: DialFunction;
  /** Listens for server channels (the seed's ChannelGenerator on a server). */
  listen?: (key: TransportKey) => Promise<Listener>;
}

/**
 * Options of {@linkcode ProtocolRegistry.client}: a client's, less what the protocol sets.
 *
 * @example A client whose timeout wins over the protocol's
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { type Envelope, EnvelopeCodec } from "../codec/envelope.ts";
 * import { type ProtocolClientOptions, ProtocolRegistry } from "./protocol_registry.ts";
 *
 * const network = new MemoryNetwork();
 * await using registry = new ProtocolRegistry();
 * registry.register<Envelope>("echo", {
 *   codec: new EnvelopeCodec(),
 *   timeout: 5_000,
 *   handler: (m) => ({ ...m, kind: "reply" }), // echoes the request, its deadline too
 *   dial: (key, options) => network.dial(key, options),
 *   listen: (key) => network.listen(key),
 * });
 * await registry.serve("echo", "mem://echo");
 * const options: ProtocolClientOptions<Envelope> = { endpoint: "mem://echo", timeout: 1_000, poolSize: 2 };
 * const client = registry.client("echo", options);
 * const reply = await client.request({ kind: "request", id: 0, route: "hi", body: new Uint8Array() });
 * console.log(reply.timeout! <= 1_000); // true: the request carried the client's deadline
 * ```
 */
export type ProtocolClientOptions<M> = Omit<
  TransportClientOptions<M>,
  "codec" | "packetCodec" | "createTransport"
>;

/**
 * Options of {@linkcode ProtocolRegistry.serve}: a server's, less what the protocol sets.
 *
 * @example The server's own limits on a registered protocol
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { type Envelope, EnvelopeCodec } from "../codec/envelope.ts";
 * import { type ProtocolServerOptions, ProtocolRegistry } from "./protocol_registry.ts";
 *
 * const network = new MemoryNetwork();
 * await using registry = new ProtocolRegistry();
 * registry.register<Envelope>("echo", {
 *   codec: new EnvelopeCodec(),
 *   handler: (m) => ({ ...m, kind: "reply" }),
 *   dial: (key, options) => network.dial(key, options),
 *   listen: (key) => network.listen(key),
 * });
 * const options: ProtocolServerOptions<Envelope> = { maxConnections: 100, idleTimeout: 60_000 };
 * const server = await registry.serve("echo", "mem://echo", options);
 * const client = registry.client<Envelope>("echo", { endpoint: "mem://echo" });
 * await client.request({ kind: "request", id: 0, route: "hi", body: new Uint8Array() });
 * console.log(server.addrs, server.stats.connections); // [ { transport: "mem", name: "echo" } ] 1
 * ```
 */
export type ProtocolServerOptions<M> = Omit<
  TransportServerOptions<M>,
  "codec" | "packetCodec" | "createTransport"
>;

/**
 * A registered protocol.
 *
 * @example The transport options of one connection
 * ```ts
 * import { ProtocolRegistry } from "./protocol_registry.ts";
 * import { EnvelopeCodec } from "../codec/envelope.ts";
 * import { TransportKey } from "../channel/transport_key.ts";
 *
 * const registry = new ProtocolRegistry();
 * const protocol = registry.register("rpc", {
 *   codec: new EnvelopeCodec(),
 *   timeout: 2000,
 *   pendingTable: () => ({ maxPendingRequests: 100 }),
 * });
 * const options = protocol.transportOptions(new TransportKey("mem://a"));
 * console.log(options.timeout, options.maxPendingRequests); // 2000 100
 * ```
 */
export class Protocol<M> {
  /** The protocol's name. */
  readonly name: string;
  /** The protocol's definition. */
  readonly definition: Readonly<ProtocolDefinition<M>>;

  /**
   * Protocols are made by {@linkcode ProtocolRegistry.register}.
   *
   * @param name The name.
   * @param definition The definition.
   */
  constructor(name: string, definition: ProtocolDefinition<M>) {
    this.name = name;
    this.definition = Object.freeze({ ...definition });
  }

  /**
   * The transport options of one connection, from the definition and its
   * factories.
   *
   * @param key The connection's key.
   * @returns Options for `new Transport(channel, options)`.
   */
  transportOptions(key: TransportKey): TransportOptions<M> {
    const d = this.definition;
    return defined({
      codec: d.codec,
      packetCodec: d.packetCodec,
      timeout: d.timeout,
      handler: d.handler,
      queue: d.queue?.(key),
      executor: d.executor?.(key),
      ...d.pendingTable?.(key),
    });
  }
}

/**
 * Named protocols, and the clients and servers that speak them. One process
 * can serve two protocols on two ports and call both; `close()` closes every
 * client and server the registry made.
 *
 * @example Two protocols on two endpoints
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { EnvelopeCodec, type Envelope } from "../codec/envelope.ts";
 * import { ProtocolRegistry } from "./protocol_registry.ts";
 *
 * const network = new MemoryNetwork();
 * const dial = network.dial.bind(network);
 * const listen = network.listen.bind(network);
 * await using registry = new ProtocolRegistry();
 * const reply = (m: Envelope, text: string): Envelope =>
 *   ({ kind: "reply", id: 0, route: "", body: new TextEncoder().encode(text) });
 * registry.register<Envelope>("a", { codec: new EnvelopeCodec(), dial, listen, handler: (m) => reply(m, "from a") });
 * registry.register<Envelope>("b", { codec: new EnvelopeCodec(), dial, listen, handler: (m) => reply(m, "from b") });
 * await registry.serve("a", "mem://a");
 * await registry.serve("b", "mem://b");
 * for (const name of ["a", "b"]) {
 *   const client = registry.client<Envelope>(name, { endpoint: `mem://${name}` });
 *   const answer = await client.request({ kind: "request", id: 0, route: "hi", body: new Uint8Array() });
 *   console.log(new TextDecoder().decode(answer.body)); // "from a", then "from b"
 * }
 * ```
 */
export class ProtocolRegistry {
  #protocols = new Map<string, Protocol<unknown>>();
  #clients = new Set<TransportClient<unknown>>();
  #servers = new Set<TransportServer<unknown>>();

  /**
   * Registers a protocol.
   *
   * @param name A unique, non-empty name.
   * @param definition The codecs, factories, handler, dialer and listener.
   * @returns The protocol.
   * @throws {TypeError} If the name is empty or taken, or there is no codec.
   */
  register<M>(name: string, definition: ProtocolDefinition<M>): Protocol<M> {
    if (typeof name !== "string" || name === "") {
      throw new TypeError("A protocol needs a non-empty name");
    }
    if (this.#protocols.has(name)) {
      throw new TypeError(`Protocol "${name}" is already registered`);
    }
    if (definition?.codec === undefined) {
      throw new TypeError(`Protocol "${name}" needs a codec`);
    }
    const protocol = new Protocol<M>(name, definition);
    this.#protocols.set(name, protocol as Protocol<unknown>);
    return protocol;
  }

  /**
   * Looks a protocol up.
   *
   * @param name A protocol name.
   * @returns The protocol.
   * @throws {TypeError} If no protocol has that name.
   */
  get<M = unknown>(name: string): Protocol<M> {
    const protocol = this.#protocols.get(name);
    if (protocol === undefined) {
      throw new TypeError(
        `Unknown protocol "${name}" (registered: ${
          this.names.join(", ") || "none"
        })`,
      );
    }
    return protocol as Protocol<M>;
  }

  /**
   * Tells whether a protocol is registered.
   *
   * @param name A protocol name.
   * @returns Whether it is registered.
   */
  has(name: string): boolean {
    return this.#protocols.has(name);
  }

  /** The registered names, in registration order. */
  get names(): string[] {
    return [...this.#protocols.keys()];
  }

  /**
   * A client of protocol `name`: its transports are built from the
   * protocol's definition, options given here win.
   *
   * @param name A protocol name.
   * @param options The client's endpoint, pool and retry options.
   * @returns The client; the registry closes it in `close()`.
   * @throws {TypeError} If the protocol is unknown or has no `dial` and none is given.
   */
  client<M>(
    name: string,
    options: ProtocolClientOptions<M> = {},
  ): TransportClient<M> {
    const protocol = this.get<M>(name);
    const d = protocol.definition;
    const client = new TransportClient<M>({
      timeout: d.timeout,
      dial: d.dial,
      ...defined(options),
      codec: d.codec,
      packetCodec: d.packetCodec,
      createTransport: (channel, key, o) =>
        new Transport<M>(channel, {
          ...protocol.transportOptions(key),
          ...defined(o),
        }),
    });
    this.#clients.add(client as TransportClient<unknown>);
    return client;
  }

  /**
   * Listens on `key` with the protocol's `listen` and serves it.
   *
   * @param name A protocol name.
   * @param key Where to listen.
   * @param options The server's limits and callbacks.
   * @returns The server, once listening (`server.addrs` has the bound port);
   *   the registry closes it in `close()`.
   * @throws {TypeError} If the protocol is unknown or has no `listen`.
   * @throws The listener's error if it cannot bind.
   */
  async serve<M>(
    name: string,
    key: string | TransportKeyInit,
    options: ProtocolServerOptions<M> = {},
  ): Promise<TransportServer<M>> {
    const protocol = this.get<M>(name);
    const d = protocol.definition;
    if (d.listen === undefined) {
      throw new TypeError(`Protocol "${name}" has no listen function`);
    }
    const listener = await d.listen(TransportKey.from(key));
    const server = new TransportServer<M>({
      timeout: d.timeout,
      handler: d.handler,
      ...defined(options),
      codec: d.codec,
      packetCodec: d.packetCodec,
      createTransport: (channel, listenKey, o) =>
        new Transport<M>(channel, {
          ...protocol.transportOptions(listenKey),
          ...defined(o),
        }),
    });
    this.#servers.add(server as TransportServer<unknown>);
    server.serve(listener).catch((error) => options.onError?.(error));
    return server;
  }

  /**
   * Closes every client and server the registry made (servers gracefully).
   *
   * @returns A promise that resolves once all are closed.
   */
  async close(): Promise<void> {
    const clients = [...this.#clients].map((client) => client.close());
    const servers = [...this.#servers].map((server) => server.close());
    this.#clients.clear();
    this.#servers.clear();
    await Promise.all([...clients, ...servers]);
  }

  /** Closes the registry's clients and servers. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A copy of `options` without the fields that are `undefined`. */
function defined<T extends object>(options: T): T {
  const out = {} as T;
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined) (out as Record<string, unknown>)[name] = value;
  }
  return out;
}
