/**
 * The options of a {@linkcode TransportClient} and of its requests.
 *
 * @module
 */

import type { Channel, Dialer } from "../channel/channel.ts";
import type { HeartbeatOptions } from "../transport/connection_monitor.ts";
import type { TimerHeap } from "../timer/timer_heap.ts";
import type {
  RequestOptions,
  Transport,
  TransportOptions,
} from "../transport/transport.ts";
import type { DialFunction } from "./dialers.ts";
import type { ReconnectOptions } from "./pool_options.ts";
import type {
  TransportKey,
  TransportKeyInit,
} from "../channel/transport_key.ts";

/**
 * Options of {@linkcode TransportClient}: the transports' options and the client's.
 *
 * @example A client of raw envelopes, with a deadline
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { type Envelope, EnvelopeCodec } from "../codec/envelope.ts";
 * import { Server } from "../server/server.ts";
 * import { Router } from "../transport/router.ts";
 * import { TransportClient, type TransportClientOptions } from "./transport_client.ts";
 *
 * const network = new MemoryNetwork();
 * await using server = new Server({ router: new Router().handle("echo", (body) => body) });
 * server.serve(await network.listen("mem://echo"));
 * const options: TransportClientOptions<Envelope> = {
 *   codec: new EnvelopeCodec(),
 *   endpoint: "mem://echo",
 *   dial: (key, o) => network.dial(key, o),
 *   timeout: 1_000,
 * };
 * await using client = new TransportClient(options);
 * const reply = await client.request({ kind: "request", id: 0, route: "echo", body: new Uint8Array([7]) });
 * console.log(reply.kind, reply.body); // "reply" Uint8Array(1) [ 7 ]
 * ```
 */
export interface TransportClientOptions<M>
  extends Omit<TransportOptions<M>, "timers" | "onGoaway"> {
  /** The endpoint of requests that name no `key`. @default {the dialer's key} */
  endpoint?: string | TransportKeyInit;
  /** Opens channels to any key: an adapter's `dial`, or a `MemoryNetwork`'s. */
  dial?: DialFunction;
  /** Opens the channels of the default endpoint instead of `dial` (a `FailoverDialer`). */
  dialer?: Dialer & { readonly key?: TransportKey };
  /** How long one connect attempt may take, in ms (with `dial`). @default {10000} */
  connectTimeout?: number;
  /** Transports per endpoint. @default {1} */
  poolSize?: number;
  /** Close a transport after this many ms without requests. `0` for never. @default {0} */
  idleTimeout?: number;
  /** Ping quiet connections; close those whose pong does not come. */
  heartbeat?: HeartbeatOptions;
  /** Backoff, and reconnection after a connection is lost. @default {{}} */
  reconnect?: ReconnectOptions | false;
  /**
   * Times a request is sent again on a new connection after its connection
   * closed before the reply (or the connect failed). Only for idempotent
   * requests: the server may have run the first one.
   * @default {0}
   */
  retry?: number;
  /** One heap for every timer of the client. @default {a heap of its own, cleared by close()} */
  timers?: TimerHeap;
  /** Builds each transport. @default {new Transport(channel, options)} */
  createTransport?: (
    channel: Channel,
    key: TransportKey,
    options: TransportOptions<M>,
  ) => Transport<M>;
}

/**
 * Options of one request of a client.
 *
 * @example A client without a default endpoint names one per request
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { jsonBody } from "../codec/body_codec.ts";
 * import { Server } from "../server/server.ts";
 * import { Router } from "../transport/router.ts";
 * import { Client } from "./client.ts";
 * import type { ClientRequestOptions } from "./client_options.ts";
 *
 * const network = new MemoryNetwork();
 * const router = new Router().handle("add", ([a, b]: number[]) => a + b);
 * await using server = new Server({ router, body: jsonBody });
 * server.serve(await network.listen("mem://math"));
 * await using client = new Client({ dial: (key, o) => network.dial(key, o), body: jsonBody });
 * const options: ClientRequestOptions = { key: "mem://math", timeout: 500, retry: 1 };
 * console.log(await client.request("add", [2, 3], options)); // 5
 * ```
 */
export interface ClientRequestOptions extends RequestOptions {
  /** The endpoint. @default {the client's endpoint} */
  key?: string | TransportKeyInit;
  /** Overrides the client's `retry` for this request. */
  retry?: number;
  /** While the endpoint backs off after failed connects, wait (until the deadline) instead of failing at once. @default {false} */
  waitForReady?: boolean;
}

/**
 * Options of a client's `notify`.
 *
 * @example A notification to a named endpoint
 * ```ts
 * import { MemoryNetwork } from "../channel/memory_network.ts";
 * import { jsonBody } from "../codec/body_codec.ts";
 * import { Server } from "../server/server.ts";
 * import { Router } from "../transport/router.ts";
 * import { Client } from "./client.ts";
 * import type { ClientNotifyOptions } from "./client_options.ts";
 *
 * const network = new MemoryNetwork();
 * const logged: string[] = [];
 * const router = new Router().handle("log", (line: string) => void logged.push(line));
 * await using server = new Server({ router, body: jsonBody });
 * server.serve(await network.listen("mem://logs"));
 * await using client = new Client({ dial: (key, o) => network.dial(key, o), body: jsonBody });
 * const options: ClientNotifyOptions = { key: "mem://logs", signal: new AbortController().signal };
 * await client.notify("log", "started", options); // resolves once queued
 * await client.ping({ key: "mem://logs" }); // a round trip: the server has read it
 * console.log(logged); // [ "started" ]
 * ```
 */
export interface ClientNotifyOptions {
  /** The endpoint. @default {the client's endpoint} */
  key?: string | TransportKeyInit;
  /** Aborts waiting for a connection. */
  signal?: AbortSignal;
}
