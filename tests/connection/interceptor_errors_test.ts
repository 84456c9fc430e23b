/**
 * Errors around request interceptors go where they go without them:
 * - a state machine callback that throws, on a Connection with request
 *   interceptors, reaches the connection's `onError` (as it does without
 *   interceptors), not an unhandled promise rejection;
 * - a Client with request interceptors given a bad `key` rejects the
 *   request's promise and calls the machine's `onError`, as without
 *   interceptors, instead of throwing synchronously.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { MemoryNetwork } from "../../src/channel/memory_network.ts";
import { createMemoryPipe } from "../../src/channel/memory_pipe.ts";
import { Client } from "../../src/client/client.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { Connection } from "../../src/connection/connection.ts";
import type { Interceptor } from "../../src/connection/interceptor.ts";
import { Router } from "../../src/transport/router.ts";
import { sleep, until } from "../_helpers/pair.ts";

const passThrough: Interceptor = { request: (request, next) => next(request) };

describe("errors around request interceptors", () => {
  for (const interceptors of [[], [passThrough]]) {
    const label = interceptors.length ? "with" : "without";
    it(
      `Connection.call: a machine callback that throws reaches onError (${label} interceptors)`,
      {
        timeout: 20_000,
      },
      async () => {
        const unhandled: unknown[] = [];
        const onUnhandled = (error: unknown) => void unhandled.push(error);
        process.on("unhandledRejection", onUnhandled);
        const [a, b] = createMemoryPipe();
        const router = new Router().handle("get", (_: null) => 1);
        const server = new Connection(a, { router, body: jsonBody });
        const errors: unknown[] = [];
        const client = new Connection(b, {
          body: jsonBody,
          interceptors,
          onError: (error) => void errors.push(error),
        });
        try {
          let calls = 0;
          client.call("get", null, {
            onMessage: () => {
              calls++;
              throw new Error("a bug in the machine");
            },
            onError: () => void calls++,
          });
          await until(() => calls > 0);
          await sleep(50);
          assert.equal(calls, 1);
          assert.deepEqual(unhandled, [], "an unhandled rejection");
          assert.deepEqual(errors.map(String), ["Error: a bug in the machine"]);
        } finally {
          process.off("unhandledRejection", onUnhandled);
          await client.close();
          await server.close();
        }
      },
    );

    it(
      `Client: a bad key rejects the request and calls onError, never throws (${label} interceptors)`,
      {
        timeout: 20_000,
      },
      async () => {
        const network = new MemoryNetwork();
        const client = new Client({
          endpoint: "mem://a",
          dial: (key, o) => network.dial(key, o),
          interceptors,
        });
        try {
          let promise: Promise<unknown> | undefined;
          assert.doesNotThrow(() => {
            promise = client.request("x", new Uint8Array(), {
              key: "not a key",
            });
          });
          await assert.rejects(promise!, TypeError);
          const errors: unknown[] = [];
          assert.doesNotThrow(() =>
            client.call("x", new Uint8Array(), {
              onMessage: () => {},
              onError: (error) => void errors.push(error),
            }, { key: "not a key" })
          );
          await until(() => errors.length > 0);
          assert.ok(errors[0] instanceof TypeError);
        } finally {
          await client.close();
        }
      },
    );
  }
});
