/**
 * A JSON-RPC 2.0 server over TCP with newline-delimited framing, built on
 * listenrain's generic `Transport` with `JsonRpcCodec` and `DelimitedCodec`.
 * Any JSON-RPC client that writes one JSON object per line can call it.
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
import type { Channel, Listener } from "../../src/channel/channel.ts";
import { DelimitedCodec } from "../../src/framing/delimited.ts";
import { Transport } from "../../src/transport/transport.ts";
import { isMain } from "../_main.ts";
import {
  JSON_RPC_ERRORS,
  JsonRpcCodec,
  JsonRpcError,
  type JsonRpcErrorObject,
  type JsonRpcMessage,
  type JsonRpcRequest,
} from "./codec.ts";

/** A method: takes the request's params, returns the result. */
export type JsonRpcMethod = (
  params: JsonRpcRequest["params"],
) => unknown;

/** The longest line the server reads: 1 MiB. */
export const MAX_LINE = 1024 * 1024;

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
 * Serves JSON-RPC 2.0 on one channel.
 *
 * @param channel The connection.
 * @param methods The methods callers may call.
 * @returns The transport (close it to drop the connection).
 */
export function serveJsonRpc(
  channel: Channel,
  methods: Record<string, JsonRpcMethod>,
): Transport<JsonRpcMessage> {
  const codec = new JsonRpcCodec();
  return new Transport<JsonRpcMessage>(channel, {
    codec,
    packetCodec: new DelimitedCodec({
      maxFrameSize: MAX_LINE,
      skipEmpty: true,
    }),
    timeout: 0,
    handler: async (message) => {
      const request = message as JsonRpcRequest;
      const invalid = codec.invalidError(message);
      if (invalid) return failure(invalid);
      // Names that start with "rpc." are reserved by the specification.
      const method = Object.hasOwn(methods, request.method) &&
          !request.method.startsWith("rpc.")
        ? methods[request.method]
        : undefined;
      if (method === undefined) {
        return failure({
          code: JSON_RPC_ERRORS.methodNotFound,
          message: `Method not found: ${request.method}`,
        });
      }
      try {
        const result = await method(request.params);
        return { jsonrpc: "2.0", result: result ?? null, id: null };
      } catch (error) {
        if (error instanceof JsonRpcError) {
          const { code, message, data } = error;
          return failure(
            data === undefined ? { code, message } : { code, message, data },
          );
        }
        return failure({
          code: JSON_RPC_ERRORS.internalError,
          message: `Internal error: ${(error as Error)?.message ?? error}`,
        });
      }
    },
  });
}

/** An error response; the transport sets its id. */
function failure(error: JsonRpcErrorObject): JsonRpcMessage {
  return { jsonrpc: "2.0", error, id: null };
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
  const transports = new Set<Transport<JsonRpcMessage>>();
  const accepting = (async () => {
    for await (const channel of listener) {
      const transport = serveJsonRpc(channel, exampleMethods());
      transports.add(transport);
      transport.closed.then(() => transports.delete(transport));
    }
  })();
  const { hostname, port = 0 } = listener.addr;
  return {
    key: `tcp://${hostname}:${port}`,
    port,
    async close() {
      listener.close();
      await accepting;
      await Promise.all([...transports].map((t) => t.close()));
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
