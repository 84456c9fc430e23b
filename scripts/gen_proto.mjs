/**
 * Regenerates proto/gen/ from proto/**\/*.proto: Buf (`@bufbuild/buf`, from
 * node_modules) lints the module and runs `protoc-gen-es`
 * (`@bufbuild/protoc-gen-es`, from node_modules/.bin) as configured in
 * proto/buf.gen.yaml, then `deno fmt` formats the output so that
 * `npm test`'s format check passes on it. Commit the result.
 *
 * Usage: node scripts/gen_proto.mjs            regenerate
 *        node scripts/gen_proto.mjs --check    fail if proto/gen/ is stale
 *                                              (generates into a scratch copy)
 *
 * Everything runs offline: Buf needs no network for local plugins.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, relative, sep } from "node:path";
import process from "node:process";
import { ROOT, walk } from "./_files.mjs";

const BIN = join(ROOT, "node_modules", ".bin");
const env = {
  ...process.env,
  PATH: `${BIN}${delimiter}${process.env.PATH ?? ""}`,
  DENO_NO_UPDATE_CHECK: "1",
};

/** Runs a command in `cwd`; throws when it fails. */
function run(cmd, args, cwd) {
  const result = spawnSync(cmd, args, { cwd, env, stdio: "inherit" });
  if (result.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed (${
        result.error?.message ?? `exit ${result.status}`
      })`,
    );
  }
}

/** The generated files under `gen` and their contents, by relative path. */
function snapshot(gen) {
  const dir = relative(ROOT, gen).split(sep).join("/");
  return new Map(
    walk(dir, (path) => path.endsWith(".ts")).map((path) => [
      path.slice(dir.length + 1),
      readFileSync(join(ROOT, path), "utf8"),
    ]),
  );
}

/** Lints and generates in `proto` (a copy of proto/ for --check). */
function generate(proto) {
  run(join(BIN, "buf"), ["lint"], proto);
  run(join(BIN, "buf"), ["generate"], proto);
  const config = join(ROOT, "deno.json");
  run(join(BIN, "deno"), [
    "fmt",
    "--quiet",
    "--config",
    config,
    join(proto, "gen"),
  ], ROOT);
  return snapshot(join(proto, "gen"));
}

try {
  if (process.argv.includes("--check")) {
    // Generate into a scratch copy and compare; proto/gen/ is left alone.
    const scratch = mkdtempSync(join(tmpdir(), "listenrain-proto-"));
    try {
      cpSync(join(ROOT, "proto"), scratch, { recursive: true });
      rmSync(join(scratch, "gen"), { recursive: true, force: true });
      const fresh = generate(scratch);
      const committed = snapshot(join(ROOT, "proto", "gen"));
      const stale = [...new Set([...fresh.keys(), ...committed.keys()])]
        .filter((path) => fresh.get(path) !== committed.get(path));
      if (stale.length > 0) {
        console.error(
          `gen_proto: proto/gen/ is stale (${stale.join(", ")}); ` +
            "run node scripts/gen_proto.mjs",
        );
        process.exitCode = 1;
      } else {
        console.log(
          `gen_proto: proto/gen/ is up to date (${fresh.size} files)`,
        );
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  } else {
    const files = generate(join(ROOT, "proto"));
    console.log(`gen_proto: generated ${[...files.keys()].join(", ")}`);
  }
} catch (error) {
  console.error(`gen_proto: ${error.message}`);
  process.exitCode = 1;
}
