/**
 * The Node adapter against the conformance suites, over TCP (127.0.0.1 and
 * ::1), TLS and Unix sockets. Runs on Node only; skipped under Deno and Bun.
 *
 * @module
 */

import process from "node:process";
import * as adapter from "../../adapters/node.ts";
import { hardeningSuite } from "./_hardening_suite.ts";
import { canListen, socketAdapterSuite } from "./_socket_suite.ts";

const isNode = !("Deno" in globalThis) && !("Bun" in globalThis);
const [major, minor] = process.versions.node.split(".").map(Number);
// Node gained reusePort in 22.12 and 23.1; CI runs Node 20.
const hasReusePort = major > 23 || (major === 23 && minor >= 1) ||
  (major === 22 && minor >= 12);

socketAdapterSuite("node", adapter, {
  skip: !isNode && "runs on Node only",
  ipv6: isNode && await canListen(adapter, "tcp://[::1]:0"),
  reusePort: hasReusePort ? "works" : /reusePort is not supported on Node 20/,
  abortClosesTlsHandshake: true,
  clientAuth: true,
  peerCertificate: true,
  readInto: ["tcp", "tls", "unix"],
});

hardeningSuite("node", adapter, {
  skip: !isNode && "runs on Node only",
  clientAuth: true,
  closesStalledHandshake: true,
  refusesBeyondLimit: true,
});
