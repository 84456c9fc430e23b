/**
 * A TypeScript file run as a child process on the test's own runtime, spoken
 * to in lines: tests that measure a server's memory or kill it start the
 * server this way, so that its resident set and its fate are its own. The
 * child side: `listenAndAnnounce` and `exitWithParent`.
 */

import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { createInterface } from "node:readline";
import { scriptCommand } from "../../bench/_runtime.ts";

/** A child process whose stdout is read line by line. */
export class ScriptChild {
  /** The process. */
  readonly process: ChildProcess;
  /** Resolves with the exit code once the process exited. */
  readonly exited: Promise<number | null>;
  #lines: string[] = [];
  #waiting: ((line: string | undefined) => void)[] = [];
  #ended = false;
  /** Resolves once the child's stdout ended. */
  #outputEnded: Promise<void>;

  /**
   * Starts `file` with `args` (stderr goes to the test's).
   *
   * @param shellPrefix Run through `sh -c` with this before the command
   *   (for example `ulimit -n 256;`).
   */
  constructor(file: string, args: readonly string[] = [], shellPrefix = "") {
    const [cmd, cmdArgs] = scriptCommand(file, args);
    this.process = shellPrefix === ""
      ? spawn(cmd, cmdArgs, { stdio: ["pipe", "pipe", "inherit"] })
      : spawn("sh", [
        "-c",
        `${shellPrefix} exec ${
          [cmd, ...cmdArgs].map((a) => JSON.stringify(a)).join(" ")
        }`,
      ], { stdio: ["pipe", "pipe", "inherit"] });
    this.exited = new Promise((resolve) => {
      this.process.once("exit", (code) => resolve(code));
      this.process.once("error", () => resolve(null));
    });
    const lines = createInterface({ input: this.process.stdout! });
    lines.on("line", (line) => {
      const waiter = this.#waiting.shift();
      if (waiter) waiter(line);
      else this.#lines.push(line);
    });
    this.#outputEnded = new Promise((resolve) =>
      lines.on("close", () => {
        this.#ended = true;
        for (const waiter of this.#waiting.splice(0)) waiter(undefined);
        resolve();
      })
    );
  }

  /**
   * The next line the child prints.
   *
   * @throws {Error} If it prints none within `timeoutMs` or its output ends.
   */
  nextLine(timeoutMs = 30_000): Promise<string> {
    const ready = this.#lines.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.#ended) {
      return Promise.reject(new Error("the child's output ended"));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.splice(this.#waiting.indexOf(take), 1);
        reject(new Error(`the child printed nothing in ${timeoutMs} ms`));
      }, timeoutMs);
      const take = (line: string | undefined) => {
        clearTimeout(timer);
        if (line === undefined) reject(new Error("the child's output ended"));
        else resolve(line);
      };
      this.#waiting.push(take);
    });
  }

  /**
   * The next line, parsed as JSON.
   *
   * @throws {Error} As `nextLine`, or if the line holds `{ "error": … }`.
   */
  async nextJson<T>(timeoutMs = 30_000): Promise<T> {
    const value = JSON.parse(await this.nextLine(timeoutMs));
    if (value?.error !== undefined) throw new Error(String(value.error));
    return value as T;
  }

  /**
   * Waits until the child exits by itself, then parses the last line it
   * printed and did not give to `nextLine` (a child that prints its results
   * last).
   *
   * @throws {Error} If that line is missing or not JSON.
   */
  async resultJson<T>(): Promise<T> {
    const [code] = await Promise.all([this.exited, this.#outputEnded]);
    this.process.stdin!.destroy();
    const last = this.#lines.at(-1);
    try {
      return JSON.parse(last!) as T;
    } catch {
      throw new Error(
        `the child exited with ${code}: ${this.#lines.join("\n")}`,
      );
    }
  }

  /** Writes one line to the child's stdin. */
  send(line: string): void {
    this.process.stdin!.write(`${line}\n`);
  }

  /** Ends the child's stdin and kills it (`SIGKILL` with `hard`). */
  stop(hard = false): void {
    this.process.stdin!.destroy();
    this.process.kill(hard ? "SIGKILL" : "SIGTERM");
  }
}

/**
 * In a child script: listens with `listen`, then prints `{ port, pid }` on
 * one line (what {@linkcode ScriptChild.nextJson} reads), or `{ error }` and
 * exits 1 if it cannot.
 *
 * @returns The listener.
 */
export async function listenAndAnnounce<L extends { addr: unknown }>(
  listen: () => Promise<L>,
): Promise<L> {
  try {
    const listener = await listen();
    const port = (listener.addr as { port: number }).port;
    process.stdout.write(`${JSON.stringify({ port, pid: process.pid })}\n`);
    return listener;
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: String(error) })}\n`);
    process.exit(1);
  }
}

/**
 * In a child script: exits after `lifetimeMs`, or as soon as stdin ends (the
 * test that started it stopped or died), so it never outlives its test.
 */
export function exitWithParent(lifetimeMs: number): void {
  const stop = () => process.exit(0);
  setTimeout(stop, lifetimeMs);
  process.stdin.on("end", stop);
  process.stdin.on("error", stop);
  process.stdin.resume();
}
