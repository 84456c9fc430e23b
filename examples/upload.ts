/**
 * Upload with a checksum reply (a client stream): the client reads a file in
 * 16 KiB chunks and streams them to the server's "upload" route, which
 * reads them with `for await`, and answers once with the SHA-256 of what it
 * received (crypto.subtle, the same on every runtime). The client checks it
 * against its own SHA-256 of the file. Chunks go as the stream's credit
 * allows: the client reads the file no faster than the server takes it,
 * with at most the server's window (256 KiB by default, plus one chunk) in
 * flight, however large the file.
 *
 * Run (any runtime; the adapter is picked for it), with a file of yours or a
 * generated one of 1 MiB and a bit:
 *
 * ```sh
 * node --import tsx examples/upload.ts [file]     # or: deno run -A …, bun …
 * ```
 *
 * @module
 */

import { open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { loadAdapter } from "../adapters/runtime.ts";
import { Client, Router, Server } from "../mod.ts";
import { isMain } from "./_main.ts";

const CHUNK = 16 * 1024;

/** The chunks of the file at `path`, read one at a time. */
async function* chunksOf(path: string): AsyncGenerator<Uint8Array> {
  const file = await open(path, "r");
  try {
    for (;;) {
      const chunk = new Uint8Array(CHUNK);
      const { bytesRead } = await file.read(chunk, 0, CHUNK, null);
      if (bytesRead === 0) return;
      yield chunk.subarray(0, bytesRead);
    }
  } finally {
    await file.close();
  }
}

/** SHA-256 as hex. */
async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The chunks as one buffer (crypto.subtle has no incremental hash). */
function concat(chunks: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return all;
}

/**
 * Uploads `path` (or a generated file of 1 MiB + 123 bytes) to a server on a
 * free loopback port.
 *
 * @param log Where the lines go.
 * @param path The file to upload; a generated one if omitted.
 * @returns What was sent, and the two checksums.
 */
export async function main(
  log: (line: string) => void = console.log,
  path?: string,
): Promise<{ bytes: number; chunks: number; sent: string; received: string }> {
  const adapter = await loadAdapter(); // listenrain/adapters/{deno,bun,node}
  let generated: string | undefined;
  if (path === undefined) {
    generated = join(tmpdir(), `listenrain-upload-${crypto.randomUUID()}.bin`);
    const content = new Uint8Array(1024 * 1024 + 123);
    for (let i = 0; i < content.length; i++) content[i] = (i * 31 + 7) & 0xff;
    await writeFile(generated, content);
    path = generated;
  }
  const router = new Router().clientStream(
    "upload",
    async (chunks: AsyncIterable<Uint8Array>) => {
      // A real server would write each chunk to disk as it comes.
      const received: Uint8Array[] = [];
      for await (const chunk of chunks) received.push(chunk);
      const all = concat(received);
      log(`server: ${all.length} bytes in ${received.length} chunks received`);
      return new TextEncoder().encode(await sha256(all));
    },
  );
  const server = new Server({ router }); // raw bytes: the default body codec
  server.serve(await adapter.listen("tcp://127.0.0.1:0"));
  const endpoint = `tcp://127.0.0.1:${server.addrs[0].port}`;
  log(`upload server on ${endpoint}`);

  const client = new Client<typeof router>({
    endpoint,
    dial: (key) => adapter.dial(key.toString()),
  });
  const file = path;
  let bytes = 0;
  let chunks = 0;
  async function* counted() {
    for await (const chunk of chunksOf(file)) {
      bytes += chunk.length;
      chunks++;
      yield chunk;
    }
  }
  try {
    const reply = await client.clientStream("upload", counted());
    const received = new TextDecoder().decode(reply);
    // The client's own checksum of the file, read whole this time.
    const sent = await sha256(new Uint8Array(await readFile(path)));
    log(`upload: ${bytes} bytes in ${chunks} chunk${chunks === 1 ? "" : "s"}`);
    log(
      `upload: sha-256 ${received} (${
        received === sent ? "matches" : "DIFFERS"
      })`,
    );
    return { bytes, chunks, sent, received };
  } finally {
    await client.close();
    await server.close();
    if (generated !== undefined) await rm(generated, { force: true });
  }
}

if (isMain(import.meta)) await main(console.log, process.argv[2]);
