/**
 * Reads the code blocks the smoke test runs out of the docs, and runs shell
 * blocks as written: a block counts when it follows a marker comment,
 * `<!-- install:NAME -->` in docs/install.md or `<!-- quickstart:NAME -->`
 * in README.md, so the docs and scripts/smoke_npm.mjs cannot drift apart.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { delimiter, join } from "node:path";
import process from "node:process";
import { ROOT } from "./_files.mjs";

/** The project's own tools (deno, bun, tsc) come first on the PATH. */
const BIN = join(ROOT, "node_modules", ".bin");

/** Quiet, non-interactive runtimes and package managers. */
export const QUIET_ENV = {
  DENO_NO_UPDATE_CHECK: "1",
  DENO_NO_PROMPT: "1",
  DO_NOT_TRACK: "1",
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_loglevel: "error",
  npm_config_update_notifier: "false",
};

/**
 * The code block that follows `<!-- KIND:NAME -->` in `text`.
 *
 * @param {string} text the Markdown
 * @param {string} marker like `install:node`
 * @param {string} source the file's name, for errors
 * @returns {string} the block's content
 */
export function markedBlock(text, marker, source) {
  const comment = `<!-- ${marker} -->`;
  const at = text.indexOf(comment);
  if (at < 0) throw new Error(`${source} has no ${comment} marker`);
  const block = /```[a-z]*\n([\s\S]*?)```/.exec(
    text.slice(at + comment.length),
  );
  if (!block) throw new Error(`${source} has no code block after ${comment}`);
  return block[1];
}

/**
 * Runs a shell block of the docs in `cwd` with `sh -e`, so that it stops at
 * the first failing command; throws when it fails or runs over `timeoutMs`.
 *
 * @param {string} what the step, for the log
 * @param {string} script the block
 * @param {string} cwd
 * @param {number} timeoutMs
 */
export function runShell(what, script, cwd, timeoutMs) {
  console.log(`smoke: ${what}`);
  console.log(script.trimEnd().replace(/^/gm, "  $ "));
  const result = spawnSync("sh", ["-e", "-c", script], {
    cwd,
    stdio: "inherit",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
    env: {
      ...process.env,
      ...QUIET_ENV,
      PATH: `${BIN}${delimiter}${process.env.PATH ?? ""}`,
    },
  });
  if (result.status !== 0) {
    throw new Error(
      `${what} failed (${
        result.error?.message ?? result.signal ?? `exit ${result.status}`
      })`,
    );
  }
}
