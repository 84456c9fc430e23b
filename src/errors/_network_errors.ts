/**
 * The errors of channels and listeners: a channel that could not be opened
 * or that closed, an address already held, a runtime that lacks what was
 * asked for.
 *
 * @module
 */

import { ListenRainError } from "./_listen_rain_error.ts";

/**
 * The connection closed before the operation completed. Every request pending
 * on a transport that closes rejects with this error.
 *
 * @example Creating a ConnectionClosedError
 * ```ts
 * import { ConnectionClosedError } from "listenrain";
 * const error = new ConnectionClosedError("Transport closed: peer reset");
 * console.log(error.code); // "ERR_CONNECTION_CLOSED"
 * ```
 */
export class ConnectionClosedError extends ListenRainError {
  /**
   * Creates the error.
   *
   * @param message Why the connection closed.
   * @param options `cause`, the error that closed it, if any.
   */
  constructor(message = "Connection closed", options?: ErrorOptions) {
    super("ERR_CONNECTION_CLOSED", message, options);
  }
}

/**
 * A channel could not be opened: the endpoint refused or was unreachable, the
 * connect timeout passed, or every endpoint of a failover dialer failed. The
 * underlying error is the `cause`. Nothing was sent, so a request that fails
 * with it may always be sent again.
 *
 * @example Creating a ConnectError
 * ```ts
 * import { ConnectError } from "listenrain";
 * const error = new ConnectError("Cannot connect to tcp://10.0.0.1:7000: timed out after 1000 ms");
 * console.log(error.code); // "ERR_CONNECT"
 * ```
 */
export class ConnectError extends ListenRainError {
  /**
   * Creates the error.
   *
   * @param message Which endpoint, and why it failed.
   * @param options `cause`, the underlying error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_CONNECT", message, options);
  }
}

/**
 * A listener could not bind its address because another listener holds it.
 *
 * @example Creating an AddressInUseError
 * ```ts
 * import { AddressInUseError } from "listenrain";
 * const error = new AddressInUseError("Cannot listen on mem://api: address in use");
 * console.log(error.code); // "ERR_ADDRESS_IN_USE"
 * ```
 */
export class AddressInUseError extends ListenRainError {
  /**
   * Creates the error.
   *
   * @param message Which address, and who holds it.
   * @param options `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_ADDRESS_IN_USE", message, options);
  }
}

/**
 * This runtime, its version, its flags or its platform lack what was asked
 * for: `reusePort` on Node older than 22.12 or on Deno without
 * `--unstable-net`, or one server per core outside the runtimes and
 * platforms that support it. The message says what is missing and what
 * would provide it.
 *
 * @example Falling back to one process when the runtime cannot do more
 * ```ts
 * import { UnsupportedRuntimeError } from "listenrain/adapters/node";
 * const error = new UnsupportedRuntimeError("reusePort needs Node 22.12 or later");
 * console.log(error.code); // "ERR_UNSUPPORTED_RUNTIME"
 * ```
 */
export class UnsupportedRuntimeError extends ListenRainError {
  /**
   * Creates the error.
   *
   * @param message What is missing, and what would provide it.
   * @param options `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_UNSUPPORTED_RUNTIME", message, options);
  }
}
