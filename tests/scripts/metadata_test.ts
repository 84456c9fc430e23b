/**
 * scripts/_metadata.mjs: package.json, deno.json and docs/install.md must
 * agree on the peers' version ranges, the version and the license; the
 * repository's own files do.
 *
 * @module
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  inCaretRange,
  metadataProblems,
  repositoryMetadataProblems,
} from "../../scripts/_metadata.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Metadata that agrees; each test spoils one part of a copy. */
function agreeing() {
  return {
    pkg: {
      version: "0.1.0",
      license: "Apache-2.0",
      description: "d",
      keywords: ["rpc"],
      homepage: "https://example.com/x#readme",
      repository: { type: "git", url: "git+https://example.com/x.git" },
      bugs: { url: "https://example.com/x/issues" },
      peerDependencies: {
        msgpackr: "^1.10.0 || ^2.0.0",
        "@bufbuild/protobuf": "^2.0.0",
      } as Record<string, string>,
    },
    deno: {
      version: "0.1.0",
      license: "Apache-2.0",
      imports: {
        listenrain: "./mod.ts",
        msgpackr: "npm:msgpackr@^2.0.0",
        "@bufbuild/protobuf": "npm:@bufbuild/protobuf@^2.0.0",
        "@bufbuild/protobuf/": "npm:/@bufbuild/protobuf@^2.0.0/",
      } as Record<string, string>,
    },
    installDoc: [
      "| `listenrain/codecs/msgpack`  | `msgpackr` | `^1.10.0 \\|\\| ^2.0.0` |",
      "| `listenrain/codecs/protobuf` | `@bufbuild/protobuf` | `^2.0.0` |",
    ].join("\n"),
    installed: (name: string) =>
      ({ msgpackr: "2.1.3", "@bufbuild/protobuf": "2.17.0" })[name],
  };
}

test("the repository's package.json, deno.json and docs/install.md agree", () => {
  assert.deepEqual(repositoryMetadataProblems(ROOT), []);
});

test("agreeing metadata has no problem; a union peer range pairs with its newest part in deno.json", () => {
  assert.deepEqual(metadataProblems(agreeing()), []);
});

test("a peer range that deno.json's import does not say is reported (the msgpackr case of issue 13)", () => {
  const sources = agreeing();
  sources.deno.imports.msgpackr = "npm:msgpackr@^2.1.3";
  const problems = metadataProblems(sources);
  assert.equal(problems.length, 1);
  assert.match(problems[0], /"msgpackr" is "npm:msgpackr@\^2\.1\.3"/);
  assert.match(
    problems[0],
    /"\^1\.10\.0 \|\| \^2\.0\.0" means "npm:msgpackr@\^2\.0\.0"/,
  );
});

test("a subpath import with another range is reported", () => {
  const sources = agreeing();
  sources.deno.imports["@bufbuild/protobuf/"] =
    "npm:/@bufbuild/protobuf@^2.17.0/";
  assert.match(metadataProblems(sources).join("\n"), /"@bufbuild\/protobuf\/"/);
});

test("an npm import of deno.json that is no peer is reported, and so is a peer deno.json lacks", () => {
  const sources = agreeing();
  sources.deno.imports["cbor-x"] = "npm:cbor-x@^1.6.0";
  delete sources.deno.imports["@bufbuild/protobuf"];
  const text = metadataProblems(sources).join("\n");
  assert.match(
    text,
    /npm package cbor-x, which is not in package\.json's peerDependencies/,
  );
  assert.match(text, /imports "@bufbuild\/protobuf" is undefined/);
});

test("a tested library version outside the peer range is reported", () => {
  const sources = agreeing();
  sources.installed = () => "3.0.0";
  assert.equal(
    metadataProblems(sources).filter((p) => /outside/.test(p)).length,
    2,
  );
});

test("docs/install.md must state each peer range", () => {
  const sources = agreeing();
  sources.installDoc = sources.installDoc.replace(
    "`@bufbuild/protobuf` | `^2.0.0`",
    "`@bufbuild/protobuf` | `^2.17.0`",
  );
  assert.deepEqual(metadataProblems(sources), [
    "docs/install.md's table does not give @bufbuild/protobuf `^2.0.0`",
  ]);
});

test("version, license and the package.json links must be there and agree", () => {
  const sources = agreeing();
  sources.deno.version = "0.2.0";
  sources.deno.license = "MIT";
  const pkg: Record<string, unknown> = sources.pkg;
  delete pkg.repository;
  delete pkg.bugs;
  pkg.homepage = "";
  assert.deepEqual(metadataProblems(sources), [
    "version: package.json 0.1.0, deno.json 0.2.0",
    "license: package.json Apache-2.0, deno.json MIT",
    "package.json has no homepage",
    "package.json has no repository.url",
    "package.json has no bugs.url",
  ]);
});

test("inCaretRange reads unions of caret ranges as npm does", () => {
  assert.equal(inCaretRange("1.10.0", "^1.10.0 || ^2.0.0"), true);
  assert.equal(inCaretRange("1.12.1", "^1.10.0 || ^2.0.0"), true);
  assert.equal(inCaretRange("2.1.3", "^1.10.0 || ^2.0.0"), true);
  assert.equal(inCaretRange("1.9.9", "^1.10.0 || ^2.0.0"), false);
  assert.equal(inCaretRange("3.0.0", "^1.10.0 || ^2.0.0"), false);
  assert.equal(inCaretRange("0.2.5", "^0.2.3"), true);
  assert.equal(inCaretRange("0.3.0", "^0.2.3"), false);
  assert.equal(inCaretRange("0.0.4", "^0.0.3"), false);
  assert.throws(() => inCaretRange("1.0.0", ">=1.0.0"), /only \^x\.y\.z/);
});
