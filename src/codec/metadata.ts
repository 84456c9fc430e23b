/**
 * {@linkcode Metadata}: ordered key/value pairs that travel beside a body —
 * who is calling (a bearer token, a tenant), the trace context, a reply's
 * trailers. Keys are lower-case ASCII; values are text or bytes.
 *
 * @module
 */

import { CodecError } from "../errors.ts";
import { invalidateBlock } from "./_metadata_cache.ts";

/**
 * A metadata value: text, or bytes.
 *
 * @example Text and bytes side by side
 * ```ts
 * import { Metadata } from "listenrain";
 * import type { MetadataValue } from "listenrain/advanced";
 *
 * const values: MetadataValue[] = ["Bearer rain", new Uint8Array([1, 2])];
 * const metadata = new Metadata([["authorization", values[0]], ["x-bin", values[1]]]);
 * console.log(metadata.size); // 2
 * ```
 */
export type MetadataValue = string | Uint8Array;

/**
 * What metadata can be given as: a `Metadata`, an object of keys to values,
 * or pairs in order (a key may repeat).
 *
 * @example Three ways to say the same
 * ```ts
 * import { Metadata } from "listenrain";
 * import type { MetadataInit } from "listenrain/advanced";
 *
 * const inits: MetadataInit[] = [
 *   { "x-tenant": "acme" },
 *   [["x-tenant", "acme"]],
 *   new Metadata({ "x-tenant": "acme" }),
 * ];
 * console.log(inits.map((init) => Metadata.from(init).get("x-tenant"))); // [ "acme", "acme", "acme" ]
 * ```
 */
export type MetadataInit =
  | Metadata
  | Readonly<Record<string, MetadataValue>>
  | Iterable<readonly [string, MetadataValue]>;

/** The longest key, in bytes. */
export const MAX_METADATA_KEY = 255;

const KEY = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * Checks a metadata key: 1 to 255 characters of lower-case ASCII letters,
 * digits, `-`, `_` and `.`, not starting with a punctuation mark.
 *
 * @param key The key.
 * @throws {CodecError} If the key is not one.
 */
function checkKey(key: string): void {
  if (
    typeof key !== "string" || key.length > MAX_METADATA_KEY || !KEY.test(key)
  ) {
    throw new CodecError(
      `Invalid metadata key ${
        JSON.stringify(key)
      }: 1-255 lower-case ASCII letters, digits, '-', '_' or '.'`,
    );
  }
}

/**
 * Ordered key/value pairs sent with a request, a reply, an error or a
 * notification: a key may repeat, `get` gives the first value, `getAll`
 * every one in order. Keys are lower-case ASCII (`authorization`,
 * `traceparent`, `x-tenant`); values are text or bytes.
 *
 * @example A token on a request, read by the handler
 * ```ts
 * import { Connection, Router, textBody } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * const router = new Router().handle("whoami", (_: string, ctx) =>
 *   ctx.metadata.get("authorization") ?? "nobody");
 * const server = new Connection(a, { router, body: textBody });
 * const client = new Connection<typeof router>(b, { body: textBody });
 * const me = await client.request("whoami", "", {
 *   metadata: { authorization: "Bearer rain" },
 * });
 * console.log(me); // "Bearer rain"
 * await client.close();
 * await server.close();
 * ```
 */
export class Metadata implements Iterable<[string, MetadataValue]> {
  #entries: [string, MetadataValue][] = [];

  /**
   * Creates metadata from pairs, an object, or another `Metadata`.
   *
   * @param init The first entries.
   * @throws {CodecError} If a key is not lower-case ASCII or a value is neither text nor bytes.
   */
  constructor(init?: MetadataInit) {
    if (init === undefined) return;
    if (init instanceof Metadata) {
      this.#entries = init.#entries.slice();
      return;
    }
    const pairs = Symbol.iterator in init
      ? init as Iterable<readonly [string, MetadataValue]>
      : Object.entries(init);
    for (const [key, value] of pairs) this.append(key, value);
  }

  /**
   * Metadata as given: the same object if it is a `Metadata`.
   *
   * @param init What to read.
   * @returns A `Metadata`.
   */
  static from(init: MetadataInit): Metadata {
    return init instanceof Metadata ? init : new Metadata(init);
  }

  /** How many entries. */
  get size(): number {
    return this.#entries.length;
  }

  /**
   * The first value of `key`.
   *
   * @param key The key.
   * @returns The value, or `undefined`.
   */
  get(key: string): MetadataValue | undefined {
    for (const [k, v] of this.#entries) if (k === key) return v;
    return undefined;
  }

  /**
   * Every value of `key`, in order.
   *
   * @param key The key.
   * @returns The values.
   */
  getAll(key: string): MetadataValue[] {
    return this.#entries.filter(([k]) => k === key).map(([, v]) => v);
  }

  /**
   * Whether `key` is present.
   *
   * @param key The key.
   * @returns True if it is.
   */
  has(key: string): boolean {
    return this.#entries.some(([k]) => k === key);
  }

  /**
   * Adds an entry after the others (a key may repeat).
   *
   * @param key The key.
   * @param value The value.
   * @returns This metadata.
   * @throws {CodecError} If the key or value is invalid.
   */
  append(key: string, value: MetadataValue): this {
    checkKey(key);
    if (typeof value !== "string" && !(value instanceof Uint8Array)) {
      throw new CodecError(
        `Invalid metadata value of ${JSON.stringify(key)}: text or bytes`,
      );
    }
    this.#entries.push([key, value]);
    invalidateBlock(this);
    return this;
  }

  /**
   * Replaces every value of `key` with `value` (at the first one's place).
   *
   * @param key The key.
   * @param value The value.
   * @returns This metadata.
   * @throws {CodecError} If the key or value is invalid.
   */
  set(key: string, value: MetadataValue): this {
    const at = this.#entries.findIndex(([k]) => k === key);
    if (at < 0) return this.append(key, value);
    this.append(key, value);
    const added = this.#entries.pop()!;
    this.#entries[at] = added;
    this.#entries = this.#entries.filter(([k], i) => k !== key || i === at);
    invalidateBlock(this);
    return this;
  }

  /**
   * Removes every value of `key`.
   *
   * @param key The key.
   * @returns True if there was one.
   */
  delete(key: string): boolean {
    const before = this.#entries.length;
    this.#entries = this.#entries.filter(([k]) => k !== key);
    invalidateBlock(this);
    return this.#entries.length !== before;
  }

  /**
   * The entries in order.
   *
   * @returns An iterator of `[key, value]`.
   */
  entries(): IterableIterator<[string, MetadataValue]> {
    return this.#entries.values();
  }

  /** The entries in order. */
  [Symbol.iterator](): IterableIterator<[string, MetadataValue]> {
    return this.#entries.values();
  }

  /** What `console.log` shows (Node, Bun and Deno). */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Metadata ${JSON.stringify(this.toJSON(), bytesAsArrays)}`;
  }

  /**
   * Text values as they are, bytes as `Uint8Array`s, repeated keys as arrays.
   *
   * @returns A plain object, for logs.
   */
  toJSON(): Record<string, MetadataValue | MetadataValue[]> {
    const out: Record<string, MetadataValue | MetadataValue[]> = {};
    for (const [k, v] of this.#entries) {
      const had = out[k];
      out[k] = had === undefined
        ? v
        : Array.isArray(had)
        ? [...had, v]
        : [had, v];
    }
    return out;
  }
}

function bytesAsArrays(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? [...value] : value;
}

/**
 * `defaults` with `overrides` on top: a key of `overrides` replaces every
 * value of that key in `defaults`.
 *
 * @param defaults The client's metadata.
 * @param overrides The request's.
 * @returns The merged metadata, or `undefined` if both are absent.
 */
export function mergeMetadata(
  defaults: Metadata | undefined,
  overrides: MetadataInit | undefined,
): Metadata | undefined {
  if (overrides === undefined) return defaults;
  const extra = Metadata.from(overrides);
  if (defaults === undefined || defaults.size === 0) return extra;
  const merged = new Metadata();
  for (const [k, v] of defaults) if (!extra.has(k)) merged.append(k, v);
  for (const [k, v] of extra) merged.append(k, v);
  return merged;
}
