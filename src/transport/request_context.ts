/**
 * The {@linkcode RequestContext} a handler receives with each incoming
 * request.
 *
 * @module
 */

import type { ChannelAddr, PeerCertificate } from "../channel/channel.ts";
import type { MessageId } from "../codec/message_codec.ts";
import type { Metadata } from "../codec/metadata.ts";
import type { Connection } from "../connection/connection.ts";
import type { RouteName } from "../protocol/protocol.ts";

/**
 * What a handler knows about the request it handles: its id, its deadline,
 * a `signal` that aborts when the caller cancels the request, its deadline
 * passes or the connection closes (a handler doing slow work should pass it
 * on), and who sent it: the `connection` it came on (to push to that caller
 * only) and the caller's address.
 *
 * @example Passing the signal on, and pushing to the caller only
 * ```ts
 * import { Connection, jsonBody, type RequestContext, Router } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const router = new Router().handle("watch", async (_body: unknown, ctx: RequestContext) => {
 *   await ctx.connection.notify("progress", { done: 50 }); // to this caller alone
 *   await new Promise((resolve, reject) => {
 *     const timer = setTimeout(resolve, 10);
 *     ctx.signal.addEventListener("abort", () => {
 *       clearTimeout(timer);
 *       reject(ctx.signal.reason);
 *     }, { once: true });
 *   });
 *   return { from: ctx.remoteAddr.name };
 * });
 * const progress = new Router().handle("progress", (body: { done: number }) => {
 *   console.log(body.done); // 50
 * });
 * const [a, b] = createMemoryPipe({ names: ["server", "client"] });
 * const server = new Connection(a, { router, body: jsonBody });
 * const client = new Connection<typeof router>(b, { router: progress, body: jsonBody });
 * console.log(await client.request("watch", null)); // { from: "client" }
 * await client.close();
 * await server.close();
 * ```
 */
export interface RequestContext<M = unknown> {
  /** The request's id (for notifications: whatever the message carries). */
  readonly id: MessageId;
  /** The incoming message, as the protocol decoded it (its envelope, by default). */
  readonly message: M;
  /** False for notifications: nobody waits for a reply. */
  readonly expectsReply: boolean;
  /** The deadline the caller sent with the request, in ms, if any. */
  readonly timeout: number | undefined;
  /** Aborts when the request is cancelled; made on first use. */
  readonly signal: AbortSignal;
  /** True once the caller gave up, the deadline passed or the connection closed. */
  readonly cancelled: boolean;
  /**
   * The connection the request came on: `ctx.connection.notify(...)` pushes
   * to this caller only, `ctx.connection.request(...)` calls it back.
   */
  readonly connection: Connection;
  /** The caller's address: the remote address of the request's connection. */
  readonly remoteAddr: ChannelAddr;
  /**
   * The certificate the caller presented, on TLS with client certificates
   * (Node and Bun adapters; `undefined` on Deno, TCP, Unix and memory).
   */
  readonly peerCertificate: PeerCertificate | undefined;
  /** The route the request named. */
  readonly route: RouteName;
  /** The metadata that came with the request (empty if none). */
  readonly metadata: Metadata;
  /**
   * Metadata to send back with the reply, or with the error reply if the
   * handler throws (gRPC's trailers): `ctx.replyMetadata.set("x-cache", "hit")`.
   */
  readonly replyMetadata: Metadata;
}
