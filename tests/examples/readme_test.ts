/**
 * The README and docs/ against the code: docs/limits.md's "Limits and
 * defaults" table against the constants behind the options' `@default` tags,
 * the README's Examples table against examples/, every example against the
 * tests that run it, and every TypeScript code block of README.md and
 * docs/*.md type-checked (`deno check --doc-only`) against the sources, so
 * none of them can drift.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import * as memoryNetwork from "../../src/channel/memory_network.ts";
import * as memoryPipe from "../../src/channel/memory_pipe.ts";
import * as backoff from "../../src/client/backoff.ts";
import * as dialers from "../../src/client/dialers.ts";
import * as executor from "../../src/executor/executor.ts";
import * as lengthPrefixed from "../../src/framing/length_prefixed.ts";
import * as varint from "../../src/framing/varint.ts";
import * as sendQueue from "../../src/queue/send_queue.ts";
import * as serverOptions from "../../src/server/server_options.ts";
import * as transportOptions from "../../src/transport/transport_options.ts";
import * as metadataWire from "../../src/codec/_metadata_wire.ts";
import * as metadata from "../../src/codec/metadata.ts";
import * as dnsResolver from "../../src/resolve/dns_resolver.ts";
import * as endpointGroup from "../../src/client/_endpoint_group.ts";

/** The modules that hold the defaults behind the options' `@default` tags. */
const defaults: Record<string, unknown> = Object.assign(
  {},
  memoryNetwork,
  memoryPipe,
  backoff,
  dialers,
  executor,
  lengthPrefixed,
  varint,
  sendQueue,
  serverOptions,
  transportOptions,
  metadataWire,
  metadata,
  dnsResolver,
  endpointGroup,
);

const root = new URL("../../", import.meta.url);
const read = (path: string): string =>
  readFileSync(new URL(path, root), "utf8");
const readme = read("README.md");
/** The Markdown files whose code blocks are checked: README.md and docs/. */
const markdown = [
  "README.md",
  ...readdirSync(new URL("docs/", root))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`),
];

/** The rows of the markdown table under `## heading` in `file`, as cells. */
function tableRows(file: string, heading: string): string[][] {
  const text = read(file);
  const start = text.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `${file} has no "## ${heading}" section`);
  const end = text.indexOf("\n## ", start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  return section.split("\n")
    .filter((line) => line.startsWith("|") && !/^\|\s*-/.test(line))
    .slice(1) // the header row
    .map((line) => line.slice(1, -1).split("|").map((cell) => cell.trim()));
}

/** Files under `dir` (a URL of a folder), recursively, as paths from the root. */
function walk(dir: URL): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const url = new URL(name, dir);
    if (statSync(url).isDirectory()) {
      out.push(...walk(new URL(`${name}/`, dir)));
    } else out.push(url.pathname.slice(root.pathname.length));
  }
  return out;
}

const number = (text: string): number => Number(text.replace(/_/g, ""));

describe("README and docs/", () => {
  it("docs/limits.md lists every DEFAULT_* and MAX_* constant of the options with its value", () => {
    const rows = new Map(
      tableRows("docs/limits.md", "Limits and defaults").map((cells) => [
        cells[0].replace(/`/g, ""),
        cells[1],
      ]),
    );
    const constants = Object.entries(defaults).filter(([name]) =>
      /^(DEFAULT|MAX)_/.test(name)
    );
    assert.ok(constants.length >= 15, `${constants.length} constants`);
    for (const [name, value] of constants) {
      const cell = rows.get(name);
      assert.ok(cell !== undefined, `${name} is missing from the table`);
      if (typeof value === "number") {
        const shown: string | undefined = /`([\d_.]+)`/.exec(cell)?.[1];
        assert.equal(number(shown ?? "NaN"), value, `${name}: ${cell}`);
      } else {
        // An object of numbers, such as DEFAULT_BACKOFF.
        for (const [key, field] of Object.entries(value as object)) {
          const shown: string | undefined = new RegExp(`${key}: ([\\d_.]+)`)
            .exec(cell)?.[1];
          assert.equal(number(shown ?? "NaN"), field, `${name}.${key}`);
        }
      }
      rows.delete(name);
    }
    assert.deepEqual([...rows.keys()], [], "rows of constants the code lacks");
  });

  it("the README lists every example, and a test runs each one", () => {
    const listed = tableRows("README.md", "Examples").map((cells) =>
      /\]\(examples\/([^)]+?)\/?\)/.exec(cells[0])?.[1]
    );
    const examples = readdirSync(new URL("examples/", root))
      .filter((name) => !name.startsWith("_"))
      .sort();
    assert.deepEqual([...listed].sort(), examples);
    const tests = walk(new URL("tests/", root))
      .filter((path) => path.endsWith(".ts"))
      .map((path) => readFileSync(new URL(path, root), "utf8"))
      .join("\n");
    for (const example of examples) {
      assert.ok(
        tests.includes(`examples/${example}`),
        `no test imports examples/${example}`,
      );
    }
  });

  it("marks a quick start for each runtime (scripts/smoke_npm.mjs runs them)", () => {
    for (const runtime of ["node", "deno", "bun"]) {
      const at = readme.indexOf(`<!-- quickstart:${runtime} -->`);
      assert.ok(at >= 0, `no quick start for ${runtime}`);
      const block = /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
      assert.ok(block?.includes(`listenrain/adapters/${runtime}`), runtime);
      assert.ok(block?.includes('console.log(await client.request("sayhi"')); // prints "hi, rain"
    }
  });

  it("code blocks import listenrain by its package names, never by a path", () => {
    // Besides listenrain and node:, the optional peers of its subpaths
    // (package.json's peerDependencies) by their names.
    const peers = Object.keys(
      JSON.parse(read("package.json")).peerDependencies ?? {},
    );
    for (const file of markdown) {
      const blocks = read(file).matchAll(/```(ts|js)\n([\s\S]*?)```/g);
      for (const [, , code] of blocks) {
        for (const [, from] of code.matchAll(/from "([^"]+)"/g)) {
          assert.ok(
            /^(listenrain(\/.+)?|node:.+)$/.test(from) || peers.includes(from),
            `${file} imports "${from}"`,
          );
        }
      }
    }
  });

  it("every TypeScript code block type-checks (deno check --doc-only)", {
    timeout: 120_000,
  }, () => {
    const result = spawnSync(
      fileURLToPath(new URL("node_modules/.bin/deno", root)),
      ["check", "--quiet", "--doc-only", ...markdown],
      {
        cwd: fileURLToPath(root),
        encoding: "utf8",
        env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
      },
    );
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    assert.ok(markdown.length >= 10, markdown.join(", "));
  });
});
