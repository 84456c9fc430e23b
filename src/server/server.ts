/**
 * The {@linkcode Server}: serves the routes of a {@linkcode Router} on every
 * connection a listener accepts, over any protocol, with limits, heartbeat,
 * scheduled tasks and graceful shutdown.
 *
 * @module
 */

import type { Channel, ChannelAddr, Listener } from "../channel/channel.ts";
import { type BodyCodec, rawBody } from "../codec/body_codec.ts";
import { Connection, connectionParts } from "../connection/connection.ts";
import type { ConnectionOptions } from "../connection/connection_options.ts";
import { addrText, ends, log, logging } from "../logger.ts";
import { ConnectionClosedError } from "../errors.ts";
import { envelopeProtocol } from "../protocol/envelope_protocol.ts";
import type { Protocol, RouteName } from "../protocol/protocol.ts";
import { type TimerHandle, TimerHeap } from "../timer/timer_heap.ts";
import { checkMonitorOptions } from "../transport/_monitor_options.ts";
import {
  addStats,
  type ConnectionStats,
  createStats,
} from "../transport/stats.ts";
import { connectionAge } from "./_connection_age.ts";
import { refuse } from "./_refuse.ts";
import { shutDown } from "./_shutdown.ts";
import { watch, type WatchConfig } from "./_watch.ts";
import {
  DEFAULT_FIRST_FRAME_TIMEOUT,
  DEFAULT_SHUTDOWN_TIMEOUT,
  type ServerCloseOptions,
  type ServerOptions,
  type ServerStats,
} from "./server_options.ts";

export type {
  ServerCloseOptions,
  ServerOptions,
  ServerStats,
} from "./server_options.ts";

/**
 * A server: `serve(listener)` accepts connections and runs a
 * {@linkcode Connection} on each, serving the router's routes (each
 * connection may also call or notify its client: server push). Limits:
 * `maxConnections`, `idleTimeout`, `firstFrameTimeout`, `heartbeat`,
 * `maxConnectionAge` (with jitter and a grace period).
 * Scheduled tasks (`runAfter`, `runEvery`) stop when the server closes.
 * `close()` (also `await using`) shuts down gracefully: it stops accepting,
 * sends goaway to every client, lets in-flight requests finish until the
 * deadline, then closes. It speaks listenrain's envelope unless given
 * another `protocol`.
 *
 * @example Serving routes and pushing to every client on a timer
 * ```ts
 * import { Connection, Router, Server, textBody } from "listenrain";
 * import { MemoryNetwork } from "listenrain/testing";
 *
 * const network = new MemoryNetwork();
 * const server = new Server({
 *   router: new Router().handle("echo", (body: string) => body),
 *   body: textBody,
 *   maxConnections: 1000,
 *   idleTimeout: 60_000,
 * });
 * server.serve(await network.listen("mem://chat"));
 * const ticks = server.runEvery(10, () => server.broadcast("tick", "now"));
 *
 * let pushed = 0;
 * const client = new Connection(await network.dial("mem://chat"), {
 *   router: new Router().handle("tick", () => void pushed++),
 *   body: textBody,
 * });
 * console.log(await client.request("echo", "hello")); // "hello"
 * await new Promise((resolve) => setTimeout(resolve, 50));
 * console.log(pushed > 0); // true
 * ticks.cancel();
 * await server.close(); // the client gets goaway, then the connection closes
 * await client.closed;
 * ```
 */
export class Server {
  #options: ConnectionOptions;
  #protocol: Protocol<unknown>;
  #body: BodyCodec<unknown>;
  #maxConnections: number;
  /** What watches each connection: idle, first frame, heartbeat, max age. */
  #watch: WatchConfig;
  #shutdownTimeout: number;
  #timers: TimerHeap;
  #ownTimers: boolean;
  #onConnect: ServerOptions["onConnect"];
  #onDisconnect: ServerOptions["onDisconnect"];
  #listeners = new Set<Listener>();
  #connections = new Set<Connection>();
  #tasks = new Set<TimerHandle>();
  #stats: ServerStats = {
    connections: 0,
    accepted: 0,
    rejected: 0,
    idleClosed: 0,
    firstFrameClosed: 0,
    heartbeatClosed: 0,
  };
  /** The summed counters of the connections that closed. */
  #closedStats: ConnectionStats = createStats();
  #closing: Promise<void> | undefined;

  /**
   * Creates the server; it accepts nothing before `serve()`.
   *
   * @param options The router, the body codec and the server's limits.
   * @throws {RangeError} If a limit is out of range.
   */
  constructor(options: ServerOptions = {}) {
    const {
      maxConnections = Infinity,
      idleTimeout = 0,
      firstFrameTimeout = DEFAULT_FIRST_FRAME_TIMEOUT,
      heartbeat,
      maxConnectionAge,
      maxConnectionAgeJitter,
      maxConnectionAgeGrace,
      shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT,
      timers,
      onConnect,
      onDisconnect,
      ...connection
    } = options;
    if (!(maxConnections >= 1)) {
      throw new RangeError(
        `maxConnections must be at least 1, got ${maxConnections}`,
      );
    }
    if (!(shutdownTimeout >= 0)) {
      throw new RangeError(
        `shutdownTimeout must be >= 0, got ${shutdownTimeout}`,
      );
    }
    checkMonitorOptions({ heartbeat, idleTimeout, firstFrameTimeout });
    const age = connectionAge(
      maxConnectionAge,
      maxConnectionAgeJitter,
      maxConnectionAgeGrace,
    );
    this.#maxConnections = maxConnections;
    this.#shutdownTimeout = shutdownTimeout;
    this.#ownTimers = timers === undefined;
    this.#timers = timers ??
      new TimerHeap(connection.onError ? { onError: connection.onError } : {});
    this.#watch = {
      timers: this.#timers,
      heartbeat,
      idleTimeout,
      firstFrameTimeout,
      age,
      stats: this.#stats,
    };
    this.#options = { ...connection, timers: this.#timers };
    this.#protocol = (connection.protocol ?? envelopeProtocol) as Protocol<
      unknown
    >;
    this.#body = (connection.body ?? rawBody) as BodyCodec<unknown>;
    this.#onConnect = onConnect;
    this.#onDisconnect = onDisconnect;
  }

  /** Counters, with the current number of connections. */
  get stats(): ServerStats {
    return { ...this.#stats, connections: this.#connections.size };
  }

  /**
   * The counters of every connection the server has had (requests handled
   * and sent, replies, errors, timeouts, late and slow replies, frames and
   * bytes in and out), summed; the current values (`pending`, `handling`,
   * `queuedBytes`) over the open connections.
   */
  get connectionStats(): ConnectionStats {
    const total = { ...this.#closedStats };
    for (const connection of this.#connections) {
      addStats(total, connection.stats, true);
    }
    return total;
  }

  /** The open connections. */
  get connections(): Connection[] {
    return [...this.#connections];
  }

  /** The addresses the server is listening on. */
  get addrs(): ChannelAddr[] {
    return [...this.#listeners].map((listener) => listener.addr);
  }

  /** True once `close()` was called. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Accepts connections from `listener` until it ends or the server closes
   * (which closes it). Call it once per listener; several may run at once.
   *
   * @param listener Where connections come from (an adapter's `listen`, a `MemoryNetwork`'s).
   * @returns A promise that resolves when accepting stops.
   * @throws {ConnectionClosedError} If the server is closed.
   * @throws The listener's error, if iterating it fails.
   */
  async serve(listener: Listener): Promise<void> {
    if (this.#closing) {
      listener.close();
      throw new ConnectionClosedError("Cannot serve: the server is closed");
    }
    this.#listeners.add(listener);
    if (logging()) {
      const local = addrText(listener.addr);
      log(
        "info",
        { event: "server.listen", local },
        `server listening on ${local}`,
      );
    }
    try {
      for await (const channel of listener) {
        if (this.#closing) {
          channel.close();
          break;
        }
        this.#accept(channel);
      }
    } catch (error) {
      if (!this.#closing) throw error;
    } finally {
      this.#listeners.delete(listener);
    }
  }

  /**
   * Notifies every connected client that takes new messages (server push).
   *
   * @param route A route name or u32 command.
   * @param body The body.
   * @returns How many clients the notification was queued for.
   * @throws {CodecError} If the body cannot be encoded.
   */
  broadcast(route: RouteName, body: unknown): number {
    const message = this.#protocol.message("notify", route, body, this.#body);
    let sent = 0;
    for (const connection of this.#connections) {
      if (!connection.canRequest) continue;
      try {
        connectionParts(connection).transport.notify(message)?.catch(() => {});
        sent++;
      } catch {
        // Closed or full in the meantime: that client misses this one.
      }
    }
    return sent;
  }

  /**
   * Runs `task` once after `delayMs`, on the server's timer heap; cancelled
   * if the server closes first.
   *
   * @param delayMs The delay in ms.
   * @param task The task; a throw goes to `onError`.
   * @returns A handle that cancels it.
   * @throws {RangeError} If `delayMs` is negative or not finite.
   * @throws {ConnectionClosedError} If the server is closed.
   */
  runAfter(delayMs: number, task: () => void): TimerHandle {
    this.#checkOpen();
    const inner: TimerHandle = this.#timers.runAfter(delayMs, () => {
      this.#tasks.delete(inner);
      task();
    });
    return this.#track(inner);
  }

  /**
   * Runs `task` every `intervalMs` (gev's RunEvery), on the server's timer
   * heap, until cancelled or the server closes.
   *
   * @param intervalMs The period in ms.
   * @param task The task; a throw goes to `onError` and the task keeps running.
   * @returns A handle that stops it.
   * @throws {RangeError} If `intervalMs` is not positive and finite.
   * @throws {ConnectionClosedError} If the server is closed.
   */
  runEvery(intervalMs: number, task: () => void): TimerHandle {
    this.#checkOpen();
    return this.#track(this.#timers.runEvery(intervalMs, task));
  }

  /**
   * Shuts down gracefully: stops accepting, sends goaway to every
   * connection, refuses new requests (`GOING_AWAY`, which clients send
   * elsewhere), lets in-flight requests finish until the deadline, then
   * closes every connection, scheduled task and timer. Calling it again
   * returns the same promise.
   *
   * @param options The deadline, and a signal to stop waiting.
   * @returns A promise that resolves once everything is closed.
   */
  close(options: ServerCloseOptions = {}): Promise<void> {
    this.#closing ??= (async () => {
      for (const listener of this.#listeners) listener.close();
      await shutDown(
        () => [...this.#connections],
        this.#timers,
        options.deadline ?? this.#shutdownTimeout,
        options.signal,
      );
      for (const task of this.#tasks) task.cancel();
      this.#tasks.clear();
      if (this.#ownTimers) this.#timers.clear();
    })();
    return this.#closing;
  }

  /** Closes the server gracefully with the default deadline. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #accept(channel: Channel): void {
    if (this.#connections.size >= this.#maxConnections) {
      this.#stats.rejected++;
      refuse(
        channel,
        `Too many connections (maxConnections ${this.#maxConnections})`,
        this.#protocol,
        this.#options.framing,
        this.#timers,
      );
      return;
    }
    let connection: Connection;
    try {
      connection = new Connection(channel, this.#options);
    } catch (error) {
      channel.close();
      if (logging()) {
        log(
          "error",
          { event: "server.setup_error", ...ends(channel), err: error },
          `server cannot set up ${addrText(channel.remoteAddr)}`,
        );
      }
      this.#options.onError?.(error);
      return;
    }
    this.#stats.accepted++;
    this.#connections.add(connection);
    const unwatch = watch(connection, channel, this.#watch);
    connection.closed.then(() => {
      this.#connections.delete(connection);
      addStats(this.#closedStats, connection.stats, false);
      unwatch();
      this.#report(() =>
        this.#onDisconnect?.(connection, connection.closedReason)
      );
    });
    this.#report(() => this.#onConnect?.(connection));
  }

  #track(handle: TimerHandle): TimerHandle {
    this.#tasks.add(handle);
    const tasks = this.#tasks;
    return {
      cancel: () => {
        tasks.delete(handle);
        return handle.cancel();
      },
      get active() {
        return handle.active;
      },
    };
  }

  #checkOpen(): void {
    if (this.#closing) {
      throw new ConnectionClosedError(
        "Cannot schedule a task: the server is closed",
      );
    }
  }

  #report(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.#options.onError?.(error);
    }
  }
}
