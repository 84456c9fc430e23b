/**
 * The Deno adapter's listener: accepts as it is iterated, within
 * `maxConnections`, and keeps accepting through passing accept errors.
 * Private to `adapters/`.
 *
 * @module
 */

import type { Channel, ChannelAddr, Listener } from "../src/channel/channel.ts";
import { connChannelOf } from "./_conn_channel.ts";
import { closeQuietly, deno, type DenoListener } from "./_deno_api.ts";
import { watchHandshake } from "./_deno_tls.ts";
import type { ParsedKey } from "./_key.ts";
import type { ListenLimits } from "./_listen_limits.ts";
import { Slots } from "./_slots.ts";

/** The text of `/proc/self/limits`, if Deno may read it (never prompts). */
export function readLimits(): string {
  const runtime = deno();
  const path = "/proc/self/limits";
  const state = runtime.permissions?.querySync?.({ name: "read", path }).state;
  if (state !== "granted") throw new Error(`No permission to read ${path}`);
  return runtime.readTextFileSync(path);
}

/**
 * A {@linkcode Listener} over Deno's: accepts one connection per `next()`,
 * waits while `maxConnections` are open, and backs off on accept errors.
 */
export function denoListener(
  native: DenoListener,
  key: ParsedKey,
  limits: ListenLimits,
): Listener {
  let closed = false;
  const slots = new Slots(limits.maxConnections);
  let queue: Promise<unknown> = Promise.resolve();
  const addr: ChannelAddr = key.transport === "unix"
    ? { transport: "unix", path: key.path }
    : {
      transport: key.transport,
      hostname: native.addr.hostname,
      port: native.addr.port,
    };
  const acceptOne = async (): Promise<IteratorResult<Channel>> => {
    for (let failures = 0; !closed; failures++) {
      // At the limit, accept nothing: the rest wait in the kernel's backlog.
      if (!slots.free) await slots.freed();
      if (closed) break;
      try {
        const conn = await native.accept();
        slots.take();
        if (key.transport === "tcp") conn.setNoDelay?.(true);
        const channel = connChannelOf(conn, key, "server", slots.release);
        if (key.transport === "tls") {
          watchHandshake(conn, channel, limits.handshakeTimeout);
        }
        return { done: false, value: channel };
      } catch {
        // Closed (the loop ends), or a passing accept error such as EMFILE:
        // back off and keep accepting, as Node and Bun do.
        if (!closed) {
          const delay = Math.min(1000, 5 * 2 ** Math.min(failures, 8));
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    }
    return { done: true, value: undefined };
  };
  // Deno accepts one connection at a time: concurrent next() calls queue up.
  const next = (): Promise<IteratorResult<Channel>> => {
    const result = queue.then(acceptOne);
    queue = result.catch(() => {});
    return result;
  };
  return {
    addr,
    close() {
      if (closed) return;
      closed = true;
      closeQuietly(native);
      slots.wake();
    },
    [Symbol.asyncIterator]: () => ({
      next,
      return: (): Promise<IteratorResult<Channel>> =>
        Promise.resolve({ done: true, value: undefined }),
    }),
  };
}
