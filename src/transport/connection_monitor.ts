/**
 * The {@linkcode ConnectionMonitor}: closes a transport whose peer went
 * silent (heartbeat), that was idle too long (gev's idle-connection cleanup),
 * or whose peer connected and never sent a frame.
 *
 * @module
 */

import { ConnectionClosedError, TimeoutError } from "../errors.ts";
import { type TimerHandle, TimerHeap } from "../timer/timer_heap.ts";
import type { Connection } from "../connection/connection.ts";
import type { ConnectionStats } from "./stats.ts";
import { checkMonitorOptions } from "./_monitor_options.ts";

/**
 * Heartbeat settings: ping a quiet connection, close it when no pong comes.
 *
 * @example Finding a half-open connection
 * ```ts
 * import { Connection } from "listenrain";
 * import {
 *   ConnectionMonitor,
 *   type HeartbeatOptions,
 * } from "listenrain/advanced";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * const server = new Connection(a);
 * const client = new Connection(b);
 * const heartbeat: HeartbeatOptions = { interval: 10, timeout: 20 }; // look every 10 ms, wait 20 ms for the pong
 * new ConnectionMonitor(client, { heartbeat });
 * a.goSilent(); // the server's host dies: nothing arrives any more, nothing closes
 * await client.closed; // found within about 2 × interval + timeout
 * console.log(client.closedReason?.message); // "Heartbeat: no pong within 20 ms"
 * await server.close();
 * ```
 */
export interface HeartbeatOptions {
  /**
   * How often to look at the connection, in ms. When nothing was read since
   * the last look, a ping goes out.
   */
  interval: number;
  /** How long to wait for the pong, in ms. @default {the interval} */
  timeout?: number;
}

/**
 * Why a {@linkcode ConnectionMonitor} closed its connection.
 *
 * @example A client that connects and never sends a frame
 * ```ts
 * import { Connection } from "listenrain";
 * import { ConnectionMonitor, type ExpireReason } from "listenrain/advanced";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * const server = new Connection(a);
 * const reasons: ExpireReason[] = [];
 * new ConnectionMonitor(server, {
 *   firstFrameTimeout: 20,
 *   onExpire: (reason) => reasons.push(reason),
 * });
 * await server.closed; // b sent nothing within 20 ms
 * console.log(reasons); // [ "first-frame" ]
 * b.close();
 * ```
 */
export type ExpireReason = "idle" | "first-frame" | "heartbeat";

/**
 * Options of {@linkcode ConnectionMonitor}. All checks are off unless set.
 *
 * @example Closing an idle connection
 * ```ts
 * import { Connection, Router } from "listenrain";
 * import {
 *   ConnectionMonitor,
 *   type ConnectionMonitorOptions,
 * } from "listenrain/advanced";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const options: ConnectionMonitorOptions = {
 *   idleTimeout: 30, // no request for 30 ms: goaway, then close
 *   onExpire: (reason, message) => console.log(reason, message), // idle Idle for 30 ms (idleTimeout)
 * };
 * const [a, b] = createMemoryPipe();
 * const server = new Connection(a, { router: new Router().handle("ping", (body: Uint8Array) => body) });
 * const client = new Connection(b);
 * new ConnectionMonitor(client, options);
 * await client.request("ping", new Uint8Array());
 * await client.closed; // 30 ms after the request
 * await server.close();
 * ```
 */
export interface ConnectionMonitorOptions {
  /** The heap that holds the monitor's timers. @default {a heap of its own} */
  timers?: TimerHeap;
  /** Ping the peer when the connection is quiet; close it when no pong comes. */
  heartbeat?: HeartbeatOptions;
  /**
   * Close the connection after this many ms without a request or
   * notification in either direction and with none in flight (heartbeat
   * pings do not count). The peer gets goaway first. `0` for never.
   * @default {0}
   */
  idleTimeout?: number;
  /** Close the connection if the peer sends no frame within this many ms. `0` for never. @default {0} */
  firstFrameTimeout?: number;
  /** Called once, just before the monitor closes the transport. */
  onExpire?: (reason: ExpireReason, message: string) => void;
}

/**
 * What a {@linkcode ConnectionMonitor} watches: a {@linkcode Connection}, or
 * anything shaped like one.
 *
 * @example Watching a connection
 * ```ts
 * import { Connection } from "listenrain";
 * import { ConnectionMonitor, type MonitoredConnection } from "listenrain/advanced";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * const server = new Connection(a);
 * const watched: MonitoredConnection = server;
 * new ConnectionMonitor(watched, { firstFrameTimeout: 20 });
 * await server.closed; // b sent nothing within 20 ms
 * console.log(server.closedReason !== undefined); // true
 * b.close();
 * ```
 */
export type MonitoredConnection = Pick<
  Connection,
  | "stats"
  | "closed"
  | "closedReason"
  | "ping"
  | "inFlight"
  | "canRequest"
  | "goaway"
  | "close"
>;

/**
 * Watches one connection and closes it when its peer is silent or idle. Its
 * timers live on the given heap and stop when the connection closes or
 * {@linkcode ConnectionMonitor.stop} is called. A `Server` and a
 * `ConnectionPool` give one to each connection; a lone `Connection` can use one too.
 *
 * Heartbeat: every `interval` ms, if nothing was read since the last look,
 * the monitor pings; when no pong comes within `timeout`, it closes the
 * connection (pending requests reject with `ConnectionClosedError`, running
 * handlers see their `ctx.signal` abort). A half-open connection is found
 * within about `2 × interval + timeout`, whatever runs on it. A ping the
 * connection cannot send counts as unanswered too: at once when the
 * connection can carry no pong any more (the peer ended its side, say) and
 * nothing is owed by the peer; after `timeout` ms with nothing read when it
 * cannot be sent now (`maxPendingRequests` reached). After the peer's
 * goaway, while it still owes replies, the monitor waits: those requests
 * end by their own deadlines.
 *
 * Idle: the connection is idle while no request or notification goes either
 * way, no request of this side waits for its reply, and no handler runs for
 * a peer that can still be answered (as gRPC's `MAX_CONNECTION_IDLE`, a
 * long request is not idleness). A handler that waits for a peer that ended
 * its side does not count: the connection is closed `idleTimeout` after the
 * last activity, and the handler's signal aborts. The check looks ten times
 * per `idleTimeout`, so it closes between `idleTimeout` and
 * `1.1 × idleTimeout` after the last activity (later only if the event
 * loop is blocked).
 *
 * @example Heartbeat on a peer
 * ```ts
 * import { Connection } from "listenrain";
 * import { ConnectionMonitor } from "listenrain/advanced";
 * import { createMemoryPipe } from "listenrain/testing";
 *
 * const [a, b] = createMemoryPipe();
 * const server = new Connection(a);
 * const client = new Connection(b);
 * const monitor = new ConnectionMonitor(client, {
 *   heartbeat: { interval: 10, timeout: 50 },
 * });
 * await new Promise((resolve) => setTimeout(resolve, 40));
 * console.log(monitor.pingsSent > 0); // true
 * await client.close(); // stops the monitor too
 * await server.close();
 * ```
 */
export class ConnectionMonitor {
  #transport: MonitoredConnection;
  #onExpire: ((reason: ExpireReason, message: string) => void) | undefined;
  #handles: TimerHandle[] = [];
  #timers: TimerHeap;
  #stopped = false;
  #pings = 0;
  #pinging = false;
  #framesSeen = 0;
  /** Runs `timeout` after a ping that could not be sent now. */
  #unsent: TimerHandle | undefined;
  #lastActivity = -1;
  /** Idle looks in a row that found nothing; closes at `#idleLooks`. */
  #quietLooks = 0;
  #idleLooks = 0;
  #idleTimeout: number;

  /**
   * Starts watching at once.
   *
   * @param transport The transport to watch.
   * @param options What to watch for, and the timer heap.
   * @throws {RangeError} If a time is negative or not finite, or the
   *   heartbeat interval is 0.
   */
  constructor(
    transport: MonitoredConnection,
    options: ConnectionMonitorOptions = {},
  ) {
    this.#transport = transport;
    this.#onExpire = options.onExpire;
    const timers = options.timers ?? new TimerHeap();
    this.#timers = timers;
    const { idleTimeout, firstFrameTimeout: firstFrame, heartbeat } =
      checkMonitorOptions(options);
    this.#idleTimeout = idleTimeout;
    if (heartbeat !== undefined) {
      this.#handles.push(
        timers.runEvery(
          heartbeat.interval,
          () => this.#beat(heartbeat.timeout),
        ),
      );
    }
    if (this.#idleTimeout > 0) {
      // Ten looks per idleTimeout: activity is seen at most a tenth late.
      const look = Math.max(1, this.#idleTimeout / IDLE_LOOKS);
      this.#idleLooks = Math.max(1, Math.ceil(this.#idleTimeout / look));
      this.#handles.push(timers.runEvery(look, () => this.#idle()));
    }
    if (firstFrame > 0) {
      this.#handles.push(timers.runAfter(firstFrame, () => {
        if (transport.stats.framesIn > 0) return;
        this.#expire(
          "first-frame",
          `No frame within ${firstFrame} ms of connecting (firstFrameTimeout)`,
          true,
        );
      }));
    }
    transport.closed.then(() => this.stop());
  }

  /** Pings this monitor sent so far. */
  get pingsSent(): number {
    return this.#pings;
  }

  /** Stops watching: cancels the monitor's timers. Safe to call more than once. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const handle of this.#handles) handle.cancel();
    this.#handles.length = 0;
    this.#unsent?.cancel();
    this.#unsent = undefined;
  }

  #beat(timeout: number): void {
    const transport = this.#transport;
    const frames = transport.stats.framesIn;
    if (frames !== this.#framesSeen) {
      this.#framesSeen = frames;
      return;
    }
    if (this.#pinging || transport.closedReason) return;
    // A ping the transport refuses is not sent: it does not count as a
    // request (the idle check subtracts the pings sent) nor as pending.
    const before = transport.stats.requestsSent;
    const ping = transport.ping({ timeout });
    const sent = transport.stats.requestsSent !== before;
    if (sent) this.#pings++;
    this.#pinging = sent;
    ping.then(() => {
      this.#pinging = false;
      this.#framesSeen = transport.stats.framesIn;
    }, (error) => {
      this.#pinging = false;
      this.#pingFailed(error, timeout);
    });
  }

  #pingFailed(error: unknown, timeout: number): void {
    const transport = this.#transport;
    if (transport.closedReason || this.#stopped) return;
    if (error instanceof TimeoutError) {
      return this.#expire(
        "heartbeat",
        `Heartbeat: no pong within ${timeout} ms`,
        false,
      );
    }
    if (error instanceof TypeError) return this.stop(); // the protocol has no ping
    if (error instanceof ConnectionClosedError) {
      // The transport refuses requests: the peer ended its side (or this
      // side is closing), or it sent goaway. Replies still owed mean a
      // draining peer; else no pong can come.
      if (transport.inFlight > 0) return;
      return this.#expire(
        "heartbeat",
        `Heartbeat: cannot ping (${error.message})`,
        false,
      );
    }
    // Not sent now (too many pending, say): unanswered unless a frame
    // arrives within the timeout.
    if (this.#unsent !== undefined) return;
    const frames = transport.stats.framesIn;
    const why = error instanceof Error ? error.message : String(error);
    this.#unsent = this.#timers.runAfter(timeout, () => {
      this.#unsent = undefined;
      if (this.#transport.stats.framesIn !== frames) return;
      this.#expire(
        "heartbeat",
        `Heartbeat: cannot ping (${why}) and nothing read for ${timeout} ms`,
        false,
      );
    });
  }

  #idle(): void {
    const transport = this.#transport;
    const stats = transport.stats;
    const activity = activityOf(stats) - this.#pings;
    // A handler keeps the connection busy while its reply can be delivered
    // (the transport still takes requests): not once the peer has ended.
    const busy = stats.pending - (this.#pinging ? 1 : 0) > 0 ||
      (stats.handling > 0 && transport.canRequest);
    if (busy || activity !== this.#lastActivity) {
      // Activity happened before this look: it starts the count. Work in
      // flight may end just after it: the next look starts the count then.
      this.#lastActivity = activity;
      this.#quietLooks = busy ? -1 : 0;
      return;
    }
    if (++this.#quietLooks >= this.#idleLooks) {
      this.#expire(
        "idle",
        `Idle for ${this.#idleTimeout} ms (idleTimeout)`,
        true,
      );
    }
  }

  #expire(reason: ExpireReason, message: string, goaway: boolean): void {
    if (this.#stopped) return;
    this.stop();
    const transport = this.#transport;
    if (transport.closedReason) return;
    this.#onExpire?.(reason, message);
    if (goaway) transport.goaway(message);
    void transport.close(message);
  }
}

/** How often the idle check looks per `idleTimeout`. */
const IDLE_LOOKS = 10;

function activityOf(stats: ConnectionStats): number {
  return stats.requestsSent + stats.requestsReceived + stats.notifiesSent +
    stats.notifiesReceived;
}
