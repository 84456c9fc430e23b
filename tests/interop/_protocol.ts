/**
 * What the interop server and client agree on: the routes, the payload sizes
 * and their deterministic content, the checksum reply, and the metadata of
 * the "metadata" route's requests.
 *
 * @module
 */

import { Checksum, randomBytes } from "../_conformance/_helpers.ts";
import { Metadata, type MetadataValue } from "../../src/codec/metadata.ts";

/** The payload sizes every pair exchanges: 0 B to 4 MiB. */
export const SIZES: readonly number[] = [
  0,
  1,
  64,
  4 * 1024,
  64 * 1024,
  1024 * 1024,
  4 * 1024 * 1024,
];

/** The payload of request `index` with `size` bytes: the same on every runtime. */
export function payloadOf(index: number, size: number): Uint8Array {
  return randomBytes(size, Math.imul(index + 1, 0x9e3779b1) ^ size);
}

/** The reply of the "checksum" route: FNV-1a 32 and the length, both u32. */
export function checksumOf(body: Uint8Array): Uint8Array {
  const sum = new Checksum().update(body);
  const reply = new Uint8Array(8);
  const view = new DataView(reply.buffer);
  view.setUint32(0, sum.hash);
  view.setUint32(4, sum.length);
  return reply;
}

/**
 * The metadata of request `index` to the "metadata" route: three entries,
 * text (ASCII and UTF-8) and bytes, the same on every runtime. The server
 * sends them back as the reply's metadata.
 */
export function metadataOf(index: number): Metadata {
  return new Metadata([
    ["authorization", `Bearer token-${index.toString(36)}`],
    ["x-bin", randomBytes(index % 40, index + 7)],
    ["x-tenant", `tenant-\u00e9\u20ac-${index}`],
  ]);
}

/**
 * Throws unless `got` has exactly the entries of `expected`, in order, with
 * the same keys, types and bytes.
 */
export function assertSameMetadata(
  got: Metadata,
  expected: Metadata,
  what: string,
): void {
  const form = (m: Metadata) =>
    [...m].map(([key, value]) => `${key}=${describe(value)}`).join(" ");
  if (form(got) !== form(expected)) {
    throw new Error(
      `${what}: metadata differs: got ${form(got)}, expected ${form(expected)}`,
    );
  }
}

function describe(value: MetadataValue): string {
  return typeof value === "string"
    ? `text:${JSON.stringify(value)}`
    : `bytes:${
      Array.from(value, (b) => b.toString(16).padStart(2, "0")).join("")
    }`;
}

/** Reads `--name value` (or `--name=value`) from `argv`. */
export function option(argv: string[], name: string, fallback: string): string {
  const at = argv.indexOf(`--${name}`);
  if (at >= 0 && at + 1 < argv.length) return argv[at + 1];
  const inline = argv.find((arg) => arg.startsWith(`--${name}=`));
  return inline ? inline.slice(name.length + 3) : fallback;
}
