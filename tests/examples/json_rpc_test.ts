/**
 * The JSON-RPC 2.0 example server (examples/json_rpc/), called over TCP by a
 * plain JSON-RPC client, the `json-rpc-2.0` npm package, that writes one JSON
 * object per line on a raw socket of this runtime's adapter.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { JSONRPCClient, JSONRPCErrorException } from "json-rpc-2.0";
import { loadAdapter } from "../../adapters/runtime.ts";
import { type Channel, Connection, RemoteError } from "../../mod.ts";
import { createMemoryPipe } from "../../testing.ts";
import {
  JSON_RPC_ERRORS,
  JsonRpcCodec,
  type JsonRpcMessage,
} from "../../examples/json_rpc/codec.ts";
import {
  exampleMethods,
  main,
  serveJsonRpc,
} from "../../examples/json_rpc/server.ts";
import { jsonRpcProtocol } from "../../examples/json_rpc/protocol.ts";

/** A raw line-oriented connection: write lines, read lines. */
class LineSocket {
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #lines: string[] = [];
  #waiters: ((line: string | undefined) => void)[] = [];
  #ended = false;
  readonly done: Promise<void>;

  constructor(readonly channel: Channel, onLine?: (line: string) => void) {
    this.#writer = channel.writable.getWriter();
    this.done = (async () => {
      const decoder = new TextDecoder();
      let rest = "";
      try {
        for await (const chunk of channel.readable) {
          rest += decoder.decode(chunk, { stream: true });
          const lines = rest.split("\n");
          rest = lines.pop()!;
          for (const line of lines) {
            if (onLine) onLine(line);
            else this.#push(line);
          }
        }
      } catch { /* closed under us */ }
      this.#ended = true;
      for (const waiter of this.#waiters.splice(0)) waiter(undefined);
    })();
  }

  write(text: string): Promise<void> {
    return this.#writer.write(new TextEncoder().encode(text));
  }

  /** The next line, or undefined once the connection ended. */
  next(): Promise<string | undefined> {
    if (this.#lines.length > 0) return Promise.resolve(this.#lines.shift());
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #push(line: string): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(line);
    else this.#lines.push(line);
  }
}

/** A json-rpc-2.0 client on a raw channel. */
function jsonRpcClient(channel: Channel): {
  client: JSONRPCClient;
  socket: LineSocket;
} {
  // The client writes through the socket, which is made right after it.
  const client: JSONRPCClient = new JSONRPCClient((request) =>
    socket.write(JSON.stringify(request) + "\n")
  );
  const socket = new LineSocket(
    channel,
    (line) => client.receive(JSON.parse(line)),
  );
  return { client, socket };
}

/** Resolves `promise`, or fails the test after `ms`. */
function within<T>(promise: PromiseLike<T>, ms = 5000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    Promise.resolve(promise).finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${ms} ms`)),
        ms,
      );
    }),
  ]);
}

describe("examples/json_rpc: a JSON-RPC 2.0 server over newline-delimited TCP", () => {
  it(
    "answers a json-rpc-2.0 client's requests, notifications and errors over TCP",
    { timeout: 30_000 },
    async () => {
      const lines: string[] = [];
      const server = await main(["0"], (line) => lines.push(line));
      const adapter = await loadAdapter();
      const { client, socket } = jsonRpcClient(await adapter.dial(server.key));
      try {
        assert.match(
          lines[0],
          /^JSON-RPC 2\.0 server on tcp:\/\/127\.0\.0\.1:\d+/,
        );
        assert.equal(await within(client.request("add", [1, 2])), 3);
        assert.equal(
          await within(
            client.request("subtract", { minuend: 42, subtrahend: 23 }),
          ),
          19,
        );
        assert.deepEqual(
          await within(client.request("echo", { nested: ["x", null] })),
          { nested: ["x", null] },
        );
        client.notify("count", undefined);
        client.notify("count", undefined);
        assert.equal(await within(client.request("count", undefined)), 3);

        const missing = await within(client.request("nope", [])).catch((e) =>
          e
        );
        assert.ok(missing instanceof JSONRPCErrorException, String(missing));
        assert.equal(missing.code, JSON_RPC_ERRORS.methodNotFound);
        const invalid = await within(client.request("add", ["x", 1])).catch((
          e,
        ) => e);
        assert.ok(invalid instanceof JSONRPCErrorException);
        assert.equal(invalid.code, JSON_RPC_ERRORS.invalidParams);

        // Many in flight on one connection; the slow one does not block the others.
        const started = Date.now();
        const [slow, ...fast] = await within(Promise.all([
          client.request("sleep", [300]),
          ...Array.from(
            { length: 20 },
            (_, i) => client.request("add", [i, i]),
          ),
        ]));
        assert.equal(slow, 300);
        assert.deepEqual(fast, Array.from({ length: 20 }, (_, i) => 2 * i));
        assert.ok(Date.now() - started < 4000);
      } finally {
        socket.channel.close();
        await server.close();
      }
    },
  );

  it("answers malformed lines with id null and keeps the connection", async () => {
    const server = await main(["0"], () => {});
    const adapter = await loadAdapter();
    const socket = new LineSocket(await adapter.dial(server.key));
    try {
      const ask = async (line: string) => {
        await socket.write(line);
        const answer = await within(socket.next());
        assert.ok(answer !== undefined, "the connection ended");
        return JSON.parse(answer);
      };
      assert.deepEqual(await ask("{oops\n"), {
        jsonrpc: "2.0",
        error: { code: -32700, message: "Parse error" },
        id: null,
      });
      assert.equal((await ask("[1, 2]\n")).error.code, -32600);
      assert.equal((await ask('{"jsonrpc":"1.0","method":"add"}\n')).id, null);
      assert.equal(
        (await ask('{"jsonrpc":"2.0","method":7,"id":1}\n')).id,
        null,
      );
      // Split across writes, with \r\n line ends and blank lines between.
      await socket.write('\n{"jsonrpc":"2.0","method":"ad');
      assert.deepEqual(
        await ask('d","params":[2,3],"id":"s-1"}\r\n'),
        { jsonrpc: "2.0", result: 5, id: "s-1" },
      );
      // A request with a null id gets its answer with a null id.
      assert.deepEqual(
        await ask('{"jsonrpc":"2.0","method":"echo","params":[1],"id":null}\n'),
        { jsonrpc: "2.0", result: [1], id: null },
      );
    } finally {
      socket.channel.close();
      await server.close();
    }
  });

  it("closes the connection on a line over 1 MiB, and only that one", async () => {
    const server = await main(["0"], () => {});
    const adapter = await loadAdapter();
    const victim = new LineSocket(await adapter.dial(server.key));
    const { client, socket } = jsonRpcClient(await adapter.dial(server.key));
    try {
      const big = "x".repeat(64 * 1024);
      // Write until the server hangs up: the line never ends.
      for (let i = 0; i < 20; i++) {
        const written = await within(
          victim.write(big).then(() => true, () => false),
        );
        if (!written) break;
      }
      assert.equal(await within(victim.next(), 10_000), undefined);
      assert.equal(await within(client.request("add", [20, 22])), 42);
    } finally {
      victim.channel.close();
      socket.channel.close();
      await server.close();
    }
  });

  it("JsonRpcCodec maps transport error codes and keeps ids as the client sent them", async () => {
    const codec = new JsonRpcCodec();
    const request = codec.decode(
      new TextEncoder().encode('{"jsonrpc":"2.0","method":"m","id":"7"}'),
    );
    assert.equal(codec.kind(request), "request");
    assert.equal(codec.id(request), "7");
    assert.deepEqual(
      codec.errorReply("7", { code: "UNKNOWN_ROUTE", message: "no" }),
      {
        jsonrpc: "2.0",
        error: { code: -32601, message: "no", data: { code: "UNKNOWN_ROUTE" } },
        id: "7",
      },
    );
    assert.deepEqual(
      (codec.errorReply(1, { code: "-32001", message: "busy" }) as {
        error: unknown;
      }).error,
      { code: -32001, message: "busy" },
    );
    const notify = codec.decode(
      new TextEncoder().encode('{"jsonrpc":"2.0","method":"m"}'),
    );
    assert.equal(codec.kind(notify), "notify");
    assert.equal(codec.id(notify), codec.id(notify), "a stable key");

    // Through the memory pipe: the server side is the same function.
    const [a, b] = createMemoryPipe();
    const server = serveJsonRpc(a, exampleMethods());
    const socket = new LineSocket(b);
    await socket.write(
      '{"jsonrpc":"2.0","method":"add","params":{"a":1,"b":2},"id":9}\n',
    );
    const answer: JsonRpcMessage = JSON.parse((await within(socket.next()))!);
    assert.deepEqual(answer, { jsonrpc: "2.0", result: 3, id: 9 });
    b.close();
    await server.close();
  });

  it(
    "a listenrain Connection speaking jsonRpcProtocol calls the server over TCP",
    {
      timeout: 30_000,
    },
    async () => {
      const server = await main(["0"], () => {});
      const adapter = await loadAdapter();
      const client = new Connection(
        await adapter.dial(server.key),
        { protocol: jsonRpcProtocol(), timeout: 5000 },
      );
      try {
        assert.equal(await client.request("add", [40, 2]), 42);
        await client.notify("count", undefined);
        assert.equal(await client.request("count", undefined), 2);
        const wrong = await client.request("add", ["x", 1]).catch((e) => e);
        assert.ok(wrong instanceof RemoteError, String(wrong));
        assert.equal(wrong.remoteCode, String(JSON_RPC_ERRORS.invalidParams));
        const reserved = await client.request("rpc.discover", []).catch((e) =>
          e
        );
        assert.ok(reserved instanceof RemoteError, String(reserved));
        assert.equal(
          reserved.remoteCode,
          String(JSON_RPC_ERRORS.methodNotFound),
        );
      } finally {
        await client.close();
        await server.close();
      }
    },
  );
});
