// `npm start`: the seed-style benchmark (bench/seed_table.ts) on one runtime,
// in one process: the server in a Worker thread and the client on the main
// thread (`--single-thread`: both on the main thread; `--both`: each cell
// both ways, side by side), printing a table like ListenRain's README with
// the Go library's figures beside it. Deno by default; `npm start --
// --runtime bun|node` picks another. Other flags pass through (--seconds,
// --parallel, --payload, --json). On Node it runs the JavaScript that tsc
// builds, as the npm package ships it (scripts/_bench.mjs).
import { spawnSync } from "node:child_process";
import process from "node:process";
import { ROOT } from "./_files.mjs";
import { buildForNode, RUNTIMES } from "./_bench.mjs";

const args = process.argv.slice(2);
let runtime = "deno";
const at = args.findIndex((a) =>
  a === "--runtime" || a.startsWith("--runtime=")
);
if (at >= 0) {
  runtime = args[at].includes("=") ? args[at].split("=")[1] : args[at + 1];
  args.splice(at, args[at].includes("=") ? 1 : 2);
}
if (!RUNTIMES[runtime]) {
  console.error(`npm start: unknown runtime "${runtime}" (deno, bun or node)`);
  process.exit(2);
}
const script = "bench/seed_table.ts";
if (runtime === "node") buildForNode([script, "bench/_seed_worker.ts"]);
const [command, commandArgs] = RUNTIMES[runtime](script, args);
const result = spawnSync(command, commandArgs, { cwd: ROOT, stdio: "inherit" });
process.exit(result.status ?? 1);
