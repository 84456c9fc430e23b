/**
 * The test's side of `_child_stream_server.ts`: starts it, and asks it for
 * its counters and resident set size over a connection of its own.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { ScriptChild } from "../_helpers/child.ts";
import { TransportKey } from "../../src/channel/transport_key.ts";
import { Connection } from "../../src/connection/connection.ts";
import { tcpAdapter, within } from "./_helpers.ts";

const CHILD = fileURLToPath(
  new URL("./_child_stream_server.ts", import.meta.url),
);

/** What the child's `stats` route answers. */
export interface ChildStats {
  /** Messages each `flood` stream was pulled for, by tag. */
  pulled: Record<string, number>;
  /** Resident set size in bytes, after a full garbage collection. */
  rss: number;
  heapUsed: number;
  /** Requests and streams its connections are handling (this one's included). */
  handling: number;
  /** Bytes waiting in its connections' send queues. */
  queuedBytes: number;
  connections: number;
  pid: number;
}

/** A running child stream server. */
export interface StreamChild {
  child: ScriptChild;
  /** `tcp://127.0.0.1:<port>`. */
  key: string;
  /** The connection `stats` goes over (usable for other calls too). */
  control: Connection;
  stats(): Promise<ChildStats>;
  /** Closes the control connection and stops the child. */
  stop(): Promise<void>;
}

/** Starts the child stream server; resolves once it listens. */
export async function startStreamChild(
  lifetimeMs = 120_000,
): Promise<StreamChild> {
  const tcp = await tcpAdapter();
  const child = new ScriptChild(CHILD, [String(lifetimeMs)]);
  try {
    const { port } = await within(
      30_000,
      "the child stream server listens",
      child.nextJson<{ port: number }>(),
    );
    const key = `tcp://127.0.0.1:${port}`;
    const control = new Connection(await tcp.dial(TransportKey.from(key), {}));
    return {
      child,
      key,
      control,
      stats: async () =>
        JSON.parse(
          new TextDecoder().decode(
            await control.request("stats", new Uint8Array(0), {
              timeout: 30_000,
            }) as Uint8Array,
          ),
        ),
      stop: async () => {
        await control.close().catch(() => {});
        child.stop(true);
        await child.exited;
      },
    };
  } catch (error) {
    child.stop(true);
    throw error;
  }
}
