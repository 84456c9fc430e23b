/**
 * A caller and a server with interceptors, over the memory pipe (two
 * `Connection`s) or over loopback TCP (a `Client` and a `Server` on this
 * runtime's adapter), so the interceptor semantics tests run on both paths
 * a request takes.
 *
 * @module
 */

import { loadAdapter } from "../../adapters/runtime.ts";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import { Client } from "../../src/client/client.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import type { MetadataInit } from "../../src/codec/metadata.ts";
import { Connection } from "../../src/connection/connection.ts";
import type { Interceptor } from "../../src/connection/interceptor.ts";
import { Server } from "../../src/server/server.ts";
import type { Router } from "../../src/transport/router.ts";
import type { StateMachine } from "../../src/transport/state_machine.ts";
import type { RequestOptions } from "../../src/transport/transport_options.ts";

/** Which path: two connections on a memory pipe, or a client and a server on TCP. */
export type PairKind = "memory" | "tcp";

/** The paths every semantics test runs on. */
export const KINDS: readonly PairKind[] = ["memory", "tcp"];

/** What the tests call: the calling side's request, call and notify. */
export interface Caller {
  // deno-lint-ignore no-explicit-any
  request(route: string, body: unknown, options?: RequestOptions): Promise<any>;
  call(
    route: string,
    body: unknown,
    machine: StateMachine<unknown>,
    options?: RequestOptions,
  ): void;
  notify(
    route: string,
    body: unknown,
    options?: { metadata?: MetadataInit },
  ): Promise<void>;
}

/** What a pair is made of. */
export interface PairOptions {
  /** The server's routes (and its `router.use` interceptors). */
  router: Router;
  /** The server's (or server connection's) own interceptors. */
  server?: Interceptor[];
  /** The caller's interceptors. */
  client?: Interceptor[];
  /** The caller's default metadata. */
  metadata?: MetadataInit;
}

/**
 * Opens a pair.
 *
 * @param kind Which path.
 * @param options Routes, interceptors, default metadata.
 * @returns The caller and a close function.
 */
export async function openPair(
  kind: PairKind,
  options: PairOptions,
): Promise<{ caller: Caller; close(): Promise<void> }> {
  const { router, server: handles, client: requests, metadata } = options;
  if (kind === "memory") {
    const [a, b] = createMemoryPipe();
    const server = new Connection(a, {
      router,
      body: jsonBody,
      interceptors: handles,
    });
    const client = new Connection(b, {
      body: jsonBody,
      interceptors: requests,
      metadata,
    });
    return {
      caller: {
        request: (route, body, o) => client.request(route, body, o),
        call: (route, body, machine, o) =>
          void client.call(route, body, machine, o),
        notify: async (route, body, o) => await client.notify(route, body, o),
      },
      close: async () => {
        await Promise.all([client.close(), server.close()]);
      },
    };
  }
  const adapter = await loadAdapter();
  const server = new Server({ router, body: jsonBody, interceptors: handles });
  server.serve(await adapter.listen("tcp://127.0.0.1:0"));
  const client = new Client({
    endpoint: `tcp://127.0.0.1:${server.addrs[0].port}`,
    dial: (key) => adapter.dial(key.toString()),
    body: jsonBody,
    interceptors: requests,
    metadata,
  });
  return {
    caller: {
      request: (route, body, o) => client.request(route, body, o),
      call: (route, body, machine, o) => client.call(route, body, machine, o),
      notify: (route, body, o) => client.notify(route, body, o),
    },
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/**
 * A state machine that counts its callbacks.
 *
 * @returns The machine, the callbacks it got (by name), and a promise of
 * the first.
 */
export function countingMachine(): {
  machine: StateMachine<unknown>;
  calls: [string, unknown][];
  first: Promise<[string, unknown]>;
} {
  const calls: [string, unknown][] = [];
  let resolve!: (call: [string, unknown]) => void;
  const first = new Promise<[string, unknown]>((r) => resolve = r);
  const record = (name: string) => (value: unknown) => {
    calls.push([name, value]);
    resolve([name, value]);
  };
  return {
    machine: {
      onMessage: record("message"),
      onTimeout: record("timeout"),
      onError: record("error"),
    },
    calls,
    first,
  };
}
