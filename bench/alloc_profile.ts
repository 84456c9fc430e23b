/**
 * Where the bytes of one request come from: V8's sampling heap profile
 * (every object, including those the scavenger collected) of the child of
 * request_garbage_bench.ts, summed by the function that allocated, in bytes
 * per request, listenrain beside the raw echo. The totals match the exact
 * figure of request_garbage_bench.ts to within the sampling error.
 *
 * Node only. Each peer runs in a child process.
 *
 * Run: node --import tsx bench/alloc_profile.ts [parallel] [requests] [top] [body bytes]
 * (defaults 16, 100000, 20, 64; `ASYNC=1` as for request_garbage_bench.ts;
 * `STACKS=1` adds the two callers of each function.)
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(
  new URL("./_request_garbage_child.ts", import.meta.url),
);
const [parallel = "16", requests = "100000", topArg = "20", bodyArg = "64"] =
  process.argv.slice(2);
const top = Number(topArg);

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  callFrame: CallFrame;
  selfSize: number;
  children: ProfileNode[];
}

function where(frame: CallFrame): string {
  const file = frame.url.replace(/^.*\/(src|adapters|bench|node:)/, "$1")
    .replace(/^node:internal\//, "node:");
  const name = frame.functionName || "(anonymous)";
  return frame.url ? `${name} ${file}:${frame.lineNumber + 1}` : name;
}

/** Bytes per request by allocating function (and, with STACKS, callers). */
function profile(peer: string): { total: number; rows: Map<string, number> } {
  const dir = mkdtempSync(join(tmpdir(), "alloc-profile-"));
  const file = join(dir, "profile.json");
  try {
    execFileSync(
      process.execPath,
      [
        ...(process.env.NO_INLINE ? ["--no-turbo-inlining"] : []),
        ...process.execArgv,
        CHILD,
        peer,
        parallel,
        requests,
      ],
      {
        env: { ...process.env, ALLOC_PROFILE: file, BODY: bodyArg },
        stdio: "ignore",
      },
    );
    const { head } = JSON.parse(readFileSync(file, "utf8")) as {
      head: ProfileNode;
    };
    const rows = new Map<string, number>();
    let total = 0;
    const walk = (node: ProfileNode, stack: string[]) => {
      const name = where(node.callFrame);
      if (node.selfSize > 0) {
        const key = process.env.STACKS
          ? [name, ...stack.slice(-2).reverse()].join("\n      ← ")
          : name;
        rows.set(key, (rows.get(key) ?? 0) + node.selfSize);
        total += node.selfSize;
      }
      stack.push(name);
      for (const child of node.children) walk(child, stack);
      stack.pop();
    };
    walk(head, []);
    const count = Number(requests);
    for (const [key, bytes] of rows) rows.set(key, bytes / count);
    return { total: total / count, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `Node ${process.version}: ${requests} requests of ${bodyArg} B, ${parallel} in flight, bytes per request by allocating function`,
);
for (const peer of ["listenrain", "raw"]) {
  const { total, rows } = profile(peer);
  console.log(`\n${peer}: ${total.toFixed(0)} B/req`);
  const sorted = [...rows].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, bytes] of sorted) {
    console.log(`${bytes.toFixed(0).padStart(6)}  ${key}`);
  }
}
