/**
 * Runs the channel, transport and listener conformance suites, plus the
 * checks every socket adapter shares (bad keys, refused and aborted dials, TLS
 * trust, options), against one socket adapter over TCP (127.0.0.1 and ::1),
 * TLS and Unix sockets. Each runtime's test file calls
 * {@linkcode socketAdapterSuite} with its adapter and skips it on the other
 * runtimes.
 *
 * @module
 */

import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type {
  Channel,
  ChannelAddr,
  Listener,
} from "../../src/channel/channel.ts";
import { AbortedError } from "../../src/errors.ts";
import {
  channelConformance,
  type ChannelPair,
} from "../_conformance/channel_suite.ts";
import { listenerConformance } from "../_conformance/listener_suite.ts";
import { transportConformance } from "../_conformance/transport_suite.ts";
import { socketTlsTests } from "./_socket_tls_tests.ts";
import { bytes, readExactly, text, within } from "../_conformance/_helpers.ts";

/** The shape every socket adapter exports. */
export interface SocketAdapter {
  dial(key: string, options?: {
    signal?: AbortSignal;
    noDelay?: boolean;
    keepAlive?: boolean | number;
    tls?: {
      caCerts?: string[];
      serverName?: string;
      cert?: string;
      key?: string;
    };
  }): Promise<Channel>;
  listen(key: string, options?: {
    reusePort?: boolean;
    tls?: { cert: string; key: string; caCerts?: string[] };
    backlog?: number;
  }): Promise<Listener>;
}

/** What differs between runtimes. */
export interface SocketSuiteOptions {
  /** Skips everything (on the other runtimes), with the reason. */
  skip: false | string;
  /** Whether binding ::1 works here (probe with {@linkcode canListen}). */
  ipv6: boolean;
  /** `"works"` or the text the thrown error must contain. */
  reusePort: "works" | RegExp;
  /** Whether the server side can ask clients for a certificate. */
  clientAuth: boolean;
  /** Whether TLS channels show the peer's certificate (`peerCertificate`). */
  peerCertificate: boolean;
  /**
   * Whether aborting a dial during its TLS handshake closes the socket at
   * once (Deno cannot: a pending handshake keeps it open until the server
   * answers or closes).
   */
  abortClosesTlsHandshake: boolean;
  /** The transports whose dialed channels offer `io.readInto()`. */
  readInto: readonly ("tcp" | "tls" | "unix")[];
}

const fixture = (name: string) =>
  readFileSync(new URL(`../_fixtures/${name}`, import.meta.url), "utf8");

/** The TLS fixtures: a CA and leaves it signed. */
export const certs = {
  ca: fixture("ca.pem"),
  serverCert: fixture("server.pem"),
  serverKey: fixture("server-key.pem"),
  clientCert: fixture("client.pem"),
  clientKey: fixture("client-key.pem"),
};

/**
 * Whether `key` can be bound here (used to skip ::1 where IPv6 is off).
 */
export async function canListen(
  adapter: SocketAdapter,
  key: string,
): Promise<boolean> {
  try {
    (await adapter.listen(key)).close();
    return true;
  } catch {
    return false;
  }
}

/** The dialable key of a listener's address. */
export function keyOf(addr: ChannelAddr): string {
  if (addr.transport === "unix") return `unix://${addr.path}`;
  const host = addr.hostname?.includes(":")
    ? `[${addr.hostname}]`
    : addr.hostname;
  return `${addr.transport}://${host}:${addr.port}`;
}

/** The next channel `listener` accepts. */
export async function accept(listener: Listener): Promise<Channel> {
  const next = await listener[Symbol.asyncIterator]().next();
  if (next.done) throw new Error("The listener closed before accepting");
  return next.value;
}

/** The channel without its `io`: the core must use the web streams. */
function streamsOnly(channel: Channel): Channel {
  return {
    readable: channel.readable,
    writable: channel.writable,
    localAddr: channel.localAddr,
    remoteAddr: channel.remoteAddr,
    close: () => channel.close(),
  };
}

/**
 * Registers every socket test for one adapter.
 *
 * @param runtime "deno", "bun" or "node", for test names.
 * @param adapter The adapter module.
 * @param options What differs on this runtime.
 */
export function socketAdapterSuite(
  runtime: string,
  adapter: SocketAdapter,
  options: SocketSuiteOptions,
): void {
  const skip = options.skip;
  const dir = skip ? "" : mkdtempSync(join(tmpdir(), "listenrain-"));
  let sockets = 0;
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const tlsListen = { tls: { cert: certs.serverCert, key: certs.serverKey } };
  const tlsDial = { tls: { caCerts: [certs.ca] } };

  const kinds: {
    name: string;
    key: () => string;
    listen?: Parameters<SocketAdapter["listen"]>[1];
    dial?: Parameters<SocketAdapter["dial"]>[1];
    skip?: false | string;
  }[] = [
    { name: "tcp 127.0.0.1", key: () => "tcp://127.0.0.1:0" },
    {
      name: "tcp ::1",
      key: () => "tcp://[::1]:0",
      skip: !options.ipv6 && "IPv6 loopback is not available",
    },
    {
      name: "tls 127.0.0.1",
      key: () => "tls://127.0.0.1:0",
      listen: tlsListen,
      dial: tlsDial,
    },
    { name: "unix", key: () => `unix://${join(dir, `s${sockets++}.sock`)}` },
  ];

  for (const kind of kinds) {
    const kindSkip = skip || kind.skip || false;
    const makePair = async (): Promise<ChannelPair> => {
      const listener = await adapter.listen(kind.key(), kind.listen);
      try {
        const accepting = accept(listener);
        const client = await adapter.dial(keyOf(listener.addr), kind.dial);
        const server = await accepting;
        return {
          client,
          server,
          cleanup() {
            client.close();
            server.close();
            listener.close();
            return Promise.resolve();
          },
        };
      } catch (error) {
        listener.close();
        throw error;
      }
    };
    channelConformance(`${runtime} ${kind.name}`, makePair, {
      skip: kindSkip,
      io: true,
      readInto: options.readInto.some((t) => kind.name.startsWith(t)),
    });
    transportConformance(`${runtime} ${kind.name}`, makePair, {
      skip: kindSkip,
    });
    if (kind.name === "tcp 127.0.0.1") {
      // The core reads a channel without io through its web streams.
      transportConformance(
        `${runtime} ${kind.name}, web streams only`,
        async () => {
          const pair = await makePair();
          return {
            client: streamsOnly(pair.client),
            server: streamsOnly(pair.server),
            cleanup: pair.cleanup,
          };
        },
        { skip: kindSkip },
      );
    }
    listenerConformance(`${runtime} ${kind.name}`, async () => {
      const listener = await adapter.listen(kind.key(), kind.listen);
      return {
        listener,
        dial: () => adapter.dial(keyOf(listener.addr), kind.dial),
      };
    }, { skip: kindSkip });
  }

  describe(`${runtime} adapter`, { skip }, () => {
    const bounded = (title: string, body: () => Promise<void>) =>
      test(title, { timeout: 45_000 }, () => within(30_000, title, body()));

    bounded("listener.addr has the bound port and host", async () => {
      const listener = await adapter.listen("tcp://127.0.0.1:0");
      listener.close();
      assert.equal(listener.addr.transport, "tcp");
      assert.equal(listener.addr.hostname, "127.0.0.1");
      assert.ok((listener.addr.port ?? 0) > 0);
    });

    bounded("invalid keys throw TypeError", async () => {
      await assert.rejects(adapter.dial("http://127.0.0.1:80"), TypeError);
      await assert.rejects(adapter.dial("tcp://127.0.0.1"), TypeError);
      await assert.rejects(adapter.listen("tcp://127.0.0.1:65536"), TypeError);
      await assert.rejects(adapter.listen("unix://relative.sock"), TypeError);
    });

    bounded("dial rejects when nothing listens", async () => {
      const listener = await adapter.listen("tcp://127.0.0.1:0");
      const key = keyOf(listener.addr);
      listener.close();
      await assert.rejects(adapter.dial(key));
    });

    bounded(
      "dial rejects with AbortedError when the signal aborts",
      async () => {
        const controller = new AbortController();
        controller.abort(new Error("changed my mind"));
        await assert.rejects(
          adapter.dial("tcp://127.0.0.1:9", { signal: controller.signal }),
          AbortedError,
        );
      },
    );

    bounded(
      "an abort during the TLS handshake rejects with AbortedError and closes the socket",
      async () => {
        // A plain TCP server that never answers the TLS handshake.
        const listener = await adapter.listen("tcp://127.0.0.1:0");
        const accepting = accept(listener);
        try {
          const controller = new AbortController();
          const dialing = adapter.dial(
            `tls://127.0.0.1:${listener.addr.port}`,
            {
              signal: controller.signal,
              tls: { caCerts: [certs.ca] },
            },
          );
          const server = await accepting;
          controller.abort();
          await assert.rejects(dialing, AbortedError);
          if (options.abortClosesTlsHandshake) {
            // The abandoned attempt is closed: the server's readable ends.
            const reader = server.readable.getReader();
            try {
              while (!(await reader.read()).done);
            } catch { /* a reset is fine too */ }
          }
          server.close();
        } finally {
          listener.close();
        }
      },
    );

    bounded("listening on a port in use rejects", async () => {
      const listener = await adapter.listen("tcp://127.0.0.1:0");
      try {
        await assert.rejects(adapter.listen(keyOf(listener.addr)));
      } finally {
        listener.close();
      }
    });

    bounded(
      "listening on tls:// without a certificate throws TypeError",
      async () => {
        await assert.rejects(adapter.listen("tls://127.0.0.1:0"), TypeError);
      },
    );

    bounded("noDelay: false and keepAlive are accepted", async () => {
      const listener = await adapter.listen("tcp://127.0.0.1:0");
      const accepting = accept(listener);
      const client = await adapter.dial(keyOf(listener.addr), {
        noDelay: false,
        keepAlive: 30_000,
      });
      const server = await accepting;
      listener.close();
      try {
        const writer = client.writable.getWriter();
        await writer.write(bytes("options"));
        assert.equal(
          text(await readExactly(server.readable.getReader(), 7)),
          "options",
        );
      } finally {
        client.close();
        server.close();
      }
    });

    bounded("reusePort", async () => {
      if (options.reusePort === "works") {
        const first = await adapter.listen("tcp://127.0.0.1:0", {
          reusePort: true,
        });
        try {
          const second = await adapter.listen(keyOf(first.addr), {
            reusePort: true,
          });
          second.close();
        } finally {
          first.close();
        }
      } else {
        await assert.rejects(
          adapter.listen("tcp://127.0.0.1:0", { reusePort: true }),
          options.reusePort,
        );
      }
    });

    bounded(
      "a Unix listener removes its socket file on close(), so the path can be reused",
      async () => {
        const key = `unix://${join(dir, `reuse${sockets++}.sock`)}`;
        (await adapter.listen(key)).close();
        await new Promise((resolve) => setTimeout(resolve, 20));
        (await adapter.listen(key)).close();
      },
    );

    socketTlsTests(adapter, options, bounded, tlsListen, tlsDial);
  });
}
