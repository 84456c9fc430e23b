/**
 * Log tail (a server stream, like `tail -n 3 -f`): the server keeps a log
 * that a timer appends to; its "tail" route is an `async function*` that
 * yields the last lines, then each new line as it is written, until the
 * reader goes away. The client reads a dozen lines and `break`s out of its
 * `for await`: that cancels the stream on both sides, and the handler sees
 * its `ctx.signal` abort and stops waiting for lines.
 *
 * Run (any runtime; the adapter is picked for it):
 *
 * ```sh
 * node --import tsx examples/log_tail.ts     # or: deno run -A …, bun …
 * ```
 *
 * @module
 */

import { loadAdapter } from "../adapters/runtime.ts";
import { Client, jsonBody, Router, Server } from "../mod.ts";
import { isMain } from "./_main.ts";

/** An append-only log whose readers can wait for the next line. */
class Log {
  readonly lines: string[] = [];
  #waiting: (() => void)[] = [];

  append(line: string): void {
    this.lines.push(line);
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const wake of waiting) wake();
  }

  /** Resolves once a line was appended, or when `signal` aborts. */
  changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const wake = () => {
        signal.removeEventListener("abort", wake);
        resolve();
      };
      this.#waiting.push(wake);
      signal.addEventListener("abort", wake, { once: true });
    });
  }
}

/** The "tail" request: how many of the last lines to start with. */
interface TailRequest {
  last: number;
}

/**
 * Starts a server whose log grows every 10 ms, tails it, and stops reading
 * after 12 lines.
 *
 * @param log Where the lines go.
 * @returns The lines read, and how the server's handler ended.
 */
export async function main(
  log: (line: string) => void = console.log,
): Promise<{ lines: string[]; handlerEnded: string }> {
  const adapter = await loadAdapter(); // listenrain/adapters/{deno,bun,node}
  const book = new Log();
  for (let i = 1; i <= 5; i++) book.append(`line ${i}: started`);
  let handlerEnded = "";
  let tailEnded = () => {};
  const ended = new Promise<void>((resolve) => tailEnded = resolve);
  const router = new Router().serverStream(
    "tail",
    async function* (request: TailRequest, ctx) {
      let next = Math.max(0, book.lines.length - request.last);
      let sent = 0;
      try {
        while (!ctx.signal.aborted) {
          // Every line not sent yet; the stream's credit paces a slow reader.
          while (next < book.lines.length) {
            yield book.lines[next++];
            sent++;
          }
          await book.changed(ctx.signal);
        }
      } finally {
        // Reached when the reader cancels: the loop sees the signal, or the
        // pending `yield` returns.
        handlerEnded = ctx.signal.aborted
          ? `handler stopped: the reader cancelled after ${sent} lines`
          : "handler ended";
        tailEnded();
      }
    },
  );
  const server = new Server({ router, body: jsonBody });
  server.serve(await adapter.listen("tcp://127.0.0.1:0"));
  const endpoint = `tcp://127.0.0.1:${server.addrs[0].port}`;
  log(`log server on ${endpoint}`);
  let written = book.lines.length;
  const writer = setInterval(
    () => book.append(`line ${++written}: request served`),
    10,
  );

  const client = new Client<typeof router>({
    endpoint,
    dial: (key) => adapter.dial(key.toString()),
    body: jsonBody,
  });
  const lines: string[] = [];
  for await (const line of client.serverStream("tail", { last: 3 })) {
    log(`tail: ${line}`);
    lines.push(line);
    if (lines.length === 12) break; // cancels the stream on both sides
  }
  await ended; // the handler saw ctx.signal abort
  log(`tail: ${handlerEnded}`);
  clearInterval(writer);
  await client.close();
  await server.close();
  return { lines, handlerEnded };
}

if (isMain(import.meta)) await main();
