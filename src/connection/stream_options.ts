/**
 * {@linkcode StreamOptions}: the options of a stream call.
 *
 * @module
 */

import type { MetadataInit } from "../codec/metadata.ts";
import type { TransportKeyInit } from "../channel/transport_key.ts";

/**
 * The options of `serverStream`, `clientStream` and `bidiStream`.
 *
 * @example A stream that may last at most a minute
 * ```ts
 * import type { StreamOptions } from "listenrain/advanced";
 *
 * const controller = new AbortController();
 * const options: StreamOptions = {
 *   timeout: 60_000,
 *   signal: controller.signal,
 *   metadata: { authorization: "Bearer t0ken" },
 * };
 * console.log(options.timeout); // 60000
 * ```
 */
export interface StreamOptions {
  /**
   * The whole stream's deadline in ms, carried to the peer; `0` or
   * `Infinity` for none. Streams have none by default (a log tail may run
   * for days): the connection's `timeout` applies to requests only.
   * @default {0}
   */
  timeout?: number;
  /** Cancels the stream on both sides; the reader gets `AbortedError`. */
  signal?: AbortSignal;
  /** Metadata sent with the request that opens the stream. */
  metadata?: MetadataInit;
  /** `Client` only: the endpoint. @default {the client's endpoint or resolver} */
  key?: string | TransportKeyInit;
}
