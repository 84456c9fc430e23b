/**
 * The peer's certificate of a Node or Bun TLS socket (the object
 * `getPeerCertificate()` returns) as a channel's
 * {@linkcode PeerCertificate}. Runtime-neutral. Private to `adapters/`.
 *
 * @module
 */

import type { PeerCertificate } from "../src/channel/channel.ts";

/** The parts of Node's `tls.PeerCertificate` (and Bun's) read here. */
export interface RuntimeCertificate {
  subject?: Record<string, string | string[] | undefined>;
  issuer?: Record<string, string | string[] | undefined>;
  subjectaltname?: string;
  fingerprint256?: string;
  valid_to?: string;
}

/** A socket that may show its peer's certificate. */
export interface CertifiedSocket {
  getPeerCertificate?(detailed?: boolean): RuntimeCertificate | null;
}

/**
 * The certificate `socket`'s peer presented in its TLS handshake, or
 * `undefined` if it presented none (or the socket is not TLS, or closed).
 *
 * @param socket A Node `tls.TLSSocket` or a Bun TLS socket, after its
 *   handshake.
 * @returns The certificate's identity.
 *
 * @example A Node-shaped certificate
 * ```ts
 * import { peerCertificateOf } from "./_peer_certificate.ts";
 * const cert = peerCertificateOf({
 *   getPeerCertificate: () => ({
 *     subject: { O: "Acme", CN: "api" },
 *     issuer: { CN: "Acme CA" },
 *     subjectaltname: "DNS:api.acme.test, IP Address:10.0.0.1",
 *     fingerprint256: "AB:CD",
 *     valid_to: "Oct 28 05:19:56 2126 GMT",
 *   }),
 * });
 * console.log(cert?.subject); // "O=Acme, CN=api"
 * console.log(cert?.subjectAltNames); // [ "DNS:api.acme.test", "IP Address:10.0.0.1" ]
 * console.log(cert?.validTo.toISOString()); // "2126-10-28T05:19:56.000Z"
 * ```
 */
export function peerCertificateOf(
  socket: CertifiedSocket,
): PeerCertificate | undefined {
  let cert: RuntimeCertificate | null | undefined;
  try {
    cert = socket.getPeerCertificate?.();
  } catch {
    return undefined;
  }
  // Node and Bun return {} when the peer presented no certificate.
  if (!cert?.fingerprint256 || cert.subject === undefined) return undefined;
  return Object.freeze({
    subject: distinguishedName(cert.subject),
    subjectAltNames: Object.freeze(altNames(cert.subjectaltname ?? "")),
    issuer: distinguishedName(cert.issuer ?? {}),
    fingerprint256: cert.fingerprint256,
    validTo: certificateDate(cert.valid_to ?? ""),
  });
}

/** `{ O: "Acme", CN: "api" }` as `"O=Acme, CN=api"` (RFC 4514 escapes). */
function distinguishedName(
  name: Record<string, string | string[] | undefined>,
): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(name)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) {
      parts.push(`${key}=${escapeValue(one)}`);
    }
  }
  return parts.join(", ");
}

function escapeValue(value: string): string {
  return value
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, "\\ ");
}

/**
 * Node's `subjectaltname` (`DNS:a, IP Address:1.2.3.4`; a value with a
 * comma or quote is a JSON string: `URI:"http://x/a,b"`) as a list.
 */
function altNames(text: string): string[] {
  const names: string[] = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(":", i);
    if (colon < 0) break;
    const type = text.slice(i, colon);
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      // A JSON string: find its closing quote.
      end = colon + 2;
      while (end < text.length && text[end] !== '"') {
        end += text[end] === "\\" ? 2 : 1;
      }
      end++;
      try {
        value = JSON.parse(text.slice(colon + 1, end));
      } catch {
        value = text.slice(colon + 1, end);
      }
    } else {
      end = text.indexOf(", ", colon);
      if (end < 0) end = text.length;
      value = text.slice(colon + 1, end);
    }
    names.push(`${type}:${value}`);
    i = text.startsWith(", ", end) ? end + 2 : end + 1;
  }
  return names;
}

const MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";

/** OpenSSL's `Oct 28 05:19:56 2126 GMT` as a `Date`. */
function certificateDate(text: string): Date {
  const match = /^(\w{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) GMT$/
    .exec(text);
  const month = match ? MONTHS.indexOf(match[1]) / 3 : -1;
  if (!match || !Number.isInteger(month)) return new Date(text);
  const [, , day, hours, minutes, seconds, year] = match.map(Number);
  return new Date(Date.UTC(year, month, day, hours, minutes, seconds));
}
