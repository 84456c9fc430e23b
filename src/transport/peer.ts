/**
 * The {@linkcode Peer}: one end of a connection that speaks the default
 * protocol, with routes and body codecs.
 *
 * @module
 */

import { decodingMachine } from "./_decoding_machine.ts";
import type { Channel } from "../channel/channel.ts";
import { type BodyCodec, rawBody } from "../codec/body_codec.ts";
import { type Envelope, EnvelopeCodec } from "../codec/envelope.ts";
import type { MessageId } from "../codec/message_codec.ts";
import { RemoteError } from "../errors.ts";
import type { RequestContext } from "./request_context.ts";
import type { Router } from "./router.ts";
import type { StateMachine } from "./state_machine.ts";
import type { TransportStats } from "./stats.ts";
import {
  requestDecoded,
  type RequestOptions,
  Transport,
  type TransportOptions,
} from "./transport.ts";

/**
 * Options of {@linkcode Peer}: the transport's options, less the codec.
 *
 * @example A router, a body codec and transport options
 * ```ts
 * import { createMemoryPipe } from "../channel/memory_pipe.ts";
 * import { jsonBody } from "../codec/body_codec.ts";
 * import { Peer, type PeerOptions } from "./peer.ts";
 * import { Router } from "./router.ts";
 *
 * const options: PeerOptions<unknown> = {
 *   router: new Router().handle("add", ([x, y]: [number, number]) => x + y),
 *   body: jsonBody,
 *   timeout: 5_000, // and any other transport option but `codec` and `handler`
 *   maxPendingRequests: 1_000,
 * };
 * const [a, b] = createMemoryPipe();
 * const server = new Peer(a, options);
 * const client = new Peer(b, { body: jsonBody });
 * console.log(await client.request("add", [2, 3])); // 5
 * await client.close();
 * await server.close();
 * ```
 */
export interface PeerOptions<B>
  extends Omit<TransportOptions<Envelope>, "codec" | "handler"> {
  /** Handlers for incoming requests and notifications. */
  router?: Router;
  /** The body codec. @default {rawBody} */
  body?: BodyCodec<B>;
}

const sharedCodec = new EnvelopeCodec();
const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * One end of a connection speaking the default protocol: `request` a route
 * and await the reply, `call` it with callbacks, `notify` it one way, and
 * serve the routes of a {@linkcode Router}. Both ends can do all of it.
 *
 * @example Say hi
 * ```ts
 * import { createMemoryPipe } from "../channel/memory_pipe.ts";
 * import { jsonBody } from "../codec/body_codec.ts";
 * import { Peer } from "./peer.ts";
 * import { Router } from "./router.ts";
 *
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("sayhi", (body: { name: string }) => ({ hi: body.name }));
 * const server = new Peer(a, { router, body: jsonBody });
 * const client = new Peer(b, { body: jsonBody });
 * console.log(await client.request("sayhi", { name: "rain" })); // { hi: "rain" }
 * await client.close();
 * await server.close();
 * ```
 */
// deno-lint-ignore no-explicit-any
export class Peer<B = any> {
  /** The transport underneath. */
  readonly transport: Transport<Envelope>;
  #body: BodyCodec<B>;
  #router: Router | undefined;

  /**
   * Starts speaking on `channel` at once.
   *
   * @param channel The byte stream; the peer owns it from now on.
   * @param options Router, body codec and transport options.
   */
  constructor(channel: Channel, options: PeerOptions<B> = {}) {
    this.#body = options.body ?? (rawBody as unknown as BodyCodec<B>);
    this.#router = options.router;
    this.transport = new Transport<Envelope>(channel, {
      ...options,
      codec: sharedCodec,
      handler: this.#router ? this.#handle : undefined,
    });
  }

  /** Resolves once the connection is closed. */
  get closed(): Promise<void> {
    return this.transport.closed;
  }

  /** The transport's counters. */
  get stats(): TransportStats {
    return this.transport.stats;
  }

  /**
   * Sends a request to `route` and waits for the reply body.
   *
   * @param route A route name or u32 command.
   * @param body The request body.
   * @param options Timeout and abort signal.
   * @returns The reply body.
   * @throws {RemoteError} The handler failed or no such route (`remoteCode`).
   * @throws {CodecError} A body could not be encoded or decoded here.
   * @throws The other errors of {@linkcode Transport.request}.
   */
  request(
    route: string | number,
    body: B,
    options?: RequestOptions,
  ): Promise<B> {
    let message: Envelope;
    try {
      message = this.#envelope("request", route, body);
    } catch (error) {
      return Promise.reject(error);
    }
    return requestDecoded(this.transport, message, this.#decodeReply, options);
  }

  #decodeReply = (reply: Envelope): B => this.#body.decode(reply.body);

  /**
   * Sends a request whose reply goes to `machine` (async mode).
   *
   * @param route A route name or u32 command.
   * @param body The request body.
   * @param machine Called back once with the decoded reply or the error.
   * @param options Timeout and abort signal.
   * @returns The request's id.
   * @throws The errors of {@linkcode Transport.send}.
   */
  call(
    route: string | number,
    body: B,
    machine: StateMachine<B>,
    options?: RequestOptions,
  ): MessageId {
    return this.transport.send(
      this.#envelope("request", route, body),
      decodingMachine(this.#body, machine),
      options,
    );
  }

  /**
   * Sends a one-way notification to `route`.
   *
   * @param route A route name or u32 command.
   * @param body The body.
   * @returns `undefined` once queued, or a promise while the queue is full.
   */
  notify(route: string | number, body: B): void | Promise<void> {
    return this.transport.notify(this.#envelope("notify", route, body));
  }

  /**
   * Closes the connection; see {@linkcode Transport.close}.
   *
   * @param reason Message for the pending requests' error.
   * @returns A promise that resolves once closed.
   */
  close(reason?: string): Promise<void> {
    return this.transport.close(reason);
  }

  /** Closes the connection. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #envelope(
    kind: "request" | "notify",
    route: string | number,
    body: B,
  ): Envelope {
    return { kind, id: 0, route, body: this.#body.encode(body) };
  }

  #handle = (
    message: Envelope,
    context: RequestContext<Envelope>,
  ): Envelope | Promise<Envelope> => {
    const route = this.#router!.lookup(message.route);
    if (route === undefined) {
      throw new RemoteError(
        "UNKNOWN_ROUTE",
        `No handler for route ${JSON.stringify(message.route)}`,
      );
    }
    const codec = route.body ?? this.#body;
    let body: B;
    try {
      body = codec.decode(message.body);
    } catch (error) {
      // The caller's own bytes: it is told why they do not decode.
      throw new RemoteError(
        "CODEC_ERROR",
        error instanceof Error ? error.message : String(error),
      );
    }
    const result = route.handler(body, context);
    if (result instanceof Promise) {
      return result.then((value) => reply(codec, value));
    }
    return reply(codec, result);
  };
}

function reply<B>(codec: BodyCodec<B>, value: B): Envelope {
  const body = value === undefined && codec === rawBody as unknown
    ? EMPTY
    : codec.encode(value);
  return { kind: "reply", id: 0, route: "", body };
}
