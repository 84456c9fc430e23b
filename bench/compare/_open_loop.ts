/**
 * The open loop of the side-by-side benchmark: requests at a fixed offered
 * rate, whatever the replies do, at most `parallel` in flight, and each
 * request's latency measured from the moment the schedule meant it to go out
 * (so a peer that falls behind is charged for the wait, as HdrHistogram's
 * users correct for coordinated omission). Requests are released by the
 * schedule on every reply and on a poll: `setImmediate` while the next send
 * is under 5 ms away (the client then keeps its core busy, and the schedule
 * is kept to a few µs), a timer otherwise. Runs on Deno, Bun and Node.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import {
  Bodies,
  type ClientResult,
  type FifoConnection,
  Meter,
  type Workload,
} from "./_workload.ts";

/** Sends `body` as the request of `slot` (one of `parallel`). */
export type SlotSend = (slot: number, body: Uint8Array) => void;

/** Takes the reply of `slot`'s request. */
export type SlotReply = (slot: number, payload: Uint8Array) => void;

/** What an open loop reports. */
export interface OpenResult extends ClientResult {
  /** The offered rate, requests/s. */
  offered: number;
}

/**
 * Offers `rate` requests a second for the window of `workload`, at most
 * `workload.parallel` in flight; every reply is checked.
 *
 * @param workload The case: `parallel` caps the requests in flight.
 * @param rate Requests per second.
 * @param connect Gets the reply and failure handlers, returns the sender.
 * @returns The result once the window ended and every request in flight was
 *   answered; `requests / seconds` is the rate achieved.
 */
export async function openLoop(
  workload: Workload,
  rate: number,
  connect: (reply: SlotReply, fail: (error: unknown) => void) => SlotSend,
): Promise<OpenResult> {
  if (!(rate > 0)) throw new RangeError(`Offered rate ${rate} is not > 0`);
  const cap = workload.parallel;
  const bodies = new Bodies(workload.payload, cap);
  const meter = new Meter(workload);
  const interval = 1000 / rate;
  /** When the schedule meant each slot's request to go out. */
  const intended = new Float64Array(cap);
  const free = Array.from({ length: cap }, (_, i) => cap - 1 - i);
  let next = performance.now();
  let polling = false;
  let finish: () => void = () => {};
  let fail: (error: unknown) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const poll = () => {
    polling = false;
    dispatch(performance.now());
  };
  const dispatch = (now: number) => {
    while (next <= now && free.length > 0 && meter.running) {
      const slot = free.pop()!;
      intended[slot] = next;
      next += interval;
      send(slot, bodies.next(slot));
    }
    if (!meter.running) {
      if (free.length === cap) finish();
      return;
    }
    if (polling || free.length === 0) return; // a reply will dispatch
    polling = true;
    const delay = next - now;
    if (delay > 5) setTimeout(poll, delay - 4);
    else setImmediate(poll);
  };
  const send = connect((slot, payload) => {
    try {
      bodies.check(slot, payload);
    } catch (error) {
      return fail(error);
    }
    const now = performance.now();
    meter.replyAfter(now - intended[slot]);
    free.push(slot);
    dispatch(now);
  }, (error) => fail(error));
  dispatch(performance.now());
  await Promise.race([meter.ended, done]);
  if (free.length === cap) finish();
  await done;
  return { ...meter.result(), offered: rate };
}

/**
 * Adapts a connection whose replies come in the order sent (the raw peers)
 * to {@linkcode openLoop}: a ring remembers each request's slot.
 *
 * @param conn The connection; its `onReply` is replaced.
 * @param parallel Requests in flight at most.
 * @returns The `connect` argument of {@linkcode openLoop}.
 */
export function fifoSlots(
  conn: FifoConnection,
  parallel: number,
): (reply: SlotReply) => SlotSend {
  const ring = new Int32Array(parallel);
  let sent = 0;
  let received = 0;
  return (reply) => {
    conn.onReply = (payload) => reply(ring[received++ % parallel], payload);
    return (slot, body) => {
      ring[sent++ % parallel] = slot;
      conn.send(body);
    };
  };
}

/**
 * Adapts a promise-returning request to {@linkcode openLoop}.
 *
 * @param request Sends one body and resolves to the reply's payload.
 * @returns The `connect` argument of {@linkcode openLoop}.
 */
export function promiseSlots(
  request: (body: Uint8Array) => Promise<Uint8Array>,
): (reply: SlotReply, fail: (error: unknown) => void) => SlotSend {
  return (reply, fail) => (slot, body) => {
    request(body).then((payload) => reply(slot, payload), fail);
  };
}
