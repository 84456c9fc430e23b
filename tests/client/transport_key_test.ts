import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TransportKey } from "../../src/channel/transport_key.ts";

describe("TransportKey", () => {
  it("parses and formats tcp, tls, unix and mem keys", () => {
    const cases: [string, string][] = [
      ["tcp://127.0.0.1:7000", "tcp://127.0.0.1:7000"],
      ["TCP://LocalHost:80/", "tcp://localhost:80"],
      ["tls://api.example.com:443", "tls://api.example.com:443"],
      ["tcp://[::1]:0", "tcp://[::1]:0"],
      ["tcp://[FE80::1]:9", "tcp://[fe80::1]:9"],
      ["unix:///tmp/app.sock", "unix:///tmp/app.sock"],
      ["unix:///tmp/a%20b.sock", "unix:///tmp/a b.sock"],
      ["mem://orders", "mem://orders"],
      ["MEM://orders-2.v1", "mem://orders-2.v1"],
    ];
    for (const [input, expected] of cases) {
      const key = new TransportKey(input);
      assert.equal(key.toString(), expected, input);
      assert.equal(JSON.stringify(key), JSON.stringify(expected));
      assert.ok(
        new TransportKey(key.toString()).equals(key),
        `${input} round trip`,
      );
    }
  });

  it("exposes the parts the socket adapters read", () => {
    const tcp = new TransportKey("tcp://[::1]:7000");
    assert.deepEqual(
      [tcp.transport, tcp.hostname, tcp.port, tcp.path, tcp.name],
      ["tcp", "::1", 7000, "", ""],
    );
    const unix = new TransportKey("unix:///run/x.sock");
    assert.deepEqual([unix.transport, unix.path, unix.port], [
      "unix",
      "/run/x.sock",
      0,
    ]);
    const mem = new TransportKey("mem://q");
    assert.deepEqual([mem.transport, mem.name, mem.hostname], ["mem", "q", ""]);
  });

  it("equal keys name the same endpoint; different ones do not", () => {
    const key = new TransportKey("tcp://Example.COM:80");
    assert.ok(key.equals("tcp://example.com:80/"));
    assert.ok(
      key.equals({ transport: "tcp", hostname: "example.com", port: 80 }),
    );
    assert.ok(!key.equals("tls://example.com:80"));
    assert.ok(!key.equals("tcp://example.com:81"));
    assert.ok(!key.equals("not a key"));
    assert.ok(
      new TransportKey({ transport: "tcp", hostname: "[::1]", port: 1 }).equals(
        "tcp://[::1]:1",
      ),
    );
    assert.ok(
      new TransportKey({ transport: "mem", name: "a" }).equals("mem://a"),
    );
  });

  it("from() returns keys as they are and parses the rest", () => {
    const key = new TransportKey("mem://x");
    assert.equal(TransportKey.from(key), key);
    assert.ok(
      TransportKey.from({ transport: "unix", path: "/a" }).equals("unix:///a"),
    );
  });

  it("rejects invalid keys with a TypeError that names the problem", () => {
    const bad: [string, RegExp][] = [
      ["127.0.0.1:80", /expected tcp:\/\/host:port/],
      ["http://x:80", /unknown transport "http"/],
      ["tcp://:80", /missing host/],
      ["tcp://host", /missing port/],
      ["tcp://host:http", /not a number/],
      ["tcp://host:70000", /out of range/],
      ["tcp://::1:80", /IPv6 address goes in brackets/],
      ["tcp://[127.0.0.1]:80", /brackets are only for IPv6/],
      ["tcp://host:80/path", /nothing after the port/],
      ["unix://relative.sock", /absolute path/],
      ["mem://", /needs a name/],
      ["mem://a/b", /needs a name/],
      ["mem://a b", /needs a name/],
    ];
    for (const [input, message] of bad) {
      assert.throws(() => new TransportKey(input), (e: unknown) => {
        assert.ok(e instanceof TypeError, input);
        assert.match((e as Error).message, message, input);
        return true;
      });
    }
    assert.throws(
      () => new TransportKey({ transport: "tcp", port: 1 }),
      TypeError,
    );
    assert.throws(
      () => new TransportKey({ transport: "tcp", hostname: "h" }),
      TypeError,
    );
    assert.throws(() => new TransportKey(null as unknown as string), TypeError);
  });
});
