/**
 * Type test: a handler's `RequestContext` shows the request and its caller,
 * and none of the transport's bookkeeping. Never run, only compiled; each
 * line under `@ts-expect-error` must be a compile error.
 *
 * @module
 */

import {
  type BodyCodec,
  Connection,
  jsonBody,
  type RequestContext,
  Router,
} from "listenrain";
import type { ChannelAddr } from "listenrain/advanced";

export const router = new Router().handle(
  "ctx",
  async (_body: null, ctx: RequestContext) => {
    // Must compile: what a handler may read.
    const id: number | bigint | string = ctx.id;
    const expectsReply: boolean = ctx.expectsReply;
    const timeout: number | undefined = ctx.timeout;
    const signal: AbortSignal = ctx.signal;
    const cancelled: boolean = ctx.cancelled;
    const connection: Connection = ctx.connection;
    await ctx.connection.notify("pushed", { to: "this caller" });
    const remote: ChannelAddr = ctx.remoteAddr;
    console.log(id, expectsReply, timeout, signal, cancelled, remote);
    console.log(connection.remoteAddr.transport, ctx.message);

    // Must not compile: the transport's bookkeeping is not public.
    // @ts-expect-error: the deadline timer is internal
    console.log(ctx.timer);
    // @ts-expect-error: the charged size is internal
    console.log(ctx.size);
    // @ts-expect-error: started is internal
    console.log(ctx.started);
    // @ts-expect-error: receivedAt is internal
    console.log(ctx.receivedAt);
    // @ts-expect-error: finish() is internal
    ctx.finish();
    // @ts-expect-error: cancel() is internal
    ctx.cancel(new Error("no"));
    // @ts-expect-error: the context is read-only
    ctx.timeout = 5;
    return "ok";
  },
);

// jsonBody decodes to unknown, not any: a body must be checked before use.
export function decoded(bytes: Uint8Array): string {
  const value = jsonBody.decode(bytes);
  const codec: BodyCodec<unknown> = jsonBody;
  console.log(codec.name);
  // @ts-expect-error: a decoded JSON body is unknown until checked
  const name: string = value.name;
  if (typeof value === "object" && value !== null && "name" in value) {
    return String(value.name);
  }
  return name;
}
