/**
 * A JSON-RPC 2.0 server over TCP with newline-delimited framing, built on
 * listenrain's `Connection` and `Router` speaking {@linkcode jsonRpcProtocol}
 * (`JsonRpcCodec` in `DelimitedCodec` lines, the method as the route). Any
 * JSON-RPC client that writes one JSON object per line can call it.
 *
 * Run (any runtime; the adapter is picked for it):
 *
 * ```sh
 * node --import tsx examples/json_rpc/server.ts 9000     # or: deno run -A …, bun …
 * echo '{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}' | nc -q 1 127.0.0.1 9000
 * # {"jsonrpc":"2.0","result":3,"id":1}
 * ```
 *
 * Methods: `add` (`[a, b]` or `{a, b}`), `subtract` (`[minuend, subtrahend]`
 * or `{minuend, subtrahend}`, as in the specification's examples), `echo`,
 * `sleep` (`[ms]`, at most 1000: replies come back in the order they finish,
 * not the order they were asked) and `count` (counts its calls on the
 * connection, notifications included).
 *
 * @module
 */

import process from "node:process";
import { loadAdapter } from "../../adapters/runtime.ts";
import { type Channel, Connection, type Listener, Router } from "../../mod.ts";
import { isMain } from "../_main.ts";
import { JSON_RPC_ERRORS, JsonRpcError, type JsonRpcRequest } from "./codec.ts";
import { jsonRpcProtocol, MAX_LINE } from "./protocol.ts";

export { MAX_LINE } from "./protocol.ts";

/** A method: takes the request's params, returns the result. */
export type JsonRpcMethod = (
  params: JsonRpcRequest["params"],
) => unknown;

/** The example's methods, with per-connection state. */
export function exampleMethods(): Record<string, JsonRpcMethod> {
  let calls = 0;
  return {
    add: (params) => {
      const [a, b] = Array.isArray(params) ? params : [params?.a, params?.b];
      return numbers(a, b).reduce((s, x) => s + x);
    },
    subtract: (params) => {
      const [minuend, subtrahend] = Array.isArray(params)
        ? params
        : [params?.minuend, params?.subtrahend];
      const [m, s] = numbers(minuend, subtrahend);
      return m - s;
    },
    echo: (params) => params ?? null,
    sleep: async (params) => {
      const [ms] = numbers(Array.isArray(params) ? params[0] : params?.ms);
      await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 1000)));
      return ms;
    },
    count: () => ++calls,
  };
}

function numbers(...values: unknown[]): number[] {
  if (!values.every((v) => typeof v === "number" && Number.isFinite(v))) {
    throw new JsonRpcError(
      JSON_RPC_ERRORS.invalidParams,
      "Invalid params: expected numbers",
    );
  }
  return values as number[];
}

/**
 * The router of `methods`: each is a route whose request body is the
 * request's `params` and whose reply body is the `result`.
 *
 * @param methods The methods callers may call.
 * @returns The router.
 */
export function jsonRpcRouter(methods: Record<string, JsonRpcMethod>): Router {
  const router = new Router();
  for (const [name, method] of Object.entries(methods)) {
    router.handle(name, (params: JsonRpcRequest["params"]) => method(params));
  }
  return router;
}

/** The protocol every connection of the example speaks (it keeps no state per connection). */
const protocol = jsonRpcProtocol({ maxLineSize: MAX_LINE });

/**
 * Serves JSON-RPC 2.0 on one channel: a {@linkcode Connection} speaking
 * {@linkcode jsonRpcProtocol} with the router of `methods`. A method that
 * throws a {@linkcode JsonRpcError} answers its code and message; any other
 * error answers -32603 with a message that names only an error id.
 *
 * @param channel The connection.
 * @param methods The methods callers may call.
 * @returns The connection (close it to drop it).
 */
export function serveJsonRpc(
  channel: Channel,
  methods: Record<string, JsonRpcMethod>,
): Connection {
  return new Connection(channel, {
    protocol,
    router: jsonRpcRouter(methods),
    timeout: 0,
  });
}

/** A running server. */
export interface JsonRpcServer {
  /** Where it listens, like `tcp://127.0.0.1:9000`. */
  readonly key: string;
  /** The port it listens on. */
  readonly port: number;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * Listens on `key` with the runtime's adapter and serves the example's
 * methods on every connection.
 *
 * @param key Where to listen, like `tcp://127.0.0.1:0`.
 * @returns The running server.
 */
export async function startJsonRpcServer(key: string): Promise<JsonRpcServer> {
  const adapter = await loadAdapter();
  const listener: Listener = await adapter.listen(key);
  // A connection per accepted channel, each with its own methods (`count`
  // counts per connection), rather than a Server with one router for all.
  const connections = new Set<Connection>();
  const accepting = (async () => {
    for await (const channel of listener) {
      const connection = serveJsonRpc(channel, exampleMethods());
      connections.add(connection);
      connection.closed.then(() => connections.delete(connection));
    }
  })();
  const { hostname, port = 0 } = listener.addr;
  return {
    key: `tcp://${hostname}:${port}`,
    port,
    async close() {
      listener.close();
      await accepting;
      await Promise.all([...connections].map((c) => c.close()));
    },
  };
}

/**
 * Starts the server on `args[0]` (a port, default 9000) and prints how to
 * call it.
 *
 * @param args Command-line arguments.
 * @param log Where output goes.
 * @returns The running server.
 */
export async function main(
  args: readonly string[],
  log: (line: string) => void = console.log,
): Promise<JsonRpcServer> {
  const port = args[0] ?? "9000";
  const server = await startJsonRpcServer(`tcp://127.0.0.1:${port}`);
  log(`JSON-RPC 2.0 server on ${server.key}, one JSON object per line`);
  log(
    `try: echo '{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}' | nc -q 1 127.0.0.1 ${server.port}`,
  );
  return server;
}

if (isMain(import.meta)) await main(process.argv.slice(2));
