/**
 * JSON-RPC 2.0 as a listenrain {@linkcode Protocol}: the route of a request
 * is its `method`, its body the `params`, and a reply's body the `result`.
 * Messages are JSON values, not bytes, so the body codec is not used. With
 * it, a `Connection`, `Server` or `Client` and a `Router` speak JSON-RPC:
 *
 * - A handler's result is the response's `result` (`null` for `undefined`).
 * - A handler that throws answers an error response through
 *   {@linkcode JsonRpcCodec.errorReply}: a {@linkcode JsonRpcError}'s code
 *   as it is, listenrain's own codes mapped (`UNKNOWN_ROUTE` → -32601,
 *   `CODEC_ERROR` → -32602, any other → -32603).
 * - Input that is not JSON-RPC gets its error (-32700, -32600) with
 *   `"id": null`, and a method under the reserved `rpc.` prefix -32601,
 *   from {@linkcode Protocol.route}, before any route is looked up.
 * - Error responses a caller receives reject with a `RemoteError` whose
 *   `remoteCode` is the JSON-RPC code as a string.
 *
 * @module
 */

import { type Protocol, RemoteError } from "../../mod.ts";
import { DelimitedCodec } from "../../framing.ts";
import {
  JSON_RPC_ERRORS,
  JsonRpcCodec,
  type JsonRpcMessage,
  type JsonRpcRequest,
  type JsonRpcSuccess,
} from "./codec.ts";

/** The longest line the example reads or writes: 1 MiB. */
export const MAX_LINE = 1024 * 1024;

/** Options of {@linkcode jsonRpcProtocol}. */
export interface JsonRpcProtocolOptions {
  /** The longest line sent or accepted. @default {1048576} */
  maxLineSize?: number;
}

/**
 * JSON-RPC 2.0 over newline-delimited framing (one JSON object per line;
 * blank lines skipped, `\r\n` accepted).
 *
 * @example A JSON-RPC server and a JSON-RPC client on one memory pipe
 * ```ts
 * import { Connection, Router } from "listenrain";
 * import { createMemoryPipe } from "listenrain/testing";
 * import { jsonRpcProtocol } from "./protocol.ts";
 *
 * const protocol = jsonRpcProtocol();
 * const router = new Router().handle("add", ([a, b]: [number, number]) => a + b);
 * const [a, b] = createMemoryPipe();
 * const server = new Connection(a, { protocol, router });
 * const client = new Connection<typeof router>(b, { protocol });
 * console.log(await client.request("add", [1, 2])); // 3
 * await client.close();
 * await server.close();
 * ```
 *
 * @param options The line limit.
 * @returns The protocol value, to share between connections.
 */
export function jsonRpcProtocol(
  options: JsonRpcProtocolOptions = {},
): Protocol<JsonRpcMessage> {
  const codec = new JsonRpcCodec();
  return Object.freeze({
    codec,
    framing: new DelimitedCodec({
      maxFrameSize: options.maxLineSize ?? MAX_LINE,
      skipEmpty: true,
    }),
    message(
      kind: "request" | "notify",
      route: string | number,
      body: unknown,
    ): JsonRpcMessage {
      const request: JsonRpcRequest = { jsonrpc: "2.0", method: String(route) };
      if (body !== undefined) {
        request.params = body as JsonRpcRequest["params"];
      }
      // A notification is a request without an id; the connection sets a
      // request's id.
      if (kind === "request") request.id = 0;
      return request;
    },
    reply(body: unknown): JsonRpcMessage {
      return { jsonrpc: "2.0", result: body ?? null, id: null };
    },
    route(message: JsonRpcMessage): string {
      const invalid = codec.invalidError(message);
      if (invalid) throw new RemoteError(String(invalid.code), invalid.message);
      const method = (message as JsonRpcRequest).method;
      // Names that start with "rpc." are reserved by the specification.
      if (method.startsWith("rpc.")) {
        throw new RemoteError(
          String(JSON_RPC_ERRORS.methodNotFound),
          `Method not found: ${method}`,
        );
      }
      return method;
    },
    body(message: JsonRpcMessage): unknown {
      return "method" in message
        ? message.params
        : (message as JsonRpcSuccess).result;
    },
  });
}
