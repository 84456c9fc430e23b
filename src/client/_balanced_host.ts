/**
 * The call host of a client's resolved endpoints: picks through the
 * {@linkcode EndpointGroup} and reports outcomes to it. Private to the client.
 *
 * @module
 */

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
