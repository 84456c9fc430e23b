/**
 * What every socket adapter does against hostile or unlucky clients: an
 * address in use is an `AddressInUseError`, a TLS client that stops
 * mid-handshake is closed after `handshakeTimeout`, `maxConnections` bounds
 * the open connections, and a TLS client whose certificate the server refuses
 * fails in `dial` (a `ConnectError` through a `Client`). Each runtime's test
 * file calls {@linkcode hardeningSuite} with its adapter.
 *
 * @module
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { createServer, type Server as TlsServer } from "node:tls";
import type { Channel, Listener } from "../../src/channel/channel.ts";
import { Client } from "../../src/client/client.ts";
import { AddressInUseError, ConnectError } from "../../src/errors.ts";
import { Router } from "../../src/transport/router.ts";
import { Server } from "../../src/server/server.ts";
import { within } from "../_conformance/_helpers.ts";
import { certs, keyOf, type SocketAdapter } from "./_socket_suite.ts";

/** The adapter with the options these tests use. */
export interface HardenedAdapter extends SocketAdapter {
  listen(key: string, options?: {
    tls?: { cert: string; key: string; caCerts?: string[] };
    maxConnections?: number;
    handshakeTimeout?: number;
  }): Promise<Listener>;
}

const tlsListen = { tls: { cert: certs.serverCert, key: certs.serverKey } };

/** Collects what the listener yields until it closes. */
function collect(listener: Listener): Channel[] {
  const channels: Channel[] = [];
  (async () => {
    for await (const channel of listener) channels.push(channel);
  })().catch(() => {});
  return channels;
}

/** A raw TCP connection; resolves once connected. */
function connectRaw(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Resolves when `socket` is closed or ended by the other side. */
function ended(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.once("end", () => resolve()).once("close", () => resolve());
    socket.on("error", () => resolve());
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A TLS server that asks for client certificates signed by `trusted`: the
 * adapter's own listener where it can ask (Bun, Node), else node:tls.
 */
async function clientAuthServer(
  adapter: HardenedAdapter,
  canAsk: boolean,
  trusted: string,
): Promise<{ port: number; close(): void }> {
  if (canAsk) {
    const listener = await adapter.listen("tls://127.0.0.1:0", {
      tls: { ...tlsListen.tls, caCerts: [trusted] },
    });
    const server = new Server({
      router: new Router().handle("echo", (body: Uint8Array) => body),
    });
    void server.serve(listener);
    return { port: listener.addr.port!, close: () => void server.close() };
  }
  const server: TlsServer = createServer({
    ...tlsListen.tls,
    ca: [trusted],
    requestCert: true,
    rejectUnauthorized: true,
  }, (socket) => socket.pipe(socket));
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => server.close(),
  };
}

/**
 * Registers the tests for one adapter.
 *
 * @param runtime "deno", "bun" or "node", for test names.
 * @param adapter The adapter module.
 * @param options `skip` on the other runtimes; `clientAuth` if its TLS
 *   listener can ask for client certificates (else the test's server is
 *   node:tls, which on Deno refuses a missing certificate but not an
 *   untrusted one); `refusesBeyondLimit` if a connection beyond
 *   `maxConnections` is closed (Bun, Node) rather than left in the kernel's
 *   backlog (Deno); `closesStalledHandshake` if the socket of a client that
 *   stops mid-handshake can be closed (Deno cannot: its `TlsConn` keeps the
 *   socket until the handshake ends, so the listener can only close the
 *   channel).
 */
export function hardeningSuite(
  runtime: string,
  adapter: HardenedAdapter,
  options: {
    skip: false | string;
    clientAuth: boolean;
    refusesBeyondLimit: boolean;
    closesStalledHandshake: boolean;
  },
): void {
  describe(`${runtime} adapter against hostile clients`, {
    skip: options.skip,
  }, () => {
    test("listen on an address in use rejects with AddressInUseError, the raw error as cause", async () => {
      for (const transport of ["tcp", "tls"]) {
        const first = await adapter.listen(
          `${transport}://127.0.0.1:0`,
          tlsListen,
        );
        try {
          const error = await adapter.listen(keyOf(first.addr), tlsListen).then(
            (second) => {
              second.close();
              return undefined;
            },
            (error: unknown) => error,
          );
          assert.ok(
            error instanceof AddressInUseError,
            `${transport}: ${error}`,
          );
          assert.equal(error.code, "ERR_ADDRESS_IN_USE");
          assert.ok(error.cause !== undefined);
        } finally {
          first.close();
        }
      }
    });

    test(
      "a TLS client that never finishes its handshake is closed after handshakeTimeout",
      {
        skip: !options.closesStalledHandshake &&
          "this runtime cannot close a socket mid-handshake",
      },
      async () => {
        const listener = await adapter.listen("tls://127.0.0.1:0", {
          ...tlsListen,
          handshakeTimeout: 300,
        });
        collect(listener);
        try {
          const silent = await connectRaw(listener.addr.port!);
          const half = await connectRaw(listener.addr.port!);
          half.write(new Uint8Array([0x16, 0x03, 0x01, 0x00, 0xff, 0x01])); // a ClientHello's start
          const started = performance.now();
          await within(
            10_000,
            "the server closes both",
            Promise.all([ended(silent), ended(half)]),
          );
          const elapsed = performance.now() - started;
          assert.ok(
            elapsed >= 200,
            `closed after ${elapsed} ms, before the timeout`,
          );
          silent.destroy();
          half.destroy();
        } finally {
          listener.close();
        }
      },
    );

    test(
      "a TLS channel whose handshake does not end is closed after handshakeTimeout, and its slot freed",
      {
        skip: options.closesStalledHandshake &&
          "covered by the test above on this runtime",
      },
      async () => {
        const listener = await adapter.listen("tls://127.0.0.1:0", {
          ...tlsListen,
          handshakeTimeout: 300,
          maxConnections: 1,
        });
        const channels = collect(listener);
        const sockets: net.Socket[] = [];
        try {
          sockets.push(await connectRaw(listener.addr.port!));
          await within(
            5_000,
            "accepted",
            (async () => {
              while (channels.length < 1) await sleep(5);
            })(),
          );
          const started = performance.now();
          const reader = channels[0].readable.getReader();
          await within(
            10_000,
            "the channel closes",
            reader.read().catch(() => {}),
          );
          assert.ok(
            performance.now() - started >= 200,
            "closed before the timeout",
          );
          // Its slot is free again: the next client is accepted.
          sockets.push(await connectRaw(listener.addr.port!));
          await within(
            5_000,
            "the second is accepted",
            (async () => {
              while (channels.length < 2) await sleep(10);
            })(),
          );
        } finally {
          for (const socket of sockets) socket.destroy();
          for (const channel of channels) channel.close();
          listener.close();
        }
      },
    );

    test("maxConnections bounds the connections a listener holds open", async () => {
      const listener = await adapter.listen("tcp://127.0.0.1:0", {
        maxConnections: 2,
      });
      const channels = collect(listener);
      const sockets: net.Socket[] = [];
      try {
        for (let i = 0; i < 3; i++) {
          sockets.push(await connectRaw(listener.addr.port!));
        }
        const third = ended(sockets[2]).then(() => "closed");
        await sleep(300);
        assert.equal(channels.length, 2);
        if (options.refusesBeyondLimit) {
          assert.equal(
            await within(5_000, "the third is closed", third),
            "closed",
          );
        } else {
          channels[0].close(); // a slot frees: the third is accepted now
          await within(
            5_000,
            "the third is accepted",
            (async () => {
              while (channels.length < 3) await sleep(10);
            })(),
          );
        }
      } finally {
        for (const socket of sockets) socket.destroy();
        for (const channel of channels) channel.close();
        listener.close();
      }
    });

    test("a client certificate the TLS server refuses fails dial, and a Client's request with ConnectError", async () => {
      // Refused twice: no certificate, and one the server does not trust.
      const server = await clientAuthServer(
        adapter,
        options.clientAuth,
        certs.serverCert,
      );
      const signed = {
        caCerts: [certs.ca],
        cert: certs.clientCert,
        key: certs.clientKey,
      };
      const cases = options.clientAuth
        ? [{ caCerts: [certs.ca] }, signed]
        : [{ caCerts: [certs.ca] }];
      try {
        for (const tls of cases) {
          await assert.rejects(
            adapter.dial(`tls://127.0.0.1:${server.port}`, { tls }),
            (error: Error) => error instanceof Error,
          );
          const client = new Client({
            endpoint: `tls://127.0.0.1:${server.port}`,
            dial: (key) => adapter.dial(key.toString(), { tls }),
            reconnect: false,
          });
          try {
            await assert.rejects(
              client.request("echo", new Uint8Array([1]), { timeout: 10_000 }),
              ConnectError,
            );
          } finally {
            await client.close();
          }
        }
      } finally {
        server.close();
      }
      // The same certificate, trusted: dial succeeds and the request works.
      const trusting = await clientAuthServer(
        adapter,
        options.clientAuth,
        certs.ca,
      );
      try {
        const channel = await adapter.dial(`tls://127.0.0.1:${trusting.port}`, {
          tls: signed,
        });
        channel.close();
      } finally {
        trusting.close();
      }
    });
  });
}
