/**
 * A handler's unexpected error stays on the server: the server's
 * `onHandlerError` hears it with the route and the request's context, and
 * the caller gets `HANDLER_ERROR` with an error id it can quote, never the
 * message (issue 12, point 8). A `RemoteError` is meant for the caller and
 * goes as it is; `exposeErrors` sends every message.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryNetwork } from "../../src/channel/memory_network.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import type { Envelope } from "../../src/codec/envelope.ts";
import { Client } from "../../src/client/client.ts";
import { RemoteError } from "../../src/errors.ts";
import { Server, type ServerOptions } from "../../src/server/server.ts";
import type { HandlerFailure } from "../../src/transport/handler_failure.ts";
import { Router } from "../../src/transport/router.ts";
import { until } from "../_helpers/pair.ts";

const router = new Router()
  .handle("login", () => {
    throw new Error("secret db password rejected");
  })
  .handle("later", async () => {
    await Promise.resolve();
    throw new TypeError("cannot read properties of undefined");
  })
  .handle("forbidden", () => {
    throw new RemoteError("PERMISSION_DENIED", "You may not do that");
  })
  .handle("tell", () => {
    throw new Error("notification failed");
  });

/** The remote error a request failed with (fails the test otherwise). */
async function remoteError(promise: Promise<unknown>): Promise<RemoteError> {
  const error = await promise.then(() => undefined, (e) => e);
  assert.ok(error instanceof RemoteError, String(error));
  return error;
}

async function withServer(
  options: Partial<ServerOptions<unknown>>,
  body: (client: Client) => Promise<void>,
): Promise<void> {
  const network = new MemoryNetwork();
  const server = new Server({ router, body: jsonBody, ...options });
  void server.serve(await network.listen("mem://errors"));
  const client = new Client({
    endpoint: "mem://errors",
    dial: (key, o) => network.dial(key, o),
    body: jsonBody,
  });
  try {
    await body(client);
  } finally {
    await client.close();
    await server.close();
  }
}

describe("Handler errors", () => {
  it("the caller gets HANDLER_ERROR and an error id; the server's onHandlerError gets the error, the route and the context", async () => {
    const failures: HandlerFailure<Envelope>[] = [];
    await withServer(
      { onHandlerError: (f) => failures.push(f as HandlerFailure<Envelope>) },
      async (client) => {
        for (const route of ["login", "later"]) {
          const error = await client.request(route, { user: "rain" }).catch((
            e,
          ) => e);
          assert.ok(error instanceof RemoteError);
          assert.equal(error.remoteCode, "HANDLER_ERROR");
          assert.doesNotMatch(error.message, /secret|properties/);
          const failure = failures.at(-1)!;
          assert.equal(failure.context.message.route, route);
          assert.ok(failure.context.expectsReply);
          assert.match(error.message, new RegExp(failure.errorId));
          assert.deepEqual(failure.reply, {
            code: "HANDLER_ERROR",
            message: error.message,
          });
        }
        assert.equal(failures[0].error.message, "secret db password rejected");
        assert.ok(failures[1].error instanceof TypeError);
        assert.notEqual(failures[0].errorId, failures[1].errorId);
      },
    );
  });

  it("a RemoteError reaches the caller as it is, and the hook still hears of it", async () => {
    const failures: HandlerFailure<Envelope>[] = [];
    await withServer(
      { onHandlerError: (f) => failures.push(f as HandlerFailure<Envelope>) },
      async (client) => {
        const error = await remoteError(client.request("forbidden", null));
        assert.equal(error.remoteCode, "PERMISSION_DENIED");
        assert.equal(error.message, "You may not do that");
        assert.equal(failures.length, 1);
        assert.equal(failures[0].reply?.code, "PERMISSION_DENIED");
      },
    );
  });

  it("a failing notification handler is reported with no reply", async () => {
    const failures: HandlerFailure<Envelope>[] = [];
    await withServer(
      { onHandlerError: (f) => failures.push(f as HandlerFailure<Envelope>) },
      async (client) => {
        await client.notify("tell", null);
        await until(() => failures.length === 1, 5000, "the hook");
        assert.equal(failures[0].reply, undefined);
        assert.equal(failures[0].context.message.route, "tell");
        assert.equal(failures[0].error.message, "notification failed");
      },
    );
  });

  it("without a hook the server's onError hears it; exposeErrors sends the message", async () => {
    const errors: unknown[] = [];
    await withServer({
      onError: (e) => errors.push(e),
      exposeErrors: true,
    }, async (client) => {
      const error = await remoteError(client.request("login", null));
      assert.equal(error.remoteCode, "HANDLER_ERROR");
      assert.equal(error.message, "secret db password rejected");
      assert.equal((errors[0] as Error).message, "secret db password rejected");
    });
  });

  it("a hook that throws does not break the reply; the throw goes to onError", async () => {
    const errors: unknown[] = [];
    await withServer({
      onError: (e) => errors.push(e),
      onHandlerError: () => {
        throw new Error("hook bug");
      },
    }, async (client) => {
      const error = await remoteError(client.request("login", null));
      assert.equal(error.remoteCode, "HANDLER_ERROR");
      assert.equal((errors[0] as Error).message, "hook bug");
      assert.equal(
        await client.request("forbidden", null).catch((e) => e.remoteCode),
        "PERMISSION_DENIED",
      );
    });
  });
});
