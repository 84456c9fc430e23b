/**
 * `listenrain/adapters/runtime`: the runtime is named right and its adapter
 * is the one loaded, on each of Deno, Bun and Node.
 *
 * @module
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import {
  detectRuntime,
  loadAdapter,
  type RuntimeName,
} from "../../adapters/runtime.ts";

/** The runtime, told by a different sign than the module's globals. */
function expectedRuntime(): RuntimeName {
  const versions = process.versions as Record<string, string | undefined>;
  if (versions.deno !== undefined) return "deno";
  if (versions.bun !== undefined) return "bun";
  return "node";
}

/** The adapter module of each runtime, imported directly. */
async function importAdapter(runtime: RuntimeName): Promise<unknown> {
  switch (runtime) {
    case "deno":
      return await import("../../adapters/deno.ts");
    case "bun":
      return await import("../../adapters/bun.ts");
    case "node":
      return await import("../../adapters/node.ts");
  }
}

test("detectRuntime names the runtime running the test", () => {
  assert.equal(detectRuntime(), expectedRuntime());
});

test("loadAdapter() loads the running runtime's own adapter module", async () => {
  const runtime = expectedRuntime();
  const adapter = await loadAdapter();
  const direct = await importAdapter(runtime) as typeof adapter;
  assert.equal(adapter.dial, direct.dial);
  assert.equal(adapter.listen, direct.listen);
});

test("loadAdapter(runtime) loads the named adapter", async () => {
  // Node's adapter loads on all three runtimes (Deno and Bun offer node:net).
  const adapter = await loadAdapter("node");
  const direct = await import("../../adapters/node.ts");
  assert.equal(adapter.dial, direct.dial);
  assert.equal(adapter.listen, direct.listen);
});

test("loadAdapter refuses an unknown runtime name", async () => {
  await assert.rejects(
    loadAdapter("browser" as RuntimeName),
    (error: unknown) =>
      error instanceof TypeError &&
      /Unknown runtime "browser"/.test(error.message),
  );
});

test("the loaded adapter connects a client to a server on loopback", {
  timeout: 20_000,
}, async () => {
  const { dial, listen } = await loadAdapter();
  const listener = await listen("tcp://127.0.0.1:0");
  try {
    const served = (async () => {
      for await (const channel of listener) {
        await channel.readable.pipeTo(channel.writable).catch(() => {});
        return;
      }
    })();
    const client = await dial(`tcp://127.0.0.1:${listener.addr.port}`);
    const writer = client.writable.getWriter();
    await writer.write(new TextEncoder().encode("ping"));
    const reader = client.readable.getReader();
    let text = "";
    while (text.length < 4) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    assert.equal(text, "ping");
    client.close();
    await served;
  } finally {
    listener.close();
  }
});
