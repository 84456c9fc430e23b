/**
 * examples/auth.ts, run as `node --import tsx examples/auth.ts` (or `deno
 * run -A`, `bun`) runs it: a bearer token in metadata, checked by a server
 * interceptor before any handler runs, and the client certificate's subject
 * seen by the handler over TLS (Node and Bun; Deno's TLS listener cannot ask
 * for a client certificate and its TlsConn shows none, so there the subject
 * is `undefined`). Then the example's interceptor over a real TCP server,
 * with the handler's runs counted for each kind of bad token.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { detectRuntime, loadAdapter } from "../../adapters/runtime.ts";
import { bearerAuth, main as auth } from "../../examples/auth.ts";
import { Client, RemoteError, Router, Server, textBody } from "../../mod.ts";
import { within } from "../lifecycle/_helpers.ts";

describe("examples: auth", () => {
  it(
    "a bad token never reaches the handler; the right one gets the reply; TLS shows the subject",
    {
      timeout: 60_000,
    },
    async () => {
      const logged: string[] = [];
      const result = await within(
        20_000,
        "example",
        auth((line) => void logged.push(line)),
      );
      assert.deepEqual(result.rejected, ["UNAUTHENTICATED", "UNAUTHENTICATED"]);
      assert.equal(
        result.handledBeforeToken,
        0,
        "the handler ran for a bad token",
      );
      assert.equal(result.reply, "a caller on tcp from 127.0.0.1");
      assert.equal(result.handled, 2, "once over TCP, once over TLS");
      if (detectRuntime() === "deno") {
        // Deno.listenTls cannot ask for a client certificate, and a Deno
        // TlsConn shows no peer certificate: the handler sees none.
        assert.equal(result.clientCertificates, false);
        assert.equal(result.subject, undefined);
      } else {
        assert.equal(result.clientCertificates, true);
        assert.equal(result.subject, "CN=listenrain test client");
      }
      assert.match(logged[0], /^server on tcp:\/\/127\.0\.0\.1:\d+$/);
    },
  );

  it(
    "bearerAuth: every kind of bad token is refused before the handler, over TCP",
    {
      timeout: 60_000,
    },
    async () => {
      const adapter = await loadAdapter();
      let runs = 0;
      const router = new Router().handle("secret", (_: string) => {
        runs++;
        return "42";
      });
      await using server = new Server({
        router,
        body: textBody,
        interceptors: [bearerAuth(new Set(["good"]))],
      });
      server.serve(await adapter.listen("tcp://127.0.0.1:0"));
      await using client = new Client<typeof router>({
        endpoint: `tcp://127.0.0.1:${server.addrs[0].port}`,
        dial: (key) => adapter.dial(key.toString()),
        body: textBody,
        metadata: { authorization: "Bearer bad" }, // the client's default
        timeout: 5_000,
      });
      const bad = [
        undefined, // the default: a wrong token
        { authorization: "Bearer " },
        { authorization: "good" }, // no scheme
        { authorization: "Basic good" },
        { authorization: "Bearer good " },
        { authorization: new TextEncoder().encode("Bearer good") }, // bytes, not text
      ];
      for (const metadata of bad) {
        const error = await within(
          10_000,
          "request",
          client.request("secret", "", { metadata }).catch((e) => e),
        );
        assert.ok(error instanceof RemoteError, String(error));
        assert.equal(error.remoteCode, "UNAUTHENTICATED");
        assert.match(error.message, /bearer token/);
      }
      assert.equal(runs, 0, "the handler ran for a bad token");
      // A request's own metadata replaces the client's default of the same key.
      const reply = await within(
        10_000,
        "request",
        client.request("secret", "", {
          metadata: { authorization: "Bearer good" },
        }),
      );
      assert.equal(reply, "42");
      assert.equal(runs, 1);
      // The connection is still up: a refusal is an error reply, nothing more.
      assert.equal(server.stats.accepted, 1);
    },
  );
});
