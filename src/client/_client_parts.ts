/**
 * A {@linkcode Client}'s parts, built from its options: the policy, the
 * caller, the connector, the pool and, with a resolver, the endpoint group.
 *
 * @module
 */

import type { TransportKey } from "../channel/transport_key.ts";
import { type BodyCodec, rawBody } from "../codec/body_codec.ts";
import { Caller } from "../connection/_caller.ts";
import { envelopeProtocol } from "../protocol/envelope_protocol.ts";
import type { Protocol } from "../protocol/protocol.ts";
import { TimerHeap } from "../timer/timer_heap.ts";
import { checkTimeout } from "../transport/_transport_config.ts";
import { DEFAULT_TIMEOUT } from "../transport/transport_options.ts";
import { balancedHost } from "./_balanced_host.ts";
import type { CallHost } from "./_client_call.ts";
import { checkRetry, Connector, defaultKeyOf } from "./_connector.ts";
import { DEFAULT_OUTLIER, EndpointGroup } from "./_endpoint_group.ts";
import { createBalancer } from "./balancer.ts";
import type { ClientOptions } from "./client_options.ts";
import { ConnectionPool } from "./connection_pool.ts";

/** What a client is made of. */
export interface ClientParts {
  key: TransportKey | undefined;
  retry: number;
  timeout: number;
  timers: TimerHeap;
  ownTimers: boolean;
  onError: (error: unknown) => void;
  caller: Caller;
  connector: Connector;
  pool: ConnectionPool;
  group: EndpointGroup | undefined;
  balanced: CallHost<unknown> | undefined;
}

/**
 * Checks a client's options and builds its parts.
 *
 * @param options The client's options.
 * @param livePool The client's pool, throwing once the client is closed.
 * @returns The parts.
 * @throws {TypeError} If neither `dial` nor `dialer` is given, a key is
 *   invalid, or the options contradict each other.
 * @throws {RangeError} If an option is out of range.
 */
export function clientParts(
  options: ClientOptions,
  livePool: () => ConnectionPool,
): ClientParts {
  const {
    endpoint,
    dial,
    dialer,
    connectTimeout,
    poolSize,
    idleTimeout,
    heartbeat,
    reconnect,
    retry,
    timers: sharedTimers,
    resolver,
    balancer,
    outlier,
    ...connection
  } = options;
  if (resolver !== undefined && (endpoint ?? dialer) !== undefined) {
    throw new TypeError(
      "A client takes a resolver, or an endpoint or dialer, not both",
    );
  }
  if (resolver === undefined && (balancer ?? outlier) !== undefined) {
    throw new TypeError("The balancer and outlier options need a resolver");
  }
  const key = defaultKeyOf(endpoint, dial, dialer);
  const timeout = checkTimeout(connection.timeout ?? DEFAULT_TIMEOUT);
  const timers = sharedTimers ?? new TimerHeap();
  const onError = connection.onError ?? (() => {});
  const connector = new Connector({
    key,
    dial,
    dialer,
    connectTimeout,
    timers,
    connection: { ...connection, timers },
  });
  const pool = new ConnectionPool({
    connect: (key, o) => connector.connect(key, o.signal),
    size: poolSize,
    idleTimeout,
    heartbeat,
    reconnect,
    timers,
  });
  let group: EndpointGroup | undefined;
  let balanced: CallHost<unknown> | undefined;
  if (resolver !== undefined) {
    group = new EndpointGroup({
      pool,
      resolver,
      balancer: createBalancer(balancer ?? "failover"),
      timers,
      ...DEFAULT_OUTLIER,
      ...outlier,
      drainTimeout: timeout === Infinity ? 60_000 : timeout,
      report: onError,
    });
    balanced = balancedHost(group, livePool, connector, onError);
  }
  return {
    key,
    retry: checkRetry(retry ?? 0),
    timeout,
    timers,
    ownTimers: sharedTimers === undefined,
    onError,
    caller: new Caller(
      (connection.protocol ?? envelopeProtocol) as Protocol<unknown>,
      (connection.body ?? rawBody) as BodyCodec<unknown>,
      connection.metadata,
      connection.interceptors,
    ),
    connector,
    pool,
    group,
    balanced,
  };
}
