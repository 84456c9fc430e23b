/**
 * What watches each connection of a server: its monitor (idle, first
 * frame, heartbeat) and its max age. Private to the server.
 *
 * @module
 */

import type { Channel } from "../channel/channel.ts";
import type { Connection } from "../connection/connection.ts";
import { addrText, ends, log, logging } from "../logger.ts";
import type { TimerHeap } from "../timer/timer_heap.ts";
import {
  ConnectionMonitor,
  type ExpireReason,
  type HeartbeatOptions,
} from "../transport/connection_monitor.ts";
import { type ConnectionAge, retireAtAge } from "./_connection_age.ts";
import type { ServerStats } from "./server_options.ts";

const EXPIRED: Record<ExpireReason, keyof ServerStats> = {
  "idle": "idleClosed",
  "first-frame": "firstFrameClosed",
  "heartbeat": "heartbeatClosed",
};

/** The server's limits that watch a connection. */
export interface WatchConfig {
  timers: TimerHeap;
  heartbeat: HeartbeatOptions | undefined;
  idleTimeout: number;
  firstFrameTimeout: number;
  age: ConnectionAge | undefined;
  /** The server's counters, counted in place. */
  stats: ServerStats;
}

/**
 * Watches a new connection with what `config` asks for.
 *
 * @param connection The accepted connection.
 * @param channel Its channel, for the logs.
 * @param config The server's limits.
 * @returns A function that stops watching (call it once the connection closed).
 */
export function watch(
  connection: Connection,
  channel: Channel,
  config: WatchConfig,
): () => void {
  const { timers, heartbeat, idleTimeout, firstFrameTimeout, age } = config;
  let monitor: ConnectionMonitor | undefined;
  if (heartbeat || idleTimeout > 0 || firstFrameTimeout > 0) {
    monitor = new ConnectionMonitor(connection, {
      timers,
      heartbeat,
      idleTimeout,
      firstFrameTimeout,
      onExpire: (reason) => {
        config.stats[EXPIRED[reason]]++;
        if (logging()) {
          log(
            "info",
            { event: "server.expire", ...ends(channel), timeout: reason },
            `server closing ${
              addrText(channel.remoteAddr)
            } (${reason} timeout)`,
          );
        }
      },
    });
  }
  // The goaway and the close log themselves ("connection.goaway",
  // "connection.close"), with the reason "max connection age".
  const stopAge = age && retireAtAge(connection, age, timers);
  return () => {
    monitor?.stop();
    stopAge?.();
  };
}
