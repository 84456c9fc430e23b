/**
 * Dialers, the client side of the seed's ChannelGenerator:
 * {@linkcode EndpointDialer} opens channels to one endpoint with a connect
 * timeout; {@linkcode FailoverDialer} to an active endpoint or its standbys.
 *
 * @module
 */

export type { DialFunction } from "./dial_function.ts";
export {
  DEFAULT_CONNECT_TIMEOUT,
  EndpointDialer,
  type EndpointDialerOptions,
} from "./endpoint_dialer.ts";
export {
  DEFAULT_DOWN_TIME,
  type EndpointStatus,
  FailoverDialer,
  type FailoverDialerOptions,
} from "./failover_dialer.ts";
