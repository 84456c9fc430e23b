/**
 * `Client.connection()`: a usable connection to a request's endpoint (or
 * to the resolver's endpoints), connecting if needed.
 *
 * @module
 */

import type {
  TransportKey,
  TransportKeyInit,
} from "../channel/transport_key.ts";
import type { Connection } from "../connection/connection.ts";
import { TRANSPARENT_RETRIES } from "./_client_call.ts";
import type { Connector } from "./_connector.ts";
import type { EndpointGroup } from "./_endpoint_group.ts";
import { groupConnection } from "./_balanced_host.ts";
import type { ClientNotifyOptions } from "./client_options.ts";
import type { ConnectionPool } from "./connection_pool.ts";

/**
 * A connection that takes requests, from the pool or newly connected.
 *
 * @param group The resolver's endpoints, if the client has a resolver.
 * @param pool The client's pool (throws once the client is closed).
 * @param connector Connects new connections.
 * @param timeout How long connecting may take.
 * @param key The endpoint of a request that names one.
 * @param options The key and abort signal.
 * @returns The connection with the fewest requests in flight.
 */
export async function clientConnection(
  group: EndpointGroup | undefined,
  pool: () => ConnectionPool,
  connector: Connector,
  timeout: number,
  key: () => TransportKey | string | TransportKeyInit,
  options: ClientNotifyOptions,
): Promise<Connection> {
  if (group && options.key === undefined) {
    pool();
    return await groupConnection(
      group,
      pool,
      connector,
      timeout,
      options.signal,
    );
  }
  const endpoint = key();
  for (let tries = TRANSPARENT_RETRIES;; tries--) {
    const connection = pool().tryGet(endpoint) ??
      await connector.acquire(pool(), endpoint, timeout, options.signal, false);
    if (connection.canRequest || tries === 0) return connection;
  }
}
