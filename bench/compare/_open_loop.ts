/**
 * The open loop of the side-by-side benchmark: requests at a fixed offered
 * rate, whatever the replies do, at most `parallel` in flight, and each
 * request's latency counted from the moment it was due, not from when a slot
 * freed (so a peer that falls behind is charged for the wait, as
 * HdrHistogram's users correct for coordinated omission). Requests are
 * released by the schedule on every reply and on a wake-up of the client,
 * paced one of two ways (`pace`):
 *
 * - `"sleep"` (the default): a worker thread wakes the client when the next
 *   request is due (bench/compare/_pacer.ts), so the client sleeps between
 *   sends and leaves the machine's cores to the peers. (A millisecond timer
 *   instead sends the requests due in each millisecond together: with one
 *   slot, seven at 7,000 requests/s, and each waits for the one before.) A
 *   request that fell due while a slot was free counts from the first
 *   wake-up after its due time, at most 0.3 ms after it (that lateness is
 *   the pacer's, not the peer's; a longer one means the client's event loop
 *   was busy, and is charged); one that fell due while every slot was busy
 *   counts from its due time.
 * - `"poll"`: `setImmediate` while the next send is under 5 ms away, so the
 *   schedule is kept to a few µs and latency counts from the due time
 *   itself; the client then keeps a core busy, and on a 2-core machine the
 *   peers' threads wait for the other one (docs/benchmarks.md, target 3).
 *
 * Runs on Deno, Bun and Node.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { Pacer } from "./_pacer.ts";
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

/** How the open loop waits for the next send: see the module's doc. */
export type Pace = "sleep" | "poll";

/** What an open loop reports. */
export interface OpenResult extends ClientResult {
  /** The offered rate, requests/s. */
  offered: number;
}

/**
 * How late a sleeping client's wake-up may be and still be its pacer's
 * (bench/compare/_pacer.ts: a worker's timed wait and a message, 80–90 µs
 * late at the median, 250–450 µs at p99 on a loaded 2-core machine); a
 * request waits longer than this for a wake-up only if the client's event
 * loop was busy, and that is charged.
 */
const WAKE_GRACE_MS = 0.3;

/**
 * When a sleeping open loop first saw each request due: runs of requests
 * (by number) with the wake-up that released them, or -1 for requests that
 * fell due while every slot was busy (they wait for a slot, not for the
 * timer, so they count from their due time).
 */
class Releases {
  #ends: number[] = [];
  #ats: number[] = [];
  #front = 0;
  #released = 0;

  /**
   * A wake-up at which the first `due` requests were due.
   *
   * @param due How many requests were due by now.
   * @param at The wake-up's time, or -1 if every slot was busy since the
   *   previous one.
   */
  wake(due: number, at: number): void {
    if (due <= this.#released) return;
    this.#ends.push(due);
    this.#ats.push(at);
    this.#released = due;
  }

  /**
   * Where request number `n`'s latency starts.
   *
   * @param n The request's number.
   * @param due When the schedule had it due.
   * @param now Now (if no wake-up was recorded for it).
   */
  start(n: number, due: number, now: number): number {
    while (this.#front < this.#ends.length && this.#ends[this.#front] <= n) {
      this.#front++;
    }
    if (this.#front > 1024) {
      this.#ends.splice(0, this.#front);
      this.#ats.splice(0, this.#front);
      this.#front = 0;
    }
    const at = this.#front < this.#ends.length ? this.#ats[this.#front] : now;
    return at < 0 ? due : Math.max(due, Math.min(at, due + WAKE_GRACE_MS));
  }
}

/**
 * Offers `rate` requests a second for the window of `workload`, at most
 * `workload.parallel` in flight; every reply is checked.
 *
 * @param workload The case: `parallel` caps the requests in flight.
 * @param rate Requests per second.
 * @param connect Gets the reply and failure handlers, returns the sender.
 * @param pace How the client waits between sends.
 * @returns The result once the window ended and every request in flight was
 *   answered; `requests / seconds` is the rate achieved.
 */
export async function openLoop(
  workload: Workload,
  rate: number,
  connect: (reply: SlotReply, fail: (error: unknown) => void) => SlotSend,
  pace: Pace = "sleep",
): Promise<OpenResult> {
  if (!(rate > 0)) throw new RangeError(`Offered rate ${rate} is not > 0`);
  const cap = workload.parallel;
  let polling = false;
  const poll = () => {
    polling = false;
    dispatch(performance.now());
  };
  const pacer = pace === "sleep" ? await Pacer.start(poll) : undefined;
  const bodies = new Bodies(workload.payload, cap);
  const meter = new Meter(workload);
  const interval = 1000 / rate;
  /** When each slot's request was due (its latency counts from there). */
  const intended = new Float64Array(cap);
  const sleeping = pacer !== undefined;
  const releases = new Releases();
  const free = Array.from({ length: cap }, (_, i) => cap - 1 - i);
  const first = performance.now();
  /** Requests sent; the next one is due at `first + sent * interval`. */
  let sent = 0;
  /** Every slot was busy from the last wake-up until this one. */
  let full = false;
  let finish: () => void = () => {};
  let fail: (error: unknown) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const dispatch = (now: number) => {
    if (sleeping) {
      releases.wake(Math.floor((now - first) / interval) + 1, full ? -1 : now);
    }
    let due = first + sent * interval;
    while (due <= now && free.length > 0 && meter.running) {
      const slot = free.pop()!;
      intended[slot] = sleeping ? releases.start(sent, due, now) : due;
      due = first + ++sent * interval;
      send(slot, bodies.next(slot));
    }
    full = free.length === 0;
    if (!meter.running) {
      if (free.length === cap) finish();
      return;
    }
    if (full) return; // a reply will dispatch
    if (pacer) return pacer.wakeAt(due);
    if (polling) return;
    polling = true;
    const delay = due - now;
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
  try {
    dispatch(performance.now());
    await Promise.race([meter.ended, done]);
    if (free.length === cap) finish();
    await done;
  } finally {
    pacer?.close();
  }
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
