/**
 * One error for an address that is taken, whatever the runtime calls it.
 * Runtime-neutral. Private to `adapters/`.
 *
 * @module
 */

import { AddressInUseError } from "../src/errors.ts";

/**
 * Turns the runtime's "address in use" error (Node's and Bun's
 * `EADDRINUSE`, Deno's `AddrInUse`) into an {@linkcode AddressInUseError}
 * with the raw error as `cause`; other errors are returned as they are.
 *
 * @param error What binding threw.
 * @param name The key being listened on, for the message.
 * @returns The error to throw.
 *
 * @example
 * ```ts
 * import { bindError } from "./_bind_error.ts";
 * const raw = Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE" });
 * console.log((bindError(raw, "tcp://127.0.0.1:80") as Error).name); // "AddressInUseError"
 * ```
 */
export function bindError(error: unknown, name: string): unknown {
  const { code, name: kind } = (error ?? {}) as {
    code?: unknown;
    name?: unknown;
  };
  if (code === "EADDRINUSE" || kind === "AddrInUse") {
    return new AddressInUseError(
      `Cannot listen on ${name}: the address is in use`,
      { cause: error },
    );
  }
  return error;
}
