/**
 * The command that starts tests/scale/_every_core_server.ts on the runtime
 * running this code, and the child it starts (lines on stdout, as
 * tests/_helpers/child.ts reads them). Deno runs it with `--unstable-net`,
 * which `serveOnEveryCore` needs there; `"unsupported"` starts it the way
 * each runtime refuses: Deno without the flag, Node and Bun as code given
 * with `-e` (no entry script to start as each worker).
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { detectRuntime } from "../../bench/_runtime.ts";

/**
 * The executable and its arguments that run `file` with `args`.
 *
 * @param mode `"unsupported"` for the setup each runtime refuses.
 */
export function everyCoreCommand(
  file: string,
  args: readonly string[],
  mode: "supported" | "unsupported" = "supported",
): [string, string[]] {
  const entry = `await import(${JSON.stringify(pathToFileURL(file).href)});`;
  const exe = process.execPath;
  switch (detectRuntime()) {
    case "deno":
      return mode === "supported"
        ? [exe, ["run", "-A", "--unstable-net", file, ...args]]
        : [exe, ["run", "-A", file, ...args]];
    case "bun":
      return mode === "supported"
        ? [exe, [file, ...args]]
        : [exe, ["-e", entry, ...args]];
    case "node":
      return mode === "supported"
        ? [exe, ["--import", "tsx", file, ...args]]
        : [exe, ["--import", "tsx", "--input-type=module", "-e", entry]];
  }
}

/** A per-core server started as a child process, read line by line. */
export class EveryCoreChild {
  /** The primary's process. */
  readonly process: ChildProcess;
  /** Resolves with its exit code. */
  readonly exited: Promise<number | null>;
  #lines: string[] = [];
  #wake: (() => void) | undefined;
  #ended = false;

  /** Starts `file` with `args` (see {@linkcode everyCoreCommand}). */
  constructor(file: string, args: readonly string[]) {
    const [cmd, cmdArgs] = everyCoreCommand(file, args);
    this.process = spawn(cmd, cmdArgs, {
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.exited = new Promise((resolve) => {
      this.process.once("exit", (code) => resolve(code));
      this.process.once("error", () => resolve(null));
    });
    const lines = createInterface({ input: this.process.stdout! });
    lines.on("line", (line) => {
      this.#lines.push(line);
      this.#wake?.();
    });
    lines.on("close", () => {
      this.#ended = true;
      this.#wake?.();
    });
  }

  /**
   * The next line, parsed as JSON.
   *
   * @throws {Error} If none comes within `timeoutMs`, the output ends, or
   *   the line holds `{ "error": … }`.
   */
  async nextJson<T>(timeoutMs = 30_000): Promise<T> {
    const until = performance.now() + timeoutMs;
    while (this.#lines.length === 0) {
      if (this.#ended) throw new Error("the child's output ended");
      const left = until - performance.now();
      if (left <= 0) {
        throw new Error(`the child printed nothing in ${timeoutMs} ms`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
    const value = JSON.parse(this.#lines.shift()!);
    if (value?.error !== undefined) throw new Error(String(value.error));
    return value as T;
  }

  /** Sends `signal` to the primary. */
  kill(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): void {
    this.process.kill(signal);
  }

  /** Shuts it down (`SIGTERM`), and kills it if it is still running 20 s later. */
  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill("SIGTERM");
    }
    const timer = setTimeout(() => this.process.kill("SIGKILL"), 20_000);
    await this.exited;
    clearTimeout(timer);
  }
}
