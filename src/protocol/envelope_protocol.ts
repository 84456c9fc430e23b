/**
 * {@linkcode envelopeProtocol}: listenrain's own protocol, the default of
 * every connection, client and server.
 *
 * @module
 */

import { type BodyCodec, rawBody } from "../codec/body_codec.ts";
import { type Envelope, EnvelopeCodec } from "../codec/envelope.ts";
import type { Metadata } from "../codec/metadata.ts";
import type { Protocol } from "./protocol.ts";

const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * The envelope protocol (docs/PROTOCOL.md): kind, flags, id, route, an
 * optional deadline and the body's bytes, through the route's body codec,
 * in length-prefixed frames. It is the default `protocol` of `Connection`,
 * `Client` and `Server`.
 *
 * @example Naming the default explicitly
 * ```ts
 * import { Connection, envelopeProtocol, jsonBody, Router } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("add", ([x, y]: [number, number]) => x + y);
 * const server = new Connection(a, { protocol: envelopeProtocol, router, body: jsonBody });
 * const client = new Connection<typeof router>(b, { protocol: envelopeProtocol, body: jsonBody });
 * console.log(await client.request("add", [2, 3])); // 5
 * await client.close();
 * await server.close();
 * ```
 */
export const envelopeProtocol: Protocol<Envelope> = Object.freeze({
  codec: new EnvelopeCodec(),
  message(
    kind: "request" | "notify",
    route: string | number,
    body: unknown,
    bodyCodec: BodyCodec<unknown>,
    metadata?: Metadata,
  ): Envelope {
    const bytes = bodyCodec.encode(body);
    // `timeout` is there from the start (the transport sets it on most
    // requests): setting it then changes no shape and allocates nothing.
    return metadata === undefined
      ? { kind, id: 0, route, timeout: undefined, body: bytes }
      : { kind, id: 0, route, timeout: undefined, body: bytes, metadata };
  },
  reply(
    body: unknown,
    bodyCodec: BodyCodec<unknown>,
    metadata?: Metadata,
  ): Envelope {
    const bytes = body === undefined && bodyCodec === rawBody as unknown
      ? EMPTY
      : bodyCodec.encode(body);
    return metadata === undefined
      ? { kind: "reply", id: 0, route: "", body: bytes }
      : { kind: "reply", id: 0, route: "", body: bytes, metadata };
  },
  streamMessage(
    body: unknown,
    bodyCodec: BodyCodec<unknown>,
    fromOpener: boolean,
  ): Envelope {
    return {
      kind: fromOpener ? "stream" : "stream_reply",
      id: 0,
      route: "",
      body: bodyCodec.encode(body),
    };
  },
  metadata: (message: Envelope): Metadata | undefined => message.metadata,
  route: (message: Envelope): string | number => message.route,
  body: (message: Envelope, bodyCodec: BodyCodec<unknown>): unknown =>
    bodyCodec.decode(message.body),
});
