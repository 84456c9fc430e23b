/**
 * The stream examples through their `main()`, over loopback TCP with this
 * runtime's adapter: examples/log_tail.ts (a server stream the reader
 * cancels), examples/upload.ts (a client stream answered with a SHA-256)
 * and examples/chat.ts (bidirectional streams fanned out to the others).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main as chat } from "../../examples/chat.ts";
import { main as logTail } from "../../examples/log_tail.ts";
import { main as upload } from "../../examples/upload.ts";
import { within } from "../lifecycle/_helpers.ts";

const quiet = () => {};

describe("stream examples: log_tail, upload, chat", () => {
  it(
    "log_tail: the last 3 lines, then each new one in order; a break stops the handler",
    {
      timeout: 30_000,
    },
    async () => {
      const { lines, handlerEnded } = await within(
        20_000,
        "example",
        logTail(quiet),
      );
      assert.equal(lines.length, 12);
      // Starts 3 lines back (5 were written first, more may have come
      // since), then follows without a gap.
      const first = Number(/^line (\d+): /.exec(lines[0])?.[1]);
      assert.ok(first >= 3, lines[0]);
      lines.forEach((line, i) =>
        assert.match(line, new RegExp(`^line ${first + i}: `))
      );
      assert.match(
        handlerEnded,
        /^handler stopped: the reader cancelled after \d+ lines$/,
      );
    },
  );

  it("upload: the server's SHA-256 of the chunks is the file's", {
    timeout: 30_000,
  }, async () => {
    // 100 chunks of 16 KiB and a bit: 1.6 MiB, past the 256 KiB window.
    const path = join(
      tmpdir(),
      `listenrain-upload-test-${crypto.randomUUID()}`,
    );
    const content = new Uint8Array(100 * 16 * 1024 + 5);
    for (let i = 0; i < content.length; i++) content[i] = (i * 7919) >>> 3;
    await writeFile(path, content);
    try {
      const result = await within(20_000, "example", upload(quiet, path));
      assert.equal(result.bytes, content.length);
      assert.equal(result.chunks, 101);
      const expected = Array.from(
        new Uint8Array(await crypto.subtle.digest("SHA-256", content)),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
      assert.equal(result.received, expected);
      assert.equal(result.sent, expected);
    } finally {
      await rm(path, { force: true });
    }
  });

  it("upload: the generated file when none is given", {
    timeout: 30_000,
  }, async () => {
    const result = await within(20_000, "example", upload(quiet));
    assert.equal(result.bytes, 1024 * 1024 + 123);
    assert.equal(result.chunks, 65);
    assert.equal(result.received, result.sent);
  });

  it(
    "chat: every member hears each line of the others, in each sender's order, and not its own",
    {
      timeout: 30_000,
    },
    async () => {
      const heard = await within(20_000, "example", chat(quiet));
      const said: Record<string, string[]> = {
        ana: ["ana: hi all", "ana: rain today?"],
        bo: ["bo: hello", "bo: bring an umbrella"],
        cy: ["cy: hey", "cy: it's pouring here"],
      };
      assert.deepEqual(Object.keys(heard).sort(), ["ana", "bo", "cy"]);
      for (const [name, lines] of Object.entries(heard)) {
        const others = Object.keys(said).filter((other) => other !== name);
        assert.equal(lines.length, 4, `${name}: ${lines.join(" | ")}`);
        for (const other of others) {
          assert.deepEqual(
            lines.filter((line) => line.startsWith(`${other}: `)),
            said[other],
            `${name} heard ${other}`,
          );
        }
      }
    },
  );
});
