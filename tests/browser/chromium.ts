/**
 * The browser demo (examples/browser/) in a real browser: headless Chromium
 * (Debian's `chromium`, driven by playwright-core) loads the page from the
 * demo server on 127.0.0.1 and, through listenrain bundled for the browser,
 * checks that the page shows a reply and a push, that 1,000 concurrent
 * requests are answered out of order and each matched, that a 4 MiB payload
 * comes back byte-exact, that an oversized WebSocket message is refused with
 * MessageTooLargeError, and that the page's client reconnects after the
 * server restarts.
 *
 * Not a `*_test.ts` file: only the `browser` step of scripts/test.mjs runs
 * it, under Node (`node --import tsx --test tests/browser/chromium.ts`).
 * Without Chromium (`/usr/bin/chromium`, or `LISTENRAIN_CHROMIUM`) it is
 * skipped and says why; `.ci/run` installs it.
 *
 * @module
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { type Demo, startDemo } from "../../examples/browser/server.ts";

const EXECUTABLE = process.env.LISTENRAIN_CHROMIUM ?? "/usr/bin/chromium";
/** The flags that work on a machine with no outside network, as root. */
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const MiB = 1024 * 1024;
const TICK_MS = 100;

const skip = existsSync(EXECUTABLE) ? false : `${EXECUTABLE} not found: ` +
  "install Debian's chromium (apt-get install -y chromium) or set LISTENRAIN_CHROMIUM";
if (skip) console.log(`browser: skipped: ${skip}`);

/** Polls `probe` until it returns true, for at most `ms`. */
async function until(
  probe: () => Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) assert.fail(`waited ${ms} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the browser demo in headless Chromium", { skip }, () => {
  let demo: Demo;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const pageErrors: string[] = [];
  /** Runs `checks.<call>` in the page (tests/browser/_checks.js). */
  // deno-lint-ignore no-explicit-any
  const check = (call: string): Promise<any> => page.evaluate(`checks.${call}`);

  before(async () => {
    demo = await startDemo({ tickMs: TICK_MS });
    profile = mkdtempSync(join(tmpdir(), "listenrain-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: EXECUTABLE,
      headless: true,
      args: ARGS,
      timeout: 60_000,
    });
    page = context.pages()[0] ?? await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(String(error)));
  }, { timeout: 90_000 });

  after(async () => {
    await context?.close();
    await demo?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  }, { timeout: 30_000 });

  it("the page shows the reply to hello and a pushed tick", {
    timeout: 60_000,
  }, async () => {
    await page.goto(`${demo.origin}/`);
    await page.waitForFunction(
      `document.getElementById("reply").textContent === "hello, browser"`,
      undefined,
      { timeout: 30_000 },
    );
    await page.waitForFunction(
      `document.getElementById("push").textContent.startsWith("tick ")`,
      undefined,
      { timeout: 30_000 },
    );
    assert.equal(await page.textContent("#error"), "");
    await page.addScriptTag({
      type: "module",
      content: readFileSync(new URL("_checks.js", import.meta.url), "utf8"),
    });
    await page.waitForFunction("globalThis.checks !== undefined", undefined, {
      timeout: 30_000,
    });
  });

  it("1,000 concurrent requests are answered, out of order, each matched", {
    timeout: 60_000,
  }, async () => {
    const result = await check("concurrent(1000)");
    assert.deepEqual(result, {
      replies: 1000,
      mismatched: 0,
      distinct: 1000,
      inOrder: false, // "double" waits (n * 7919) % 20 ms: order changes
    });
  });

  it("a 4 MiB payload comes back byte-exact", { timeout: 60_000 }, async () => {
    assert.deepEqual(await check(`payload(${4 * MiB})`), {
      length: 4 * MiB,
      firstDifference: -1,
    });
  });

  it(
    "a message over the server's maxMessageSize is refused with MessageTooLargeError",
    {
      timeout: 60_000,
    },
    async () => {
      // The server takes messages of up to 1 MiB (the default) and grants a
      // window of 4 MiB; this client sends up to 4 MiB per message, so its
      // 2 MiB request goes in messages over 1 MiB. The request fails with the
      // connection, whose cause is the refusal.
      assert.deepEqual(await check(`oversized(${2 * MiB}, ${4 * MiB})`), {
        refused: true,
        name: "ConnectionClosedError",
        closed: true,
        cause: "MessageTooLargeError",
        tooLarge: true,
        code: "ERR_MESSAGE_TOO_LARGE",
      });
    },
  );

  it("the page's client reconnects after the server restarts", {
    timeout: 90_000,
  }, async () => {
    assert.equal(await check(`hello("before")`), "hello, before");
    const port = demo.port;
    await demo.close(); // closes every connection: the page's too
    const ticksWhileDown: number = await check("ticks()");
    demo = await startDemo({ port, tickMs: TICK_MS });
    assert.equal(await check(`hello("again")`), "hello, again");
    // Pushes flow again on the new connection.
    await until(
      async () => (await check("ticks()")) > ticksWhileDown,
      30_000,
      "a tick after the restart",
    );
    assert.deepEqual(pageErrors, []);
  });
});
