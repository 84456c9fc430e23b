/**
 * The call host of a client's resolved endpoints: picks through the
 * {@linkcode EndpointGroup} and reports outcomes to it. Private to the client.
 *
 * @module
 */

import type { Connection } from "../connection/connection.ts";
import { connectionParts } from "../connection/connection.ts";
import type { Transport } from "../transport/transport.ts";
import type { CallHost } from "./_client_call.ts";
import type { Connector } from "./_connector.ts";
import type { ConnectionPool } from "./connection_pool.ts";
import type { EndpointGroup } from "./_endpoint_group.ts";

/**
 * A host whose calls go to the group's endpoints (the key is ignored).
 *
 * @param group The endpoints.
 * @param pool The client's pool (throws once the client is closed).
 * @param connector Waits for one endpoint's connection.
 * @param report Receives errors of callers' callbacks.
 * @returns The host.
 */
export function balancedHost(
  group: EndpointGroup,
  pool: () => ConnectionPool,
  connector: Connector,
  report: (error: unknown) => void,
): CallHost<unknown> {
  return {
    pick: (_key, hashKey, tried) => {
      pool();
      const connection = group.pick(hashKey, tried);
      return connection && connectionParts(connection).transport;
    },
    acquire: async (_key, remaining, signal, waitForReady, hashKey, tried) =>
      connectionParts(
        await group.acquire(
          remaining,
          signal,
          waitForReady,
          hashKey,
          tried,
          (key, left) =>
            connector.acquire(pool(), key, left, signal, waitForReady),
        ),
      ).transport as Transport<unknown>,
    outcome: (transport, error) => group.outcome(transport, error),
    report,
  };
}

/**
 * The call host of a client without a resolver: the pool's connections of
 * the request's key.
 *
 * @param pool The client's pool (throws once the client is closed).
 * @param connector The client's connector.
 * @param report Receives errors of callers' callbacks.
 * @returns The host.
 */
export function poolHost(
  pool: () => ConnectionPool,
  connector: () => Connector,
  report: (error: unknown) => void,
): CallHost<unknown> {
  return {
    pick: (key) => {
      const connection = pool().tryGet(key);
      return connection && connectionParts(connection).transport;
    },
    acquire: async (key, remaining, signal, waitForReady) =>
      connectionParts(
        await connector().acquire(pool(), key, remaining, signal, waitForReady),
      ).transport,
    report,
  };
}

/**
 * A usable connection of a balanced client, connecting if needed.
 *
 * @param group The client's endpoints.
 * @param pool The client's pool.
 * @param connector The client's connector.
 * @param timeout How long to wait, in ms.
 * @param signal Aborts waiting.
 * @returns The connection the balancer picks.
 */
export async function groupConnection(
  group: EndpointGroup,
  pool: () => ConnectionPool,
  connector: Connector,
  timeout: number,
  signal: AbortSignal | undefined,
): Promise<Connection> {
  return group.pick(undefined, undefined) ??
    await group.acquire(
      timeout,
      signal,
      false,
      undefined,
      undefined,
      (key, left) => connector.acquire(pool(), key, left, signal, false),
    );
}
