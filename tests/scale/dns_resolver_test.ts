import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client/client.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { DnsResolver } from "../../src/resolve/dns_resolver.ts";
import type { ResolvedEndpoint } from "../../src/resolve/resolver.ts";
import { loadAdapter } from "../../adapters/runtime.ts";
import { Server } from "../../src/server/server.ts";
import { Router } from "../../src/transport/router.ts";
import type { DialFunction } from "../../src/client/dialers.ts";
import { DnsServer } from "./_dns_server.ts";
import { until } from "../lifecycle/_helpers.ts";

const adapter = await loadAdapter() as unknown as {
  dial: DialFunction;
  listen(key: string): Promise<import("../../src/channel/channel.ts").Listener>;
  dnsResolver(target: string, options?: object): DnsResolver;
  dnsLookup(
    options?: object,
  ): import("../../src/resolve/dns_resolver.ts").DnsLookup;
};

async function first(
  resolver: DnsResolver,
): Promise<readonly ResolvedEndpoint[]> {
  const controller = new AbortController();
  try {
    for await (const set of resolver.resolve(controller.signal)) return set;
    throw new Error("no set");
  } finally {
    controller.abort();
  }
}

const keys = (set: readonly ResolvedEndpoint[]) =>
  set.map((e) => String(e.key)).sort();

describe("DnsResolver with the runtime's lookups, against a DNS server on 127.0.0.1", () => {
  it("resolves A/AAAA and SRV records, and a missing name to the empty set", {
    timeout: 20_000,
  }, async () => {
    const dns = await DnsServer.start();
    try {
      dns.set("api.test", { A: ["127.0.0.2", "127.0.0.3"], AAAA: ["::1"] });
      dns.set("_rpc._tcp.api.test", {
        SRV: [
          { priority: 1, weight: 5, port: 7001, target: "a.api.test" },
          { priority: 2, weight: 1, port: 7002, target: "b.api.test" },
        ],
      });
      dns.set("a.api.test", { A: ["127.0.0.4"] });
      dns.set("b.api.test", { A: ["127.0.0.5"] });
      const nameServer = `127.0.0.1:${dns.port}`;
      assert.deepEqual(
        keys(
          await first(
            adapter.dnsResolver("dns+tcp://api.test:7000", { nameServer }),
          ),
        ),
        ["tcp://127.0.0.2:7000", "tcp://127.0.0.3:7000", "tcp://[::1]:7000"],
      );
      assert.deepEqual(
        keys(
          await first(
            adapter.dnsResolver("dns+tcp://api.test:7000", {
              nameServer,
              family: "ipv4",
            }),
          ),
        ),
        ["tcp://127.0.0.2:7000", "tcp://127.0.0.3:7000"],
      );
      const srv = await first(
        adapter.dnsResolver("dns+srv+tls://_rpc._tcp.api.test", { nameServer }),
      );
      assert.deepEqual(
        srv.map((e) => [String(e.key), e.priority, e.weight]).sort(),
        [["tls://127.0.0.4:7001", 1, 5], ["tls://127.0.0.5:7002", 2, 1]],
      );
      assert.deepEqual(
        await first(
          adapter.dnsResolver("dns+tcp://nothing.test:7000", { nameServer }),
        ),
        [],
      );
    } finally {
      await dns.close();
    }
  });

  it("states its limits as clear errors", () => {
    assert.throws(
      () => adapter.dnsLookup({ nameServer: "dns.example.com" }),
      /IP address/,
    );
    assert.throws(
      () => adapter.dnsResolver("tcp://api.test:7000"),
      /dns\+tcp:\/\/name:port/,
    );
    assert.throws(
      () => adapter.dnsResolver("dns+tcp://api.test"),
      /needs a port/,
    );
    assert.throws(
      () => adapter.dnsResolver("dns+srv+tcp://_a._tcp.api.test:1"),
      /from the records/,
    );
    assert.throws(
      () => adapter.dnsResolver("dns+tcp://api.test:1", { minInterval: -1 }),
      RangeError,
    );
  });

  it("a failed lookup is an error (a name server that does not answer)", {
    timeout: 20_000,
  }, async () => {
    const dns = await DnsServer.start();
    const port = dns.port;
    await dns.close(); // nothing answers there now
    const resolver = adapter.dnsResolver("dns+tcp://api.test:7000", {
      nameServer: `127.0.0.1:${port}`,
      timeout: 300,
    });
    await assert.rejects(first(resolver));
  });

  it(
    "a client follows the name: re-resolved when a connection fails, never more often than minInterval",
    { timeout: 60_000 },
    async () => {
      const dns = await DnsServer.start();
      const router = (id: string) => new Router().handle("who", () => id);
      const a = new Server({ router: router("a"), body: jsonBody });
      const b = new Server({ router: router("b"), body: jsonBody });
      const la = await adapter.listen("tcp://127.0.0.2:0");
      const port = la.addr.port!;
      const lb = await adapter.listen(`tcp://127.0.0.3:${port}`);
      void a.serve(la);
      void b.serve(lb);
      dns.set("svc.test", { A: ["127.0.0.2"] });
      const minInterval = 400;
      const resolver = adapter.dnsResolver(`dns+tcp://svc.test:${port}`, {
        nameServer: `127.0.0.1:${dns.port}`,
        interval: 60_000,
        minInterval,
        family: "ipv4",
      });
      const client = new Client({
        resolver,
        balancer: "round_robin",
        dial: adapter.dial,
        body: jsonBody,
        reconnect: { initialDelay: 20, maxDelay: 50 },
      });
      try {
        assert.equal(await client.request("who", null), "a");
        dns.set("svc.test", { A: ["127.0.0.3"] });
        await a.close({ deadline: 0 }); // a goes: the client looks the name up again
        const started = performance.now();
        await until(
          () => {
            void client.request("who", null).then(
              (who) => seen.add(who),
              () => {},
            );
            return seen.has("b");
          },
          10_000,
          "requests reach b",
        );
        assert.ok(performance.now() - started < 5_000);
        const times = dns.times.get("svc.test A")!;
        assert.ok(
          times.length >= 2 && times.length <= 6,
          `${times.length} lookups`,
        );
        for (let i = 1; i < times.length; i++) {
          assert.ok(
            times[i] - times[i - 1] >= minInterval - 20,
            `lookups ${times[i] - times[i - 1]} ms apart`,
          );
        }
      } finally {
        await client.close();
        await a.close();
        await b.close();
        await dns.close();
      }
    },
  );
});

const seen = new Set<string>();
