/**
 * The listenrain routes of the stream benchmark: "flood", a server stream
 * (one request: count and size, _payload.ts; replies: the payload, `count`
 * times or until the caller cancels), and "echo", request/reply.
 *
 * @module
 */

import { Router } from "../../src/transport/router.ts";
import { decodeRequest, payload } from "./_payload.ts";

/** The server's router; `typeof router` types the client's Connection. */
export const router = new Router()
  .serverStream("flood", async function* (request: Uint8Array, ctx) {
    const { count, size } = decodeRequest(request);
    const bytes = payload(size);
    for (let sent = 0; count === 0 || sent < count; sent++) {
      if (ctx.signal.aborted) return;
      yield bytes;
    }
  })
  .handle("echo", (body: Uint8Array) => body);
