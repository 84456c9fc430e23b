/**
 * The gRPC peer of the stream benchmark (Node only): `@grpc/grpc-js` server
 * streaming over one channel, method `/bench.Stream/Flood`, request and
 * replies raw bytes (identity serialization of Buffers: no protobuf cost).
 * The server writes the payload with `call.write()` until it returns false,
 * then waits for `'drain'`; the client counts `'data'` events and cancels
 * the call when done.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { decodeRequest, payload } from "./_payload.ts";

const identity = (bytes: Buffer): Buffer => bytes;

/** The service: one server-streaming method of bytes. */
const service: grpc.ServiceDefinition = {
  flood: {
    path: "/bench.Stream/Flood",
    requestStream: false,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

const options: grpc.ChannelOptions = {
  "grpc.max_receive_message_length": -1,
  "grpc.max_send_message_length": -1,
};

function flood(call: grpc.ServerWritableStream<Buffer, Buffer>): void {
  const { count, size } = decodeRequest(call.request);
  const bytes = payload(size);
  const message = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let sent = 0;
  let cancelled = false;
  call.on("cancelled", () => cancelled = true);
  call.on("error", () => cancelled = true);
  const pump = () => {
    while (!cancelled && (count === 0 || sent < count)) {
      sent++;
      if (!call.write(message)) {
        call.once("drain", pump);
        return;
      }
    }
    if (!cancelled) call.end();
  };
  pump();
}

/**
 * Starts the server on 127.0.0.1, any free port.
 *
 * @returns The bound port.
 */
export function serve(): Promise<number> {
  const server = new grpc.Server(options);
  server.addService(service, { flood });
  return new Promise((resolve, reject) => {
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (error, port) => error ? reject(error) : resolve(port),
    );
  });
}

type FloodClient = grpc.Client & {
  flood(request: Buffer): grpc.ClientReadableStream<Buffer>;
};

/**
 * Opens one channel and one stream on it.
 *
 * @param port The server's port on 127.0.0.1.
 * @param request The stream request.
 * @param onMessage Called with each message, in order.
 * @returns `cancel` to end the stream early; `ended` settles when it ended.
 */
export async function readFlood(
  port: number,
  request: Uint8Array,
  onMessage: (message: Uint8Array) => void,
): Promise<{ close(): void; ended: Promise<void> }> {
  const Client = grpc.makeGenericClientConstructor(service, "Stream");
  const client = new Client(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
    options,
  ) as unknown as FloodClient;
  await new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + 10_000, (e) => e ? reject(e) : resolve())
  );
  const call = client.flood(
    Buffer.from(request.buffer, request.byteOffset, request.length),
  );
  call.on("data", onMessage);
  const ended = new Promise<void>((resolve) => {
    call.on("error", () => resolve()); // CANCELLED after close()
    call.on("end", () => resolve());
  });
  return {
    close: () => {
      call.cancel();
      client.close();
    },
    ended,
  };
}
