/**
 * How a server retires a connection at its `maxConnectionAge` (gRPC's
 * `MAX_CONNECTION_AGE`, with its ±10% jitter and its grace period).
 * Private to the server.
 *
 * @module
 */

import type { Connection } from "../connection/connection.ts";
import type { TimerHandle, TimerHeap } from "../timer/timer_heap.ts";
import { DEFAULT_MAX_CONNECTION_AGE_JITTER } from "./server_options.ts";

/** The reason of the goaway and of the close, for the client's logs and errors. */
export const MAX_AGE_REASON = "max connection age";

/**
 * The longest wait for the pong that follows the goaway, in ms. A peer that
 * does not answer by then is drained and closed anyway.
 */
const ACK_TIMEOUT_MS = 10_000;

/** A server's connection age policy, checked. */
export interface ConnectionAge {
  /** The mean age, in ms (finite, positive). */
  maxAge: number;
  /** The spread, a fraction of `maxAge` in [0, 1). */
  jitter: number;
  /** How long the requests in flight may take after the goaway, in ms (`Infinity` for no bound). */
  grace: number;
}

/**
 * Checks the server's age options.
 *
 * @param maxAge `maxConnectionAge`.
 * @param jitter `maxConnectionAgeJitter`.
 * @param grace `maxConnectionAgeGrace`.
 * @returns The policy, or `undefined` when connections never age.
 * @throws {RangeError} If a value is out of range.
 */
export function connectionAge(
  maxAge: number = Infinity,
  jitter: number = DEFAULT_MAX_CONNECTION_AGE_JITTER,
  grace: number = Infinity,
): ConnectionAge | undefined {
  if (typeof maxAge !== "number" || !(maxAge > 0)) {
    throw new RangeError(
      `maxConnectionAge must be a positive number of ms (Infinity for never), got ${maxAge}`,
    );
  }
  if (typeof jitter !== "number" || !(jitter >= 0 && jitter < 1)) {
    throw new RangeError(
      `maxConnectionAgeJitter must be a fraction from 0 to below 1, got ${jitter}`,
    );
  }
  if (typeof grace !== "number" || !(grace >= 0)) {
    throw new RangeError(
      `maxConnectionAgeGrace must be >= 0 ms (Infinity for no bound), got ${grace}`,
    );
  }
  return maxAge === Infinity ? undefined : { maxAge, jitter, grace };
}

/**
 * One connection's age: `maxAge × (1 ± jitter)`, uniformly.
 *
 * @param age The policy.
 * @param random A number in [0, 1).
 * @returns The age in ms.
 */
export function jittered(age: ConnectionAge, random: number): number {
  return age.maxAge * (1 + age.jitter * (2 * random - 1));
}

/**
 * Retires `connection` at its age: sends goaway and a ping; once the pong
 * came (the client has seen the goaway, and every request it sent before is
 * here), drains it and closes it. After `grace` ms from the goaway it is
 * closed whatever remains. The timers go when the connection closes (or
 * the returned function is called), so none outlives it.
 *
 * @param connection A server's connection.
 * @param age The policy.
 * @param timers The server's timer heap.
 * @returns A function that cancels the timers.
 */
export function retireAtAge(
  connection: Connection,
  age: ConnectionAge,
  timers: TimerHeap,
): () => void {
  let grace: TimerHandle | undefined;
  const aged = timers.runAfter(jittered(age, Math.random()), () => {
    if (connection.closedReason !== undefined) return;
    connection.goaway(MAX_AGE_REASON);
    if (age.grace !== Infinity) {
      grace = timers.runAfter(age.grace, () => {
        grace = undefined;
        if (connection.closedReason !== undefined) return;
        void connection.close(
          `Closed at max connection age after the grace period (${age.grace} ms)`,
        );
      });
    }
    void settle(connection, age.grace).then(() =>
      connection.close(MAX_AGE_REASON)
    );
  });
  const stop = (): void => {
    aged.cancel();
    grace?.cancel();
    grace = undefined;
  };
  connection.closed.then(stop);
  return stop;
}

/** Waits for the pong after the goaway (within the grace period), then for the drain. */
async function settle(connection: Connection, grace: number): Promise<void> {
  try {
    await connection.ping({
      timeout: Math.max(1, Math.min(grace, ACK_TIMEOUT_MS)),
    });
  } catch {
    // No pong (a protocol without ping, a peer that went silent or closed):
    // drain what is here.
  }
  await connection.drain().catch(() => {});
}
