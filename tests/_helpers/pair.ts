/** Shared helpers of the core's tests: connected peers and transports. */

import {
  createMemoryPipe,
  type MemoryPipeOptions,
} from "../../src/channel/memory_pipe.ts";
import { type Envelope, EnvelopeCodec } from "../../src/codec/envelope.ts";
import { Connection } from "../../src/connection/connection.ts";
import type { ConnectionOptions } from "../../src/connection/connection_options.ts";
import {
  Transport,
  type TransportOptions,
} from "../../src/transport/transport.ts";

/** Two peers on one in-memory pipe: `server` gets the options, `client` the client options. */
export function peers<B>(
  serverOptions: ConnectionOptions<B> = {},
  clientOptions: ConnectionOptions<B> = {},
  pipe: MemoryPipeOptions = {},
): { server: Connection; client: Connection; close(): Promise<void> } {
  const [a, b] = createMemoryPipe(pipe);
  const server = new Connection(a, serverOptions);
  const client = new Connection(b, clientOptions);
  return {
    server,
    client,
    close: async () => {
      await Promise.all([client.close(), server.close()]);
    },
  };
}

/** Two envelope transports on one in-memory pipe. */
export function transports(
  serverOptions: Partial<TransportOptions<Envelope>> = {},
  clientOptions: Partial<TransportOptions<Envelope>> = {},
  pipe: MemoryPipeOptions = {},
): {
  server: Transport<Envelope>;
  client: Transport<Envelope>;
  close(): Promise<void>;
} {
  const codec = new EnvelopeCodec();
  const [a, b] = createMemoryPipe(pipe);
  const server = new Transport<Envelope>(a, { codec, ...serverOptions });
  const client = new Transport<Envelope>(b, { codec, ...clientOptions });
  return {
    server,
    client,
    close: async () => {
      await Promise.all([client.close(), server.close()]);
    },
  };
}

/** A request envelope (id set by the transport). */
export function requestOf(route: string | number, body: Uint8Array): Envelope {
  return { kind: "request", id: 0, route, body };
}

/** A reply envelope (id set by the transport). */
export function replyOf(body: Uint8Array): Envelope {
  return { kind: "reply", id: 0, route: "", body };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise with its resolve and reject functions. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Waits until `check()` is true, polling every few ms, failing after `ms`. */
export async function until(
  check: () => boolean,
  ms = 5000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(2);
  }
}
