/**
 * The adapters' transport-key parser. Runtime-neutral: runs everywhere.
 *
 * @module
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { formatKey, parseKey } from "../../adapters/_key.ts";

test("parseKey reads tcp, tls and unix keys", () => {
  assert.deepEqual(parseKey("tcp://127.0.0.1:7000"), {
    transport: "tcp",
    hostname: "127.0.0.1",
    port: 7000,
    path: "",
  });
  assert.deepEqual(parseKey("tcp://[::1]:0"), {
    transport: "tcp",
    hostname: "::1",
    port: 0,
    path: "",
  });
  assert.deepEqual(parseKey("TLS://localhost:7443/"), {
    transport: "tls",
    hostname: "localhost",
    port: 7443,
    path: "",
  });
  assert.deepEqual(parseKey("unix:///tmp/my%20app.sock"), {
    transport: "unix",
    hostname: "",
    port: 0,
    path: "/tmp/my app.sock",
  });
});

test("parseKey takes an object with the same parts", () => {
  assert.deepEqual(
    parseKey({ transport: "tcp", hostname: "[::1]", port: 80 }),
    {
      transport: "tcp",
      hostname: "::1",
      port: 80,
      path: "",
    },
  );
  assert.equal(
    parseKey({ transport: "unix", path: "/run/x.sock" }).path,
    "/run/x.sock",
  );
  assert.throws(
    () => parseKey({ transport: "tcp", hostname: "h" }),
    /missing port/,
  );
  assert.throws(
    () => parseKey({ transport: "tcp", port: 1 }),
    /missing hostname/,
  );
  assert.throws(
    () => parseKey({ transport: "udp", hostname: "h", port: 1 }),
    /unknown transport/,
  );
});

test("parseKey rejects bad keys with a TypeError that says why", () => {
  const cases: [string, RegExp][] = [
    ["127.0.0.1:80", /expected tcp:\/\/host:port/],
    ["http://example.com:80", /unknown transport "http"/],
    ["mem://a", /unknown transport "mem"/],
    ["tcp://localhost", /missing port/],
    ["tcp://localhost:", /missing port/],
    ["tcp://:80", /missing host/],
    ["tcp://localhost:http", /port "http" is not a number/],
    ["tcp://localhost:65536", /port 65536 is out of range/],
    ["tcp://localhost:80/path", /nothing after the port/],
    ["tcp://user@localhost:80", /expected tcp:\/\/host:port/],
    ["tcp://[localhost]:80", /only for IPv6/],
    ["tcp://::1:80", /IPv6 address goes in brackets/],
    ["unix://relative.sock", /absolute path/],
    ["unix://", /absolute path/],
  ];
  for (const [key, message] of cases) {
    assert.throws(() => parseKey(key), (error: unknown) => {
      assert.ok(error instanceof TypeError, `${key}: ${error}`);
      assert.match(error.message, message, key);
      return true;
    });
  }
});

test("formatKey writes a parsed key back", () => {
  for (
    const key of [
      "tcp://127.0.0.1:7000",
      "tcp://[::1]:0",
      "tls://localhost:7443",
      "unix:///tmp/x.sock",
    ]
  ) {
    assert.equal(formatKey(parseKey(key)), key);
  }
});
