/**
 * The Deno adapter against the conformance suites, over TCP (127.0.0.1 and
 * ::1), TLS and Unix sockets. Runs on Deno only; skipped under Bun and Node.
 *
 * @module
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:tls";
import * as adapter from "../../adapters/deno.ts";
import { readExactly, text, within } from "../_conformance/_helpers.ts";
import { hardeningSuite } from "./_hardening_suite.ts";
import { canListen, certs, socketAdapterSuite } from "./_socket_suite.ts";

const isDeno = "Deno" in globalThis;
const runtime = (globalThis as { Deno?: { listenDatagram?: unknown } }).Deno;
const unstableNet = typeof runtime?.listenDatagram === "function";

socketAdapterSuite("deno", adapter, {
  skip: !isDeno && "runs on Deno only",
  ipv6: isDeno && await canListen(adapter, "tcp://[::1]:0"),
  reusePort: unstableNet ? "works" : /needs the --unstable-net flag/,
  // Closing a Deno TlsConn whose handshake is pending leaves its socket open.
  abortClosesTlsHandshake: false,
  clientAuth: false,
  // Deno.TlsConn does not show the peer's certificate.
  peerCertificate: false,
  readInto: ["tcp", "tls", "unix"],
});

hardeningSuite("deno", adapter, {
  skip: !isDeno && "runs on Deno only",
  clientAuth: false,
  closesStalledHandshake: false,
  refusesBeyondLimit: false,
});

test(
  "deno dial presents a client certificate (to a node:tls server that requires one)",
  {
    skip: !isDeno && "runs on Deno only",
  },
  async () => {
    const server = createServer({
      cert: certs.serverCert,
      key: certs.serverKey,
      ca: [certs.ca],
      requestCert: true,
      rejectUnauthorized: true,
    }, (socket) => socket.end("welcome"));
    server.on("tlsClientError", () => {});
    await new Promise<void>((resolve) =>
      server.listen(0, "127.0.0.1", resolve)
    );
    const { port } = server.address() as { port: number };
    try {
      await within(
        30_000,
        "mutual TLS",
        (async () => {
          const channel = await adapter.dial(`tls://127.0.0.1:${port}`, {
            tls: {
              caCerts: [certs.ca],
              cert: certs.clientCert,
              key: certs.clientKey,
            },
          });
          try {
            assert.equal(
              text(await readExactly(channel.readable.getReader(), 7)),
              "welcome",
            );
            // Deno.TlsConn does not show the server's certificate.
            assert.equal(channel.peerCertificate, undefined);
          } finally {
            channel.close();
          }
        })(),
      );
    } finally {
      server.close();
    }
  },
);

test("deno dial refuses tls.serverName together with a client certificate", {
  skip: !isDeno && "runs on Deno only",
}, async () => {
  await assert.rejects(
    adapter.dial("tls://127.0.0.1:1", {
      tls: {
        serverName: "localhost",
        cert: certs.clientCert,
        key: certs.clientKey,
      },
    }),
    TypeError,
  );
});

test(
  "deno channels' addresses read for the first time after both ends closed are the sockets'",
  {
    skip: !isDeno && "runs on Deno only",
  },
  async () => {
    const listener = await adapter.listen("tcp://127.0.0.1:0");
    try {
      const accepting = listener[Symbol.asyncIterator]().next();
      const client = await adapter.dial(
        `tcp://127.0.0.1:${listener.addr.port}`,
      );
      const server = (await accepting).value!;
      const writer = client.writable.getWriter();
      await writer.write(new Uint8Array([1, 2, 3]));
      assert.equal(
        (await readExactly(server.readable.getReader(), 3)).length,
        3,
      );
      client.close();
      server.close();
      assert.deepEqual({ ...server.localAddr }, { ...listener.addr });
      assert.deepEqual({ ...client.remoteAddr }, { ...listener.addr });
      assert.deepEqual({ ...server.remoteAddr }, { ...client.localAddr });
      assert.equal(client.localAddr.transport, "tcp");
      assert.equal(client.localAddr.hostname, "127.0.0.1");
      assert.ok((client.localAddr.port ?? 0) > 0);
      assert.notEqual(client.localAddr.port, listener.addr.port);
    } finally {
      listener.close();
    }
  },
);
