/**
 * JSON-RPC 2.0 as a listenrain protocol: a {@linkcode MessageCodec} whose
 * message id is the JSON-RPC `id` field, to run over newline-delimited
 * framing (`DelimitedCodec`). See https://www.jsonrpc.org/specification.
 * `jsonRpcProtocol()` (protocol.ts) makes it a protocol a `Connection`,
 * `Server` or `Client` speaks with a `Router`.
 *
 * Input that is not a JSON-RPC message (not JSON, not an object, a batch)
 * does not close the connection: it decodes to a request of the reserved
 * method `rpc.invalid` whose error {@linkcode JsonRpcCodec.invalidError}
 * returns, so the server can answer it with an error and `"id": null`, as the
 * specification asks.
 *
 * @module
 */

import { CodecError, RemoteError } from "../../mod.ts";
import type {
  ErrorInfo,
  MessageCodec,
  MessageId,
  MessageKind,
} from "../../framing.ts";

/** A JSON-RPC id. */
export type JsonRpcId = string | number | null;

/** A request, or a notification when it has no `id`. */
export interface JsonRpcRequest {
  jsonrpc: "2.0";
  method: string;
  params?: unknown[] | Record<string, unknown>;
  id?: JsonRpcId;
}

/** The error member of a failed response. */
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** A successful response. */
export interface JsonRpcSuccess {
  jsonrpc: "2.0";
  result: unknown;
  id: JsonRpcId;
}

/** A failed response. */
export interface JsonRpcFailure {
  jsonrpc: "2.0";
  error: JsonRpcErrorObject;
  id: JsonRpcId;
}

/** Any JSON-RPC 2.0 message. */
export type JsonRpcMessage = JsonRpcRequest | JsonRpcSuccess | JsonRpcFailure;

/** The error codes the specification defines. */
export const JSON_RPC_ERRORS = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
} as const;

/** The method of the request that stands for invalid input. */
export const INVALID_METHOD = "rpc.invalid";

/**
 * An error a method throws to choose its JSON-RPC error code: a
 * `RemoteError` whose `remoteCode` is the code as a string, so its code and
 * message reach the caller as they are. (An error reply carries a code and a
 * message only: the specification's optional `data` member is not sent.)
 */
export class JsonRpcError extends RemoteError {
  /**
   * @param code The JSON-RPC error code.
   * @param message What went wrong.
   */
  constructor(code: number, message: string) {
    super(String(code), message);
    this.name = "JsonRpcError";
  }

  /** The JSON-RPC error code. */
  get jsonRpcCode(): number {
    return Number(this.remoteCode);
  }
}

/** Transport error codes → JSON-RPC error codes. */
const CODES: Record<string, number> = {
  UNKNOWN_ROUTE: JSON_RPC_ERRORS.methodNotFound,
  NO_HANDLER: JSON_RPC_ERRORS.methodNotFound,
  CODEC_ERROR: JSON_RPC_ERRORS.invalidParams,
  DUPLICATE_ID: JSON_RPC_ERRORS.invalidRequest,
};

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Transport keys of messages whose JSON-RPC id is null or absent start with this. */
const NULL_KEY = "\u0000";

/** JSON-RPC 2.0 messages as UTF-8 JSON, one per frame. */
export class JsonRpcCodec implements MessageCodec<JsonRpcMessage> {
  /** Transport keys of messages without an id of their own. */
  #keys = new WeakMap<JsonRpcMessage, string>();
  #invalid = new WeakMap<JsonRpcMessage, JsonRpcErrorObject>();
  #nextKey = 0;

  /**
   * @param message The message.
   * @returns Its JSON as UTF-8 (never containing a raw newline).
   * @throws {CodecError} If the message is not JSON (a bigint, a cycle).
   */
  encode(message: JsonRpcMessage): Uint8Array[] {
    try {
      return [encoder.encode(JSON.stringify(message))];
    } catch (cause) {
      throw new CodecError(
        `Cannot encode JSON-RPC message: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  /**
   * @param payload One line.
   * @returns The message; for invalid input, an `rpc.invalid` request.
   */
  decode(payload: Uint8Array): JsonRpcMessage {
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(payload));
    } catch {
      return this.#invalidInput(JSON_RPC_ERRORS.parseError, "Parse error");
    }
    if (Array.isArray(value)) {
      return this.#invalidInput(
        JSON_RPC_ERRORS.invalidRequest,
        value.length === 0
          ? "Invalid Request: empty batch"
          : "Invalid Request: batches are not supported by this server",
      );
    }
    return checkMessage(value) ?? this.#invalidInput(
      JSON_RPC_ERRORS.invalidRequest,
      "Invalid Request",
    );
  }

  /**
   * @param message A decoded message.
   * @returns The error to answer it with, if it stands for invalid input.
   */
  invalidError(message: JsonRpcMessage): JsonRpcErrorObject | undefined {
    return this.#invalid.get(message);
  }

  /** @returns request, notify (no id), reply or error. */
  kind(message: JsonRpcMessage): MessageKind {
    if ("method" in message) return "id" in message ? "request" : "notify";
    return "error" in message ? "error" : "reply";
  }

  /** @returns The `id`; a unique key of its own for a null or absent id. */
  id(message: JsonRpcMessage): MessageId {
    const id = message.id;
    if (typeof id === "number" || typeof id === "string") return id;
    let key = this.#keys.get(message);
    if (key === undefined) {
      key = `${NULL_KEY}${this.#nextKey++}`;
      this.#keys.set(message, key);
    }
    return key;
  }

  /** @returns A copy of the message with `id` set (null for a null key). */
  withId(message: JsonRpcMessage, id: MessageId): JsonRpcMessage {
    const wire = typeof id === "string" && id.startsWith(NULL_KEY) ? null : id;
    return { ...message, id: wire };
  }

  /** @returns An error response to request `id`. */
  errorReply(id: MessageId, error: ErrorInfo): JsonRpcMessage {
    const numeric = /^-?\d+$/.test(error.code) ? Number(error.code) : undefined;
    const failure: JsonRpcErrorObject = {
      code: numeric ?? CODES[error.code] ?? JSON_RPC_ERRORS.internalError,
      message: error.message || error.code,
    };
    if (numeric === undefined) failure.data = { code: error.code };
    return this.withId({ jsonrpc: "2.0", error: failure, id: null }, id);
  }

  /** @returns A {@linkcode RemoteError} whose `remoteCode` is the error code. */
  toError(message: JsonRpcMessage): Error {
    const error = (message as JsonRpcFailure).error;
    return new RemoteError(String(error.code), error.message, {
      cause: error.data,
    });
  }

  #invalidInput(code: number, message: string): JsonRpcMessage {
    const request: JsonRpcRequest = {
      jsonrpc: "2.0",
      method: INVALID_METHOD,
      id: null,
    };
    this.#invalid.set(request, { code, message });
    return request;
  }
}

/** Returns `value` if it is a JSON-RPC 2.0 message, else undefined. */
function checkMessage(value: unknown): JsonRpcMessage | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== "2.0") return undefined;
  const id = m.id;
  const idOk = id === null || typeof id === "string" || typeof id === "number";
  if ("method" in m) {
    const params = m.params;
    const paramsOk = params === undefined ||
      (typeof params === "object" && params !== null);
    const ok = typeof m.method === "string" && paramsOk &&
      (!("id" in m) || idOk);
    return ok ? m as unknown as JsonRpcRequest : undefined;
  }
  if (!idOk) return undefined;
  if ("result" in m) return m as unknown as JsonRpcSuccess;
  const error = m.error as Record<string, unknown> | null | undefined;
  if (
    typeof error === "object" && error !== null &&
    Number.isInteger(error.code) && typeof error.message === "string"
  ) {
    return m as unknown as JsonRpcFailure;
  }
  return undefined;
}
