/**
 * A server's graceful shutdown of its connections.
 *
 * @module
 */

import type { Connection } from "../connection/connection.ts";
import { log, logging } from "../logger.ts";
import type { TimerHandle, TimerHeap } from "../timer/timer_heap.ts";

/**
 * Sends goaway to every connection, waits until they drained or the
 * deadline passed or `signal` aborted, then closes every connection.
 *
 * @param connections The open connections, now (asked again at the end).
 * @param timers The server's timer heap.
 * @param deadline How long in-flight requests may take, in ms.
 * @param signal Stops waiting.
 */
export async function shutDown(
  connections: () => Connection[],
  timers: TimerHeap,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const open = connections();
  if (logging()) {
    log(
      "info",
      { event: "server.shutdown", connections: open.length, deadline },
      `server shutting down (${open.length} connections, deadline ${deadline} ms)`,
    );
  }
  for (const connection of open) connection.goaway("Server shutting down");
  const drained = Promise.all(open.map((c) => c.drain().catch(() => {})));
  let timer: TimerHandle | undefined;
  let onAbort: (() => void) | undefined;
  await Promise.race([
    drained,
    new Promise<void>((resolve) => {
      timer = timers.runAfter(Math.max(0, deadline), resolve);
      onAbort = resolve;
      if (signal?.aborted) resolve();
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
  ]);
  timer?.cancel();
  if (onAbort) signal?.removeEventListener("abort", onAbort);
  await Promise.all(connections().map((c) => c.close("Server closed")));
}
