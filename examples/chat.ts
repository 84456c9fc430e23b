/**
 * Chat (a bidirectional stream per member): each client opens one "chat"
 * stream, named by its `user` metadata; what it sends on the stream goes to
 * every other member's stream, and it reads the others' messages on the same
 * stream as they come. When a member's messages end (its source returns),
 * the server says so to the others and ends that member's stream.
 *
 * Each member's mailbox on the server is bounded: a member that stops
 * reading while the others talk is dropped (its stream fails) instead of
 * growing the server's memory; the stream's credit stops at the window, the
 * mailbox at `MAILBOX_LIMIT`.
 *
 * Run (any runtime; the adapter is picked for it):
 *
 * ```sh
 * node --import tsx examples/chat.ts     # or: deno run -A …, bun …
 * ```
 *
 * @module
 */

import { loadAdapter } from "../adapters/runtime.ts";
import { Client, jsonBody, Router, Server } from "../mod.ts";
import { isMain } from "./_main.ts";

/** A chat line: who said what (`from: "server"` for joins and leaves). */
export interface Line {
  from: string;
  text: string;
}

/** At most this many lines wait for one member; past it, it is dropped. */
const MAILBOX_LIMIT = 1000;

/** One member's lines waiting to go out on its stream. */
class Mailbox {
  #lines: Line[] = [];
  #wake: (() => void) | undefined;
  #closed: Error | true | undefined;

  put(line: Line): void {
    if (this.#closed !== undefined) return;
    if (this.#lines.length >= MAILBOX_LIMIT) {
      return this.close(new Error("Too slow: dropped from the chat"));
    }
    this.#lines.push(line);
    this.#poke();
  }

  /** No more lines; `error` fails the member's stream. */
  close(error?: Error): void {
    this.#closed ??= error ?? true;
    this.#poke();
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** The lines, as they come, until closed or `signal` aborts. */
  async *lines(signal: AbortSignal): AsyncGenerator<Line> {
    const abort = () => this.close();
    signal.addEventListener("abort", abort, { once: true });
    try {
      for (;;) {
        while (this.#lines.length > 0) yield this.#lines.shift()!;
        if (this.#closed instanceof Error) throw this.#closed;
        if (this.#closed) return;
        await new Promise<void>((resolve) => this.#wake = resolve);
      }
    } finally {
      signal.removeEventListener("abort", abort);
    }
  }
}

/** The server's router: the "chat" route and its members. */
function chatRouter() {
  const members = new Map<string, Mailbox>();
  const tell = (from: string, line: Line) => {
    for (const [name, mailbox] of members) {
      if (name !== from) mailbox.put(line);
    }
  };
  return new Router().bidiStream(
    "chat",
    async function* (lines: AsyncIterable<Line>, ctx) {
      const name = String(ctx.metadata.get("user") ?? "anonymous");
      if (members.has(name)) throw new Error(`${name} is already here`);
      const mailbox = new Mailbox();
      members.set(name, mailbox);
      mailbox.put({ from: "server", text: `welcome, ${name}` });
      tell(name, { from: "server", text: `${name} joined` });
      // Read this member's lines beside sending it the others'.
      const reading = (async () => {
        try {
          for await (const line of lines) {
            tell(name, { from: name, text: line.text });
          }
        } finally {
          members.delete(name);
          tell(name, { from: "server", text: `${name} left` });
          mailbox.close();
        }
      })();
      reading.catch(() => {}); // a cancel ends both loops
      yield* mailbox.lines(ctx.signal);
      await reading;
    },
  );
}

/**
 * Starts a chat server and three members; each says two lines once all
 * have joined, and leaves once it heard the others' four.
 *
 * @param log Where the lines go.
 * @returns What each member heard from the others, by name.
 */
export async function main(
  log: (line: string) => void = console.log,
): Promise<Record<string, string[]>> {
  const adapter = await loadAdapter(); // listenrain/adapters/{deno,bun,node}
  const router = chatRouter();
  const server = new Server({ router, body: jsonBody });
  server.serve(await adapter.listen("tcp://127.0.0.1:0"));
  const endpoint = `tcp://127.0.0.1:${server.addrs[0].port}`;
  log(`chat server on ${endpoint}`);

  const names = ["ana", "bo", "cy"];
  const says: Record<string, string[]> = {
    ana: ["hi all", "rain today?"],
    bo: ["hello", "bring an umbrella"],
    cy: ["hey", "it's pouring here"],
  };
  const expected = (names.length - 1) * 2;
  let joined = 0;
  let allJoined = () => {};
  const everyone = new Promise<void>((resolve) => allJoined = resolve);
  const heard: Record<string, string[]> = {};
  const clients = names.map(() =>
    new Client<typeof router>({
      endpoint,
      dial: (key) => adapter.dial(key.toString()),
      body: jsonBody,
    })
  );
  await Promise.all(names.map(async (name, i) => {
    heard[name] = [];
    let heardAll = () => {};
    const done = new Promise<void>((resolve) => heardAll = resolve);
    // What this member sends: its lines once everyone is in, then nothing
    // more once it heard the others (which ends its stream).
    async function* outgoing(): AsyncGenerator<Line> {
      await everyone;
      for (const text of says[name]) yield { from: name, text };
      await done;
    }
    const stream = clients[i].bidiStream("chat", outgoing(), {
      metadata: { user: name },
    });
    for await (const line of stream) {
      if (line.from === "server") {
        if (line.text === `welcome, ${name}` && ++joined === names.length) {
          allJoined();
        }
        continue;
      }
      log(`${name} < ${line.from}: ${line.text}`);
      heard[name].push(`${line.from}: ${line.text}`);
      if (heard[name].length === expected) heardAll();
    }
  }));
  const total = Object.values(heard).reduce((n, lines) => n + lines.length, 0);
  const each = names.every((name) => heard[name].length === expected);
  log(
    `chat: ${names.length} members, ${total} lines delivered, ${
      each ? "each heard" : "NOT each heard"
    } the ${expected} of the others`,
  );
  await Promise.all(clients.map((client) => client.close()));
  await server.close();
  return heard;
}

if (isMain(import.meta)) await main();
