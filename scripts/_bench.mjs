/**
 * What the benchmark drivers (bench_compare.mjs, bench_connections.mjs)
 * share: the command that runs a TypeScript file on each runtime, benchmark
 * processes that speak JSON lines and are killed with everything they
 * started, flag parsing, and a description of the machine.
 *
 * @module
 */

import { execFileSync, spawn } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ROOT } from "./_files.mjs";

const BIN = join(ROOT, "node_modules", ".bin");

/**
 * Where the Node build of the benchmark files goes (one per driver process,
 * removed on exit).
 */
const NODE_OUT = join(ROOT, ".tmp", `bench-node-${process.pid}`);

/**
 * The runtimes, and how each runs a .ts file; `gc` exposes `globalThis.gc`
 * (Bun always has `Bun.gc`). Node runs the JavaScript that
 * {@linkcode buildForNode} made.
 */
export const RUNTIMES = {
  deno: (file, args, gc) => [
    join(BIN, "deno"),
    ["run", "-A", ...(gc ? ["--v8-flags=--expose-gc"] : []), file, ...args],
  ],
  bun: (file, args) => [join(BIN, "bun"), [file, ...args]],
  node: (file, args, gc) => [
    process.execPath,
    [
      ...(gc ? ["--expose-gc"] : []),
      join(NODE_OUT, file.replace(/\.ts$/, ".js")),
      ...args,
    ],
  ],
};

/**
 * Compiles `files` (and what they import) to JavaScript for Node with `tsc`,
 * as the npm build does. Not `tsx`: it compiles with esbuild's `keepNames`,
 * which gives every function stored in a variable or class field a `name`
 * property of its own (about 250 bytes per closure, and work per call), and
 * its loader adds some 20 MiB of RSS: neither is what a user of the npm
 * package runs.
 *
 * @param {string[]} files root-relative .ts files
 */
export function buildForNode(files) {
  rmSync(NODE_OUT, { recursive: true, force: true });
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const options = [
    ...["--outDir", NODE_OUT, "--rootDir", ROOT],
    ...["--target", "ES2022", "--module", "NodeNext"],
    ...["--moduleResolution", "NodeNext", "--types", "node"],
    ...["--lib", "ES2023,ESNext.Disposable,DOM,DOM.Iterable"],
    "--allowImportingTsExtensions",
    "--rewriteRelativeImportExtensions",
    "--skipLibCheck",
  ];
  process.on("exit", () => rmSync(NODE_OUT, { recursive: true, force: true }));
  try {
    execFileSync(process.execPath, [tsc, ...options, ...files], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    // tsc emits despite type errors (deno check reports those); only a
    // missing output is fatal.
    const missing = files.find((file) =>
      !existsSync(join(NODE_OUT, file.replace(/\.ts$/, ".js")))
    );
    if (missing) {
      throw new Error(`tsc could not build ${missing}: ${error.stdout}`);
    }
  }
  writeFileSync(join(NODE_OUT, "package.json"), '{ "type": "module" }\n');
}

/**
 * Reads `--name value` or `--name=value`.
 *
 * @param {string[]} argv
 * @param {string} name
 * @param {string | undefined} fallback
 * @returns {string | undefined}
 */
export function flag(argv, name, fallback) {
  const at = argv.indexOf(`--${name}`);
  if (at >= 0 && at + 1 < argv.length) return argv[at + 1];
  const inline = argv.find((a) => a.startsWith(`--${name}=`));
  return inline ? inline.slice(name.length + 3) : fallback;
}

/**
 * Parses a comma list of sizes: `64,4096`, `4k,32k,256k,4m`.
 *
 * @param {string} list
 * @returns {number[]} bytes
 */
export function sizes(list) {
  return list.split(",").map((item) => {
    const match = /^(\d+)([kKmM]?)$/.exec(item.trim());
    if (!match) usageError(`not a size: "${item}" (use 64, 4096, 4k or 4m)`);
    const unit = match[2].toLowerCase();
    return Number(match[1]) *
      (unit === "k" ? 1024 : unit === "m" ? 1 << 20 : 1);
  });
}

/**
 * Parses a comma list of positive integers.
 *
 * @param {string} list
 * @param {string} what
 * @returns {number[]}
 */
export function counts(list, what) {
  return list.split(",").map((item) => {
    const n = Number(item.trim());
    if (!Number.isInteger(n) || n < 1) usageError(`not a ${what}: "${item}"`);
    return n;
  });
}

/** Prints a usage error and exits with status 2. */
export function usageError(message) {
  console.error(`${process.argv[1]?.split("/").pop()}: ${message}`);
  process.exit(2);
}

/**
 * The runtimes a `--<name> deno,bun,node` flag names, each checked (a usage
 * error for an unknown one).
 *
 * @param {string[]} argv
 * @param {string} name
 * @param {string} fallback
 * @returns {string[]}
 */
export function runtimesFlag(argv, name, fallback) {
  const runtimes = flag(argv, name, fallback).split(",");
  for (const runtime of runtimes) {
    if (!RUNTIMES[runtime]) {
      usageError(`unknown runtime "${runtime}" (deno, bun or node)`);
    }
  }
  return runtimes;
}

/** `4 KiB`, `4 MiB`, `64 B`. */
export function formatSize(bytes) {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes >> 20} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes >> 10} KiB`;
  return `${bytes} B`;
}

/**
 * Prints a Markdown table's header row and its rule.
 *
 * @param {string[]} columns The column titles.
 */
export function printHeader(columns) {
  console.log(`| ${columns.join(" | ")} |`);
  console.log(`| ${columns.map((h) => "-".repeat(h.length)).join(" | ")} |`);
}

/** Shows a progress line on a terminal (stderr); `""` clears it. */
export function progress(line) {
  if (!process.stderr.isTTY) return;
  process.stderr.write(`\r${line.padEnd(78)}\r`);
}

const live = new Set();
let hooked = false;

/** Kills every benchmark process still running (with its children). */
export function killAll() {
  for (const proc of live) proc.kill("SIGKILL");
}

function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/**
 * A benchmark process: runs `file` on `runtime` in its own process group,
 * reads JSON lines from its stdout, writes command words to its stdin.
 */
export class BenchProcess {
  #child;
  #lines = [];
  #waiters = [];
  #exited = false;
  #exit;
  /** Resolves with the exit code (or signal name) once the process ended. */
  exited;

  /**
   * @param {"deno" | "bun" | "node"} runtime
   * @param {string} file root-relative .ts file
   * @param {string[]} args
   * @param {{ ulimit?: number, gc?: boolean, flags?: string[] }} [options]
   *   raise the open-file limit first; expose the garbage collector; the
   *   runtime's own flags (before the file, after `deno run`)
   */
  constructor(runtime, file, args, options = {}) {
    hookExit();
    let [cmd, argv] = RUNTIMES[runtime](file, args, options.gc);
    const flags = options.flags ?? [];
    argv = runtime === "deno"
      ? [argv[0], ...flags, ...argv.slice(1)]
      : [...flags, ...argv];
    if (options.ulimit) {
      const quoted = [cmd, ...argv].map((a) =>
        `'${a.replaceAll("'", "'\\''")}'`
      );
      argv = ["-c", `ulimit -n ${options.ulimit} && exec ${quoted.join(" ")}`];
      cmd = "bash";
    }
    this.name = `${runtime} ${file} ${args.join(" ")}`;
    this.#child = spawn(cmd, argv, {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "inherit"],
      detached: true,
      env: {
        ...process.env,
        DENO_NO_UPDATE_CHECK: "1",
        DENO_NO_PROMPT: "1",
        DO_NOT_TRACK: "1",
      },
    });
    live.add(this);
    this.exited = new Promise((resolve) => this.#exit = resolve);
    let buffered = "";
    this.#child.stdout.setEncoding("utf8");
    this.#child.stdout.on("data", (chunk) => {
      buffered += chunk;
      for (
        let at = buffered.indexOf("\n");
        at >= 0;
        at = buffered.indexOf("\n")
      ) {
        const line = buffered.slice(0, at).trim();
        buffered = buffered.slice(at + 1);
        if (!line.startsWith("{")) continue;
        let message;
        try {
          message = JSON.parse(line);
        } catch {
          continue;
        }
        const waiter = this.#waiters.shift();
        if (waiter) waiter.resolve(message);
        else this.#lines.push(message);
      }
    });
    this.#child.stdin.on("error", () => {});
    this.#child.on("error", (error) => this.#end(error.message));
    this.#child.on("exit", (code, signal) => this.#end(signal ?? code));
  }

  #end(status) {
    if (this.#exited) return;
    this.#exited = true;
    live.delete(this);
    this.kill("SIGKILL"); // whatever it started
    for (const waiter of this.#waiters.splice(0)) {
      waiter.reject(
        new Error(`${this.name}: exited (${status}) before answering`),
      );
    }
    this.#exit(status);
  }

  /**
   * Waits for the next JSON line.
   *
   * @param {number} seconds how long to wait
   * @returns {Promise<Record<string, unknown>>}
   */
  next(seconds) {
    if (this.#lines.length > 0) {
      const message = this.#lines.shift();
      return message.error === undefined
        ? Promise.resolve(message)
        : Promise.reject(new Error(String(message.error)));
    }
    if (this.#exited) {
      return Promise.reject(new Error(`${this.name}: exited before answering`));
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (message) => {
          clearTimeout(timer);
          message.error === undefined
            ? resolve(message)
            : reject(new Error(String(message.error)));
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`${this.name}: no answer within ${seconds} s`));
      }, seconds * 1000);
      this.#waiters.push(waiter);
    });
  }

  /** The process id of the runtime (or of the shell that runs it). */
  get pid() {
    return this.#child.pid;
  }

  /** Sends a command word. */
  send(word) {
    if (!this.#exited) this.#child.stdin.write(`${word}\n`);
  }

  /** Asks the process to exit; kills it if it has not after `seconds`. */
  async stop(seconds = 3) {
    this.send("exit");
    this.#child.stdin.end();
    const timer = setTimeout(() => this.kill("SIGKILL"), seconds * 1000);
    await this.exited;
    clearTimeout(timer);
  }

  /** Signals the process group. */
  kill(signal) {
    try {
      process.kill(-this.#child.pid, signal);
    } catch { /* gone */ }
  }
}

/**
 * The open-file limits of processes started from here.
 *
 * @returns {{ soft: number, hard: number }}
 */
export function fileLimits() {
  const out = execFileSync("bash", ["-c", "ulimit -Sn; ulimit -Hn"], {
    encoding: "utf8",
  }).trim().split("\n");
  const parse = (v) => v === "unlimited" ? Infinity : Number(v);
  return { soft: parse(out[0]), hard: parse(out[1]) };
}

/**
 * The commit the benchmark runs, and whether the core or the adapters differ
 * from it.
 *
 * @returns {string} like `e04d25f` or `e04d25f + uncommitted changes`
 */
export function describeCommit() {
  try {
    const git = (...args) =>
      execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
    const head = git("rev-parse", "--short", "HEAD");
    const dirty = git(
      "status",
      "--porcelain",
      "--",
      "mod.ts",
      "src",
      "adapters",
    );
    return dirty ? `${head} + uncommitted changes` : head;
  } catch {
    return "unknown commit";
  }
}

/**
 * The machine and runtime versions, for the header of a table.
 *
 * @param {string[]} runtimes
 * @returns {string}
 */
export function describeMachine(runtimes) {
  const version = (runtime) => {
    if (runtime === "node") return `Node ${process.version}`;
    try {
      const out = execFileSync(join(BIN, runtime), ["--version"], {
        encoding: "utf8",
      });
      return runtime === "deno"
        ? out.split("\n")[0].replace("deno", "Deno")
        : `Bun ${out.trim()}`;
    } catch {
      return runtime;
    }
  };
  const cpu = cpus();
  return `${cpu.length} CPUs (${cpu[0]?.model.trim() ?? "unknown"}), ${
    [...new Set(runtimes)].map(version).join(", ")
  }`;
}
