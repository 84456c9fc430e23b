/**
 * How the Node and Bun adapters turn a runtime's peer certificate (the
 * object `getPeerCertificate()` returns) into a channel's `peerCertificate`.
 * Runs on every runtime (the conversion is runtime-neutral).
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  peerCertificateOf,
  type RuntimeCertificate,
} from "../../adapters/_peer_certificate.ts";

const socket = (cert: RuntimeCertificate | null | undefined) => ({
  getPeerCertificate: () => cert ?? null,
});

describe("peerCertificateOf", () => {
  it("reads subject, alternative names, issuer, fingerprint and expiry", () => {
    const cert = peerCertificateOf(socket({
      subject: { C: "NL", O: "Acme, Inc.", OU: ["ops", "billing"], CN: "api" },
      issuer: { CN: "Acme CA" },
      subjectaltname:
        'DNS:api.acme.test, IP Address:10.0.0.1, URI:"spiffe://acme/a, b", email:ops@acme.test',
      fingerprint256: "AB:CD:EF",
      valid_to: "Feb  3 04:05:06 2031 GMT",
    }));
    assert.ok(cert);
    assert.equal(
      cert.subject,
      "C=NL, O=Acme\\, Inc., OU=ops, OU=billing, CN=api",
    );
    assert.deepEqual(cert.subjectAltNames, [
      "DNS:api.acme.test",
      "IP Address:10.0.0.1",
      "URI:spiffe://acme/a, b",
      "email:ops@acme.test",
    ]);
    assert.equal(cert.issuer, "CN=Acme CA");
    assert.equal(cert.fingerprint256, "AB:CD:EF");
    assert.equal(cert.validTo.toISOString(), "2031-02-03T04:05:06.000Z");
    assert.ok(Object.isFrozen(cert) && Object.isFrozen(cert.subjectAltNames));
  });

  it("is undefined when the peer presented no certificate, or the socket has none", () => {
    assert.equal(peerCertificateOf(socket({})), undefined); // Node's and Bun's "none"
    assert.equal(peerCertificateOf(socket(null)), undefined); // a closed socket
    assert.equal(peerCertificateOf({}), undefined); // not a TLS socket
    assert.equal(
      peerCertificateOf({
        getPeerCertificate() {
          throw new Error("closed");
        },
      }),
      undefined,
    );
  });

  it("has no alternative names when the certificate lists none", () => {
    const cert = peerCertificateOf(socket({
      subject: { CN: "solo" },
      issuer: { CN: "solo" },
      fingerprint256: "00",
      valid_to: "Jan  1 00:00:00 2030 GMT",
    }));
    assert.deepEqual(cert?.subjectAltNames, []);
    assert.equal(cert?.validTo.getUTCFullYear(), 2030);
  });
});
