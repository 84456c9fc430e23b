// `npm start`: the seed-style benchmark (bench/seed_table.ts) on one runtime:
// a server and a client in one process over loopback TCP, printing a table
// like ListenRain's README. Deno by default; `npm start -- --runtime bun|node`
// picks another. Other flags pass through (--seconds, --parallel, --payload,
// --json).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name) => `${root}node_modules/.bin/${name}`;
const args = process.argv.slice(2);
let runtime = "deno";
const at = args.findIndex((a) =>
  a === "--runtime" || a.startsWith("--runtime=")
);
if (at >= 0) {
  runtime = args[at].includes("=") ? args[at].split("=")[1] : args[at + 1];
  args.splice(at, args[at].includes("=") ? 1 : 2);
}
const script = "bench/seed_table.ts";
const commands = {
  deno: [bin("deno"), ["run", "-A", script, ...args]],
  bun: [bin("bun"), [script, ...args]],
  node: [process.execPath, ["--import", "tsx", script, ...args]],
};
if (!commands[runtime]) {
  console.error(`npm start: unknown runtime "${runtime}" (deno, bun or node)`);
  process.exit(2);
}
const [command, commandArgs] = commands[runtime];
const result = spawnSync(command, commandArgs, { cwd: root, stdio: "inherit" });
process.exit(result.status ?? 1);
