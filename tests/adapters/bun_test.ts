/**
 * The Bun adapter against the conformance suites, over TCP (127.0.0.1 and
 * ::1), TLS and Unix sockets. Runs on Bun only; skipped under Deno and Node.
 *
 * @module
 */

import * as adapter from "../../adapters/bun.ts";
import { hardeningSuite } from "./_hardening_suite.ts";
import { canListen, socketAdapterSuite } from "./_socket_suite.ts";

const isBun = "Bun" in globalThis;

socketAdapterSuite("bun", adapter, {
  skip: !isBun && "runs on Bun only",
  ipv6: isBun && await canListen(adapter, "tcp://[::1]:0"),
  reusePort: "works",
  abortClosesTlsHandshake: true,
  clientAuth: true,
  peerCertificate: true,
  readInto: [],
});

hardeningSuite("bun", adapter, {
  skip: !isBun && "runs on Bun only",
  clientAuth: true,
  closesStalledHandshake: true,
  refusesBeyondLimit: true,
});
