/**
 * The options of a {@linkcode Client} and of its requests.
 *
 * @module
 */

import type { Dialer } from "../channel/channel.ts";
import type { MetadataInit } from "../codec/metadata.ts";
import type { ConnectionOptions } from "../connection/connection_options.ts";
import type { HeartbeatOptions } from "../transport/connection_monitor.ts";
import type { TimerHeap } from "../timer/timer_heap.ts";
import type { RequestOptions } from "../transport/transport.ts";
import type { DialFunction } from "./dialers.ts";
import type { ReconnectOptions } from "./pool_options.ts";
import type { Resolver } from "../resolve/resolver.ts";
import type { Balancer, BalancerName } from "./balancer.ts";
import type {
  TransportKey,
  TransportKeyInit,
} from "../channel/transport_key.ts";

/**
 * Options of {@linkcode Client}: how to dial, the client's policy, and the
 * options of its connections (protocol, router for server push, body codec,
 * limits).
 *
 * @example A JSON client that fails over to a replica
 * ```ts
 * import {
 *   Client,
 *   type ClientOptions,
 *   FailoverDialer,
 *   jsonBody,
 *   Router,
 *   Server,
 * } from "listenrain";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const network = new MemoryNetwork();
 * const router = new Router().handle("sayhi", (b: { name: string }) => ({ hi: b.name }));
 * await using server = new Server({ router, body: jsonBody });
 * server.serve(await network.listen("mem://replica")); // the primary is down
 * const options: ClientOptions = {
 *   dialer: new FailoverDialer(["mem://primary", "mem://replica"], (key, o) => network.dial(key, o)),
 *   body: jsonBody,
 *   timeout: 2_000,
 *   reconnect: { initialDelay: 50, maxDelay: 1_000 },
 * };
 * await using client = new Client<typeof router>(options);
 * console.log(await client.request("sayhi", { name: "rain" })); // { hi: "rain" }
 * console.log(String(client.endpoint)); // "mem://primary": the group's name
 * ```
 */
// deno-lint-ignore no-explicit-any
export interface ClientOptions<M = any>
  extends Omit<ConnectionOptions<M>, "timers" | "onGoaway"> {
  /** The endpoint of requests that name no `key`. @default {the dialer's key} */
  endpoint?: string | TransportKeyInit;
  /** Opens channels to any key: an adapter's `dial`, or a `MemoryNetwork`'s. */
  dial?: DialFunction;
  /** Opens the channels of the default endpoint instead of `dial` (a `FailoverDialer`). */
  dialer?: Dialer & { readonly key?: TransportKey };
  /** How long one connect attempt may take, in ms (with `dial`). @default {10000} */
  connectTimeout?: number;
  /** Connections per endpoint. @default {1} */
  poolSize?: number;
  /** Close a connection after this many ms without requests. `0` for never. @default {0} */
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
  /**
   * Where requests that name no `key` go: the endpoints of a name (DNS, a
   * list, Consul …), instead of `endpoint` or `dialer`. Needs `dial`.
   */
  resolver?: Resolver;
  /** How a resolver's endpoints share the requests. @default {"failover"} */
  balancer?: BalancerName | Balancer;
  /** When a resolver's endpoint is ejected (skipped) after failures, and for how long. */
  outlier?: OutlierOptions;
}

/**
 * When a resolver's endpoint is ejected: a failed connect ejects it at once,
 * `failures` requests in a row that failed (closed connection, timeout) or
 * lost connections (heartbeat) too. It is skipped for `ejectTime`, doubled
 * at each ejection up to `maxEjectTime` (a success resets it), then tried
 * again. While every endpoint is ejected, they are all tried.
 *
 * @example Eject after 3 failures, for 2 s at first
 * ```ts
 * import type { OutlierOptions } from "listenrain/advanced";
 *
 * const outlier: OutlierOptions = { failures: 3, ejectTime: 2_000, maxEjectTime: 60_000 };
 * console.log(outlier.failures); // 3
 * ```
 */
export interface OutlierOptions {
  /** Failures in a row that eject an endpoint. @default {5} */
  failures?: number;
  /** The first ejection's time, in ms. @default {1000} */
  ejectTime?: number;
  /** The longest ejection, in ms. @default {30000} */
  maxEjectTime?: number;
}

/**
 * Options of one request of a client.
 *
 * @example A client without a default endpoint names one per request
 * ```ts
 * import {
 *   Client,
 *   type ClientRequestOptions,
 *   jsonBody,
 *   Router,
 *   Server,
 * } from "listenrain";
 * import { MemoryNetwork } from "listenrain/testing";
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
  /** With the `"hash"` balancer: requests with the same key go to the same endpoint (a tenant, an object id). */
  hashKey?: string;
}

/**
 * Options of a client's `notify`.
 *
 * @example A notification to a named endpoint
 * ```ts
 * import { Client, jsonBody, Router, Server } from "listenrain";
 * import type { ClientNotifyOptions } from "listenrain/advanced";
 * import { MemoryNetwork } from "listenrain/testing";
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
  /** Metadata sent with the notification, on top of the client's. */
  metadata?: MetadataInit;
}
