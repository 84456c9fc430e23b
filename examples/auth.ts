/**
 * Authentication, end to end: a client sends a bearer token in metadata
 * (`metadata` in its options, sent with every request); a server interceptor
 * checks it and rejects every other caller with `UNAUTHENTICATED` before any
 * handler runs. Then the same server over TLS with client certificates: the
 * handler sees who the caller is from `ctx.peerCertificate`.
 *
 * On Node and Bun the TLS listener asks for a client certificate signed by
 * the test CA and the handler sees its subject. Deno cannot: `Deno.listenTls`
 * cannot ask for a client certificate and its `TlsConn` shows none, so there
 * the listener asks for none and `ctx.peerCertificate` is `undefined`.
 *
 * The certificates are the test fixtures of `tests/_fixtures/` (for tests
 * only: never use those keys for anything else).
 *
 * Run (any runtime; the adapter is picked for it):
 *
 * ```sh
 * node --import tsx examples/auth.ts     # or: deno run -A examples/auth.ts, bun examples/auth.ts
 * ```
 *
 * @module
 */

import { readFileSync } from "node:fs";
import {
  type Adapter,
  detectRuntime,
  loadAdapter,
} from "../adapters/runtime.ts";
import {
  Client,
  type Interceptor,
  RemoteError,
  Router,
  Server,
  textBody,
} from "../mod.ts";
import { isMain } from "./_main.ts";

/**
 * A server interceptor that lets through only requests whose
 * `authorization` metadata is `Bearer <one of tokens>`; every other caller
 * gets the error reply `UNAUTHENTICATED`, and the handler does not run.
 *
 * @param tokens The tokens that are let in.
 * @returns The interceptor, for a server's `interceptors`.
 */
export function bearerAuth(tokens: ReadonlySet<string>): Interceptor {
  return {
    handle: (ctx, next) => {
      const header = ctx.metadata.get("authorization");
      const token = typeof header === "string" && header.startsWith("Bearer ")
        ? header.slice("Bearer ".length)
        : undefined;
      if (token === undefined || !tokens.has(token)) {
        throw new RemoteError(
          "UNAUTHENTICATED",
          `${String(ctx.route)}: a valid bearer token is needed`,
        );
      }
      return next();
    },
  };
}

/** What {@linkcode main} saw. */
export interface AuthResult {
  /** The reply to the request with the right token. */
  reply: string;
  /** The error codes of the request without a token and with a wrong one. */
  rejected: string[];
  /** How many times the handler ran before the right token came (0). */
  handledBeforeToken: number;
  /** How many times the handler ran in all (1 over TCP, 1 over TLS). */
  handled: number;
  /**
   * The subject of the client certificate, as the handler saw it over TLS
   * (`undefined` on Deno, whose TLS listener cannot ask for one).
   */
  subject: string | undefined;
  /** Whether this runtime's TLS listener asked for a client certificate. */
  clientCertificates: boolean;
}

const fixture = (name: string): string =>
  readFileSync(new URL(`../tests/_fixtures/${name}`, import.meta.url), "utf8");

/**
 * Serves `whoami` behind {@linkcode bearerAuth} over loopback TCP, calls it
 * without a token, with a wrong one and with the right one, then does the
 * same over TLS with a client certificate.
 *
 * @param log Where the lines go.
 * @returns What the callers got and how often the handler ran.
 */
export async function main(
  log: (line: string) => void = console.log,
): Promise<AuthResult> {
  const adapter = await loadAdapter(); // listenrain/adapters/{deno,bun,node}
  let handled = 0;
  const router = new Router().handle("whoami", (_: string, ctx) => {
    handled++;
    // Over TLS with client certificates: the subject of the caller's certificate.
    const { transport, hostname } = ctx.remoteAddr;
    return ctx.peerCertificate?.subject ??
      `a caller on ${transport} from ${hostname}`;
  });
  const server = new Server({
    router,
    body: textBody,
    interceptors: [bearerAuth(new Set(["rain-token"]))],
  });
  try {
    // 1. Plain TCP: only the token decides.
    server.serve(await adapter.listen("tcp://127.0.0.1:0"));
    const endpoint = `tcp://127.0.0.1:${server.addrs[0].port}`;
    log(`server on ${endpoint}`);
    const rejected: string[] = [];
    for (const metadata of [undefined, { authorization: "Bearer guess" }]) {
      await using stranger = new Client<typeof router>({
        endpoint,
        dial: (key) => adapter.dial(key.toString()),
        body: textBody,
        metadata,
        timeout: 5_000,
      });
      const error = await stranger.request("whoami", "").catch((e) => e);
      if (!(error instanceof RemoteError)) throw error;
      rejected.push(error.remoteCode);
      log(`${metadata ? "wrong token" : "no token"}: ${error.remoteCode}`);
    }
    const handledBeforeToken = handled;
    await using client = new Client<typeof router>({
      endpoint,
      dial: (key) => adapter.dial(key.toString()),
      body: textBody,
      metadata: { authorization: "Bearer rain-token" }, // on every request
      timeout: 5_000,
    });
    const reply = await client.request("whoami", "");
    log(`right token: ${reply}`);

    // 2. TLS with a client certificate (where the runtime can ask for one).
    const tls = await serveTls(adapter, server);
    const subject = await tls.client.request("whoami", "");
    await tls.client.close();
    log(`over TLS, the handler saw: ${subject}`);
    return {
      reply,
      rejected,
      handledBeforeToken,
      handled,
      subject: tls.clientCertificates ? subject : undefined,
      clientCertificates: tls.clientCertificates,
    };
  } finally {
    await server.close();
  }
}

/**
 * Adds a TLS listener to `server` that asks for client certificates signed
 * by the test CA (Node and Bun; Deno cannot ask), and a client that presents
 * one and the right token.
 */
async function serveTls(
  adapter: Adapter,
  server: Server,
): Promise<{ client: Client; clientCertificates: boolean }> {
  const ca = fixture("ca.pem");
  const clientCertificates = detectRuntime() !== "deno";
  const listener = await adapter.listen("tls://127.0.0.1:0", {
    tls: {
      cert: fixture("server.pem"),
      key: fixture("server-key.pem"),
      ...(clientCertificates ? { caCerts: [ca] } : {}),
    },
  });
  server.serve(listener);
  const client = new Client({
    endpoint: `tls://localhost:${listener.addr.port}`,
    dial: (key) =>
      adapter.dial(key.toString(), {
        tls: clientCertificates
          ? {
            caCerts: [ca],
            cert: fixture("client.pem"),
            key: fixture("client-key.pem"),
          }
          : { caCerts: [ca] },
      }),
    body: textBody,
    metadata: { authorization: "Bearer rain-token" },
    timeout: 5_000,
  });
  return { client, clientCertificates };
}

if (isMain(import.meta)) await main();
