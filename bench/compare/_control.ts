/**
 * How the benchmark processes talk to their driver (scripts/bench_*.mjs):
 * one JSON object per stdout line, one-word commands on stdin lines, a hard
 * deadline after which the process exits by itself, and exit when stdin
 * closes (the driver went away). `node:process` works on Deno, Bun and Node.
 *
 * @module
 */

import process from "node:process";
import { rssMiB } from "../_process.ts";

/**
 * Prints one JSON line for the driver.
 *
 * @param message The object.
 */
export function emit(message: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(message) + "\n");
}

/**
 * Prints an error line for the driver, then exits with status 1.
 *
 * @param error What failed.
 */
export function die(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  emit({ error: message });
  process.stderr.write(
    `${error instanceof Error ? error.stack ?? message : message}\n`,
  );
  process.exit(1);
}

/**
 * Exits the process after `seconds` whatever it is doing, so that no
 * benchmark process outlives its driver by much.
 *
 * @param seconds The process's longest life.
 */
export function deadline(seconds: number): void {
  const timer = setTimeout(() => {
    process.stderr.write(`benchmark process: deadline of ${seconds} s hit\n`);
    process.exit(3);
  }, seconds * 1000);
  (timer as { unref?: () => void }).unref?.();
}

/**
 * Calls the handler of each command line read from stdin; exits when stdin
 * ends.
 *
 * @param commands Command word → handler.
 */
export function commands(commands: Record<string, () => void>): void {
  let buffered = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk: string) => {
    buffered += chunk;
    for (
      let at = buffered.indexOf("\n");
      at >= 0;
      at = buffered.indexOf("\n")
    ) {
      const word = buffered.slice(0, at).trim();
      buffered = buffered.slice(at + 1);
      commands[word]?.();
    }
  });
  process.stdin.on("end", () => process.exit(0));
}

/** Samples this process's RSS every 100 ms and keeps the peak. */
export class RssPeak {
  #peak = rssMiB();

  constructor() {
    const timer = setInterval(() => this.sample(), 100);
    (timer as { unref?: () => void }).unref?.();
  }

  /** Takes a sample now. */
  sample(): void {
    const now = rssMiB();
    if (now > this.#peak) this.#peak = now;
  }

  /** @returns The peak so far, MiB. */
  get peak(): number {
    this.sample();
    return this.#peak;
  }

  /** Forgets the peak: measure from now on. */
  reset(): void {
    this.#peak = rssMiB();
  }
}
