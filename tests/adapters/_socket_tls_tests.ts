/**
 * The TLS checks of the socket adapter suite: names and trust, client
 * certificates, and the peer's certificate a channel shows. Called by
 * `socketAdapterSuite` inside its describe block.
 *
 * @module
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import type { Channel } from "../../src/channel/channel.ts";
import {
  assertSameBytes,
  bytes,
  fillByReadInto,
  randomBytes,
  readExactly,
  text,
} from "../_conformance/_helpers.ts";
import {
  accept,
  certs,
  keyOf,
  type SocketAdapter,
  type SocketSuiteOptions,
} from "./_socket_suite.ts";

/**
 * Registers the TLS tests.
 *
 * @param adapter The adapter module.
 * @param options What differs on this runtime.
 * @param bounded Registers one test bounded in time.
 * @param tlsListen Listen options with the server certificate.
 * @param tlsDial Dial options that trust the test CA.
 */
export function socketTlsTests(
  adapter: SocketAdapter,
  options: SocketSuiteOptions,
  bounded: (title: string, body: () => Promise<void>) => void,
  tlsListen: Parameters<SocketAdapter["listen"]>[1],
  tlsDial: Parameters<SocketAdapter["dial"]>[1],
): void {
  bounded("tls: dial rejects a certificate for another name", async () => {
    const listener = await adapter.listen("tls://127.0.0.1:0", tlsListen);
    const draining = (async () => {
      for await (const channel of listener) channel.close();
    })();
    try {
      await assert.rejects((async () => {
        const client = await adapter.dial(keyOf(listener.addr), {
          tls: { caCerts: [certs.ca], serverName: "example.com" },
        });
        try {
          await client.writable.getWriter().write(bytes("x"));
          await client.readable.getReader().read();
        } finally {
          client.close();
        }
      })());
    } finally {
      listener.close();
      await draining;
    }
  });

  bounded(
    "tls: bytes the server sends, and its end, right after the handshake: dial succeeds and they all arrive, in order",
    () => serverSpeaksFirst(adapter, tlsListen, tlsDial),
  );

  bounded(
    "tls: a name in the certificate verifies (serverName and localhost)",
    async () => {
      const listener = await adapter.listen("tls://127.0.0.1:0", tlsListen);
      const port = listener.addr.port;
      try {
        const cases: [string, { caCerts: string[]; serverName?: string }][] = [
          [`tls://127.0.0.1:${port}`, {
            caCerts: [certs.ca],
            serverName: "localhost",
          }],
          [`tls://localhost:${port}`, { caCerts: [certs.ca] }],
        ];
        for (const [key, tls] of cases) {
          const accepting = accept(listener);
          const client = await adapter.dial(key, { tls });
          const server = await accepting;
          try {
            await client.writable.getWriter().write(bytes("secure"));
            assert.equal(
              text(await readExactly(server.readable.getReader(), 6)),
              "secure",
            );
          } finally {
            client.close();
            server.close();
          }
        }
      } finally {
        listener.close();
      }
    },
  );

  bounded(
    "tls: peerCertificate shows a certificate the peer presented, and nothing where it presented none",
    async () => {
      const listener = await adapter.listen("tls://127.0.0.1:0", tlsListen);
      const plain = await adapter.listen("tcp://127.0.0.1:0");
      try {
        const accepting = accept(listener);
        const client = await adapter.dial(keyOf(listener.addr), tlsDial);
        const server = await accepting;
        const acceptingPlain = accept(plain);
        const tcp = await adapter.dial(keyOf(plain.addr));
        const tcpServer = await acceptingPlain;
        try {
          // The client presented no certificate (the listener asked none).
          assert.equal(server.peerCertificate, undefined);
          if (options.peerCertificate) {
            // The dialer sees the server's certificate.
            assert.equal(client.peerCertificate?.subject, "CN=localhost");
            assert.ok(
              client.peerCertificate.subjectAltNames.includes(
                "DNS:localhost",
              ),
            );
          } else {
            assert.equal(client.peerCertificate, undefined);
          }
          assert.equal(tcp.peerCertificate, undefined);
          assert.equal(tcpServer.peerCertificate, undefined);
        } finally {
          for (const channel of [client, server, tcp, tcpServer]) {
            channel.close();
          }
        }
      } finally {
        listener.close();
        plain.close();
      }
    },
  );

  bounded(
    "tls: dial rejects a server whose CA it does not trust",
    async () => {
      const listener = await adapter.listen("tls://127.0.0.1:0", tlsListen);
      // Accepted channels (if the runtime yields them before the handshake) are closed.
      const draining = (async () => {
        for await (const channel of listener) channel.close();
      })();
      try {
        await assert.rejects(
          (async () => {
            const client = await adapter.dial(keyOf(listener.addr));
            try { // a runtime may finish the handshake lazily, on first use
              await client.writable.getWriter().write(bytes("x"));
              await client.readable.getReader().read();
            } finally {
              client.close();
            }
          })(),
        );
      } finally {
        listener.close();
        await draining;
      }
    },
  );

  test("tls: the server can require a client certificate", {
    skip: !options.clientAuth &&
      "this runtime's TLS server cannot ask for client certificates",
  }, async () => {
    const listener = await adapter.listen("tls://127.0.0.1:0", {
      tls: {
        cert: certs.serverCert,
        key: certs.serverKey,
        caCerts: [certs.ca],
      },
    });
    try {
      const accepting = accept(listener);
      const client = await adapter.dial(keyOf(listener.addr), {
        tls: {
          caCerts: [certs.ca],
          cert: certs.clientCert,
          key: certs.clientKey,
        },
      });
      const server = await accepting;
      try {
        await client.writable.getWriter().write(bytes("mutual"));
        assert.equal(
          text(await readExactly(server.readable.getReader(), 6)),
          "mutual",
        );
        // The server's channel shows who the client is.
        const expected = new X509Certificate(certs.clientCert);
        const shown = server.peerCertificate;
        assert.ok(shown, "the server's channel shows the client certificate");
        assert.equal(shown.subject, "CN=listenrain test client");
        assert.deepEqual(shown.subjectAltNames, ["DNS:client.localhost"]);
        assert.equal(shown.issuer, "CN=listenrain test CA");
        assert.equal(shown.fingerprint256, expected.fingerprint256);
        assert.equal(
          shown.validTo.getTime(),
          new Date(expected.validTo).getTime(),
        );
      } finally {
        client.close();
        server.close();
      }
      // Without a certificate, the server ends the connection.
      await assert.rejects((async () => {
        const anonymous = await adapter.dial(keyOf(listener.addr), {
          tls: { caCerts: [certs.ca] },
        });
        try {
          await anonymous.writable.getWriter().write(bytes("x"));
          const { done } = await anonymous.readable.getReader().read();
          if (done) throw new Error("closed without a certificate");
        } finally {
          anonymous.close();
        }
      })());
    } finally {
      listener.close();
    }
  });
}

/**
 * A TLS server that sends bytes and its end right after the handshake: the
 * dial must take the bytes for the server's verdict (accepted) and leave
 * every one of them, in order, to the channel's reads.
 */
async function serverSpeaksFirst(
  adapter: SocketAdapter,
  tlsListen: Parameters<SocketAdapter["listen"]>[1],
  tlsDial: Parameters<SocketAdapter["dial"]>[1],
): Promise<void> {
  const listener = await adapter.listen("tls://127.0.0.1:0", tlsListen);
  // Several TLS records, fewer bytes than a paused reader holds: the end
  // reaches the dialer while it waits for the verdict, just after them.
  const sent = randomBytes(40 * 1024, 61);
  const serving = (async () => {
    const server = await accept(listener);
    const writer = server.writable.getWriter();
    await writer.write(sent);
    await writer.close(); // half-closes; the channel stays open
    return server;
  })();
  let client: Channel | undefined;
  try {
    client = await adapter.dial(keyOf(listener.addr), tlsDial);
    await serving;
    const io = client.io;
    if (io?.readInto) {
      // As the core reads a frame's rest: into the caller's buffer.
      const received = new Uint8Array(sent.length);
      await fillByReadInto((target) => io.readInto!(target), received);
      assertSameBytes(received, sent, "the bytes the server sent");
      assert.equal(await io.read(), null, "then the end");
    } else {
      const reader = client.readable.getReader();
      const received = await readExactly(reader, sent.length);
      assertSameBytes(received, sent, "the bytes the server sent");
      assert.equal((await reader.read()).done, true, "then the end");
    }
  } finally {
    client?.close();
    listener.close();
    (await serving.catch(() => undefined))?.close();
  }
}
