/**
 * What the interop server and client agree on: the routes, the payload sizes
 * and their deterministic content, and the checksum reply.
 *
 * @module
 */

import { Checksum, randomBytes } from "../_conformance/_helpers.ts";

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

/** Reads `--name value` (or `--name=value`) from `argv`. */
export function option(argv: string[], name: string, fallback: string): string {
  const at = argv.indexOf(`--${name}`);
  if (at >= 0 && at + 1 < argv.length) return argv[at + 1];
  const inline = argv.find((arg) => arg.startsWith(`--${name}=`));
  return inline ? inline.slice(name.length + 3) : fallback;
}
