/**
 * The gRPC peer (Node only): `@grpc/grpc-js` unary calls of one method,
 * `/bench.Echo/Echo`, whose request and reply are raw bytes (identity
 * serialization of Buffers, so no .proto file and no protobuf cost), over one
 * channel (one HTTP/2 connection). Message size limits are lifted so 4 MiB
 * payloads pass.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";

const identity = (bytes: Buffer): Buffer => bytes;

/** The service: one unary method taking and returning bytes. */
const service: grpc.ServiceDefinition = {
  echo: {
    path: "/bench.Echo/Echo",
    requestStream: false,
    responseStream: false,
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

/**
 * Starts the echo server on 127.0.0.1, any free port.
 *
 * @returns The bound port.
 */
export function serve(): Promise<number> {
  const server = new grpc.Server(options);
  server.addService(service, {
    echo(
      call: grpc.ServerUnaryCall<Buffer, Buffer>,
      callback: grpc.sendUnaryData<Buffer>,
    ) {
      callback(null, call.request);
    },
  });
  return new Promise((resolve, reject) => {
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (error, port) => error ? reject(error) : resolve(port),
    );
  });
}

type EchoClient = grpc.Client & {
  echo(
    request: Buffer,
    callback: (error: grpc.ServiceError | null, reply?: Buffer) => void,
  ): grpc.ClientUnaryCall;
};

/**
 * Opens one channel to the echo server.
 *
 * @param port The server's port on 127.0.0.1.
 * @returns A function that makes one call and resolves to the reply.
 */
export async function connect(
  port: number,
): Promise<(body: Uint8Array) => Promise<Uint8Array>> {
  const Client = grpc.makeGenericClientConstructor(service, "Echo");
  const client = new Client(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
    options,
  ) as unknown as EchoClient;
  await new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + 10_000, (e) => e ? reject(e) : resolve())
  );
  return (body) =>
    new Promise((resolve, reject) => {
      client.echo(
        Buffer.from(body.buffer, body.byteOffset, body.byteLength),
        (error, reply) => error ? reject(error) : resolve(reply!),
      );
    });
}
