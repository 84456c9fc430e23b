/**
 * The examples as the README runs them: one command each, in a child process
 * of this runtime (`node --import tsx examples/x.ts`, `deno run -A
 * examples/x.ts` or `bun examples/x.ts`), which must finish by itself with
 * exit code 0 and print its expected line. (The servers that run until
 * stopped, `json_rpc/server.ts` and `listenrain_go/main.ts serve`, are tested
 * through their `main()` in json_rpc_test.ts and listenrain_go_test.ts.)
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { detectRuntime, scriptCommand } from "../../bench/_runtime.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const RUNTIME = detectRuntime();

/** Runs `file` with `args`; resolves with its output once it exits 0. */
function run(file: string, args: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const [cmd, cmdArgs] = scriptCommand(file, args);
    const child = spawn(cmd, cmdArgs, {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    });
    let output = "";
    child.stdout!.on("data", (chunk) => output += chunk);
    child.stderr!.on("data", (chunk) => output += chunk);
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${file} did not finish within 30 s:\n${output}`));
    }, 30_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${file} exited with ${code}:\n${output}`));
    });
  });
}

/** Each example, its arguments, and a line it prints. */
const EXAMPLES: [file: string, args: string[], expected: RegExp][] = [
  ["examples/echo.ts", [], /^4 replies over 1 connection$/m],
  ["examples/sayhi.ts", [], /^request: hi, rain \(#1\)$/m],
  ["examples/push_on_timer.ts", [], /^received: \d+, \d+$/m],
  ["examples/max_connections.ts", [], /^cid: refused: .*maxConnections 2/m],
  [
    "examples/idle_cleanup.ts",
    [],
    /^server stats: accepted 2, idleClosed 1$/m,
  ],
  [
    "examples/graceful_shutdown.ts",
    [],
    /^client: replies 1, 4, 9, 16, 25$/m,
  ],
  ["examples/protobuf.ts", [], /^hello: hi, rain /m],
  ["examples/msgpack.ts", [], /^upload: roof-1 /m],
  [
    "examples/log_tail.ts",
    [],
    /^tail: handler stopped: the reader cancelled after \d+ lines$/m,
  ],
  ["examples/upload.ts", [], /^upload: sha-256 [0-9a-f]{64} \(matches\)$/m],
  [
    "examples/chat.ts",
    [],
    /^chat: 3 members, 12 lines delivered, each heard the 4 of the others$/m,
  ],
  ["examples/listenrain_go/main.ts", [], /^replies: \["hello","rain"\]$/m],
  // Port 0, serve for 0.2 s, with the debug log on.
  [
    "examples/prometheus.ts",
    ["0", "0.2", "--debug"],
    /^listenrain_requests_received_total\{listenrain_role="server"\} 6$/m,
  ],
];

describe(`examples run as commands (${RUNTIME})`, () => {
  for (const [file, args, expected] of EXAMPLES) {
    it(`${[file, ...args].join(" ")} finishes and prints ${expected}`, {
      timeout: 60_000,
    }, async () => {
      const output = await run(file, args);
      assert.match(output, expected);
      if (file.endsWith("prometheus.ts")) {
        assert.match(output, /listenrain: server listening on tcp:\/\//, "log");
      }
    });
  }
});
