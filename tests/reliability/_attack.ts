/**
 * The bad-input harness: a server under attack over TCP on 127.0.0.1 or the
 * memory network, with its error log, a well-behaved client, raw
 * connections for the attacker, and a bystander client on its own
 * connection that must keep completing requests throughout.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Channel, Listener } from "../../src/channel/channel.ts";
import { MemoryNetwork } from "../../src/channel/memory_network.ts";
import { Client } from "../../src/client/client.ts";
import type { DialFunction } from "../../src/client/dialers.ts";
import { TransportKey } from "../../src/channel/transport_key.ts";
import { jsonBody } from "../../src/codec/body_codec.ts";
import { LengthPrefixedCodec } from "../../src/framing/length_prefixed.ts";
import { Server } from "../../src/server/server.ts";
import type { RequestContext } from "../../src/transport/request_context.ts";
import { Router } from "../../src/transport/router.ts";
import type { Envelope } from "../../src/codec/envelope.ts";
import {
  frameOf,
  FrameReader,
  KiB,
  readToEnd,
  sleep,
  tcpAdapter,
  until,
  within,
  writeRaw,
} from "./_helpers.ts";

const tcp = await tcpAdapter();
/** The server's maxFrameSize. */
export const MAX_FRAME = 64 * KiB;
/** A network to attack on. */
export interface Net {
  listen(): Promise<{ listener: Listener; key: string }>;
  dial: DialFunction;
}

/** TCP on 127.0.0.1 and the memory network. */
export const networks: Record<string, () => Net> = {
  "TCP on 127.0.0.1": () => ({
    async listen() {
      const listener = await tcp.listen("tcp://127.0.0.1:0");
      const port = (listener.addr as { port: number }).port;
      return { listener, key: `tcp://127.0.0.1:${port}` };
    },
    dial: tcp.dial,
  }),
  "the memory network": () => {
    const network = new MemoryNetwork();
    let n = 0;
    return {
      async listen() {
        const key = `mem://bad-${++n}`;
        return { listener: await network.listen(key), key };
      },
      dial: (key, options) => network.dial(key, options),
    };
  },
};

/** The server under attack, its error log, and a client that must not notice. */
export async function setup(net: Net) {
  const errors: unknown[] = [];
  const aborted: unknown[] = [];
  let metadataCalls = 0;
  const router = new Router()
    .handle("echo", (body: unknown) => body)
    .handle("metadata", (_body: unknown, ctx: RequestContext<Envelope>) => {
      metadataCalls++;
      // Echoes the request's metadata back with the reply.
      for (const [key, value] of ctx.metadata) {
        ctx.replyMetadata.append(key, value);
      }
      return ctx.metadata.size;
    })
    .handle("throws", () => {
      throw new Error("handler failed on purpose");
    })
    .handle(
      "never",
      (_body: unknown, ctx: RequestContext<Envelope>) =>
        new Promise((_, reject) => {
          // Never returns on its own: only its signal ends it.
          ctx.signal.addEventListener("abort", () => {
            aborted.push(ctx.signal.reason);
            reject(ctx.signal.reason);
          }, { once: true });
        }),
    );
  const server = new Server({
    router,
    body: jsonBody,
    framing: new LengthPrefixedCodec({ maxFrameSize: MAX_FRAME }),
    onError: (error) => errors.push(error),
  });
  const { listener, key } = await net.listen();
  void server.serve(listener);
  const raw = () => net.dial(TransportKey.from(key), {});
  const client = new Client({
    endpoint: key,
    dial: net.dial,
    body: jsonBody,
  });
  // The bystander: its own connection, a request every few ms, all along.
  const bystander = new Client({
    endpoint: key,
    dial: net.dial,
    body: jsonBody,
  });
  let running = true;
  let completed = 0;
  const failures: string[] = [];
  const loop = (async () => {
    for (let i = 0; running && i < 100_000; i++) {
      try {
        if (await bystander.request("echo", i) !== i) failures.push("wrong");
        else completed++;
      } catch (error) {
        failures.push(String(error));
      }
      await sleep(1);
    }
  })();
  return {
    server,
    client,
    raw,
    errors,
    aborted,
    /**
     * Stops the bystander and closes everything; then checks the bystander
     * kept completing requests after `before` and never failed.
     */
    async finish(before: number) {
      let stalled: unknown;
      try {
        await until(() => completed > before + 3, 5000, "bystander progress");
      } catch (error) {
        stalled = error;
      }
      running = false;
      await loop;
      await Promise.all([client.close(), bystander.close()]);
      await server.close({ deadline: 500 });
      if (stalled) throw stalled;
      assert.deepEqual(failures, [], "the bystander never failed");
    },
    get completed() {
      return completed;
    },
    /** How many requests reached the "metadata" route. */
    get metadataCalls() {
      return metadataCalls;
    },
  };
}

/** A server under attack. */
export type Setup = Awaited<ReturnType<typeof setup>>;

/** Runs `body` against a fresh server with a bystander, and cleans up. */
export async function attack(
  makeNet: () => Net,
  body: (s: Setup) => Promise<void>,
): Promise<void> {
  const s = await setup(makeNet());
  const before = s.completed;
  try {
    await body(s);
  } finally {
    await s.finish(before);
  }
}

/** Sends `bytes` on a fresh raw connection; resolves once the server closed it. */
export async function closedBy(
  s: Setup,
  ...bytes: Uint8Array[]
): Promise<void> {
  const channel = await s.raw();
  const reading = readToEnd(channel);
  await writeRaw(channel, ...bytes);
  const { bytes: got } = await within(5000, "the server closes", reading);
  assert.equal(got, 0, "no reply of any kind to a broken stream");
  channel.close();
}

/** The last error the server reported, once there is one more than `n`. */
export async function nextError(s: Setup, n: number): Promise<unknown> {
  await until(() => s.errors.length > n, 5000, "the server's onError");
  return s.errors[s.errors.length - 1];
}

/** Sends `message` on a raw channel; resolves to the next envelope back. */
export async function request(
  channel: Channel,
  reader: FrameReader,
  message: Envelope,
): Promise<Envelope | undefined> {
  await writeRaw(channel, frameOf(message));
  return await reader.next();
}
