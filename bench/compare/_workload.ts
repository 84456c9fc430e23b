/**
 * What every client of the side-by-side benchmark shares: request bodies that
 * differ per request, the check of every reply, and the measuring window
 * (warm-up, then `seconds` of counting). Runs on Deno, Bun and Node
 * (`node:buffer` for a native byte comparison).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { flag, rssMiB, sizes } from "../_process.ts";
import { Histogram, type LatencySummary } from "./_histogram.ts";

/** The measuring window of one case. */
export interface Window {
  /** Seconds before counting starts. */
  warmup: number;
  /** Seconds of counting. */
  seconds: number;
}

/** One case's settings. */
export interface Workload extends Window {
  /** Requests in flight. */
  parallel: number;
  /** Payload bytes of each request (and reply). */
  payload: number;
}

/**
 * A client's workload from its arguments: `--parallel`, `--payload` (a
 * size such as `4k`), `--seconds` and `--warmup` (0.5 s unless given).
 *
 * @param argv The client's arguments.
 * @param defaults The values of the first three when absent.
 * @returns The workload.
 */
export function workloadFlags(
  argv: string[],
  defaults: { parallel: string; payload: string; seconds: string },
): Workload {
  return {
    parallel: Number(flag(argv, "parallel", defaults.parallel)),
    payload: sizes(flag(argv, "payload", defaults.payload))[0],
    seconds: Number(flag(argv, "seconds", defaults.seconds)),
    warmup: Number(flag(argv, "warmup", "0.5")),
  };
}

/** What a client reports. */
export interface ClientResult {
  /** Replies counted in the window. */
  requests: number;
  /** The window's length, measured. */
  seconds: number;
  /** Replies checked, warm-up included. */
  verified: number;
  /** The client process's peak RSS during the run, MiB. */
  rssMiB: number;
  /** Request latency in the window (sampled: {@linkcode Meter.timing}). */
  latency: LatencySummary;
}

/**
 * About how many latencies per second a closed loop records: reading the
 * clock costs 40–120 ns (Bun, Node, Deno), too much to do twice for every
 * request at a million requests a second, so faster loops time a random
 * share of their requests.
 */
const SAMPLES_PER_SECOND = 50_000;

/**
 * One body per slot (a slot is one of the `parallel` requests in flight). A
 * request stamps its slot's body with a fresh sequence number at both ends,
 * so a reply matched to the wrong request, or echoed stale, fails the check.
 */
export class Bodies {
  #bodies: Uint8Array[] = [];
  #views: Buffer[] = [];
  #payload: number;
  #seq = 0;

  /**
   * @param payload Bytes per body.
   * @param slots Requests in flight.
   */
  constructor(payload: number, slots: number) {
    this.#payload = payload;
    for (let slot = 0; slot < slots; slot++) {
      const body = new Uint8Array(payload);
      for (let i = 0; i < payload; i++) body[i] = (i * 31 + slot) & 0xff;
      this.#bodies.push(body);
      this.#views.push(Buffer.from(body.buffer, body.byteOffset, payload));
    }
  }

  /**
   * Stamps `slot`'s body for its next request.
   *
   * @param slot The slot.
   * @returns The body to send; it must not change until its reply is checked.
   */
  next(slot: number): Uint8Array {
    const body = this.#bodies[slot];
    const seq = ++this.#seq;
    const n = body.length;
    if (n >= 4) {
      body[0] = seq >>> 24;
      body[1] = seq >>> 16;
      body[2] = seq >>> 8;
      body[3] = seq;
    }
    if (n >= 8) {
      body[n - 4] = seq >>> 24;
      body[n - 3] = seq >>> 16;
      body[n - 2] = seq >>> 8;
      body[n - 1] = seq;
    }
    return body;
  }

  /**
   * Checks a reply against the request of `slot`: length and every byte.
   *
   * @param slot The slot.
   * @param reply The reply's payload.
   * @throws {Error} If the reply differs.
   */
  check(slot: number, reply: Uint8Array): void {
    if (reply.byteLength !== this.#payload) {
      throw new Error(
        `Bad reply: ${reply.byteLength} bytes, expected ${this.#payload}`,
      );
    }
    const view = Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength);
    if (!view.equals(this.#views[slot])) {
      throw new Error(`Bad reply: content differs from request (slot ${slot})`);
    }
  }
}

/**
 * The measuring window: `running` until it ends, counting replies only after
 * the warm-up; samples the process's RSS for the peak.
 */
export class Meter {
  /** False once the window ended: send no more requests. */
  running = true;
  /** Replies counted in the window. */
  count = 0;
  /** Replies checked, warm-up included. */
  verified = 0;
  /** Resolves when the window ends. */
  readonly ended: Promise<void>;
  /** Latencies recorded in the window. */
  readonly histogram: Histogram = new Histogram();
  /** One request in `#stride` is timed (set from the warm-up's rate). */
  #stride = 1;
  #measuring = false;
  #started = 0;
  #elapsed = 0;
  #peak = rssMiB();
  #sampler: ReturnType<typeof setInterval>;

  /** @param window Warm-up and measuring seconds. */
  constructor(window: Window) {
    this.#sampler = setInterval(() => this.sample(), 100);
    this.ended = new Promise<void>((resolve) => {
      setTimeout(() => {
        const rate = this.verified / window.warmup;
        this.#stride = rate > 0
          ? Math.min(64, Math.max(1, Math.floor(rate / SAMPLES_PER_SECOND)))
          : 1;
        this.#measuring = true;
        this.#started = performance.now();
        setTimeout(() => {
          this.#elapsed = (performance.now() - this.#started) / 1000;
          this.#measuring = false;
          this.running = false;
          this.sample();
          clearInterval(this.#sampler);
          resolve();
        }, window.seconds * 1000);
      }, window.warmup * 1000);
    });
  }

  /** True while counting (after the warm-up, before the end). */
  get measuring(): boolean {
    return this.#measuring;
  }

  /**
   * Whether to time the request about to be sent: in the window, every
   * request when fewer than 100,000 a second were seen in the warm-up,
   * otherwise a random one in `rate / 50,000` (at most 1 in 64); random so
   * that no position in a batch is favoured.
   */
  timing(): boolean {
    return this.#measuring &&
      (this.#stride === 1 || Math.random() * this.#stride < 1);
  }

  /** Counts one checked reply. */
  reply(): void {
    this.verified++;
    if (this.#measuring) this.count++;
  }

  /**
   * Counts one checked reply and its latency.
   *
   * @param ms Milliseconds from sending to the reply checked.
   */
  replyAfter(ms: number): void {
    this.verified++;
    if (this.#measuring) {
      this.count++;
      this.histogram.record(ms);
    }
  }

  /** Takes an RSS sample. */
  sample(): void {
    const now = rssMiB();
    if (now > this.#peak) this.#peak = now;
  }

  /** @returns The result once the window ended. */
  result(): ClientResult {
    return {
      requests: this.count,
      seconds: this.#elapsed,
      verified: this.verified,
      rssMiB: this.#peak,
      latency: this.histogram.summary(),
    };
  }
}

/**
 * Runs `parallel` closed loops (send, await the reply, check it, send the
 * next) until the window ends, then waits for the last replies.
 *
 * @param workload The case.
 * @param request Sends one body and resolves to the reply's payload.
 * @returns The client's result.
 */
export async function closedLoops(
  workload: Workload,
  request: (body: Uint8Array) => Promise<Uint8Array>,
): Promise<ClientResult> {
  const bodies = new Bodies(workload.payload, workload.parallel);
  const meter = new Meter(workload);
  const loop = async (slot: number) => {
    while (meter.running) {
      const start = meter.timing() ? performance.now() : -1;
      let reply: Uint8Array | undefined = await request(bodies.next(slot));
      bodies.check(slot, reply);
      // Dropped once checked, as the raw peer's callback drops it: else
      // this loop's frame (old once it has waited a while) holds each reply
      // through the next round trip, V8 promotes it, and only a full
      // collection frees its buffer (Node, 4 MiB × 4 in flight: 0.07 →
      // 0.03 mark-compacts per request, see the commit message).
      reply = undefined;
      if (start < 0) meter.reply();
      else meter.replyAfter(performance.now() - start);
    }
  };
  const loops = Array.from({ length: workload.parallel }, (_, i) => loop(i));
  await Promise.race([meter.ended, ...loops]);
  await Promise.all(loops);
  return meter.result();
}

/** A pipelined client's connection: sends a body, replies come in order. */
export interface FifoSender {
  /** Queues one request; all requests of a tick go out in one write. */
  send(body: Uint8Array): void;
}

/** An open pipelined connection whose reply handler the running loop sets. */
export interface FifoConnection extends FifoSender {
  /** Gets each reply's payload (a view valid during the call), in order. */
  onReply: (payload: Uint8Array) => void;
}

/**
 * Keeps `parallel` requests in flight on one connection whose replies come
 * back in the order sent (FIFO): each reply is checked against the oldest
 * request, and the next request goes out at once.
 *
 * @param workload The case.
 * @param conn The connection; its `onReply` is replaced.
 * @returns The client's result, once the window ended and every request in
 *   flight was answered.
 */
export async function fifoPipeline(
  workload: Workload,
  conn: FifoConnection,
): Promise<ClientResult> {
  const { parallel } = workload;
  const bodies = new Bodies(workload.payload, parallel);
  const meter = new Meter(workload);
  /** When each request in flight was sent (by slot), or -1: not timed. */
  const started = new Float64Array(parallel);
  let received = 0;
  let sent = 0;
  let fail: (error: unknown) => void = () => {};
  let drained: () => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    drained = resolve;
    fail = reject;
  });
  const send = (slot: number) => {
    started[slot] = meter.timing() ? performance.now() : -1;
    conn.send(bodies.next(slot));
    sent++;
  };
  conn.onReply = (payload) => {
    const slot = received % parallel;
    received++;
    try {
      bodies.check(slot, payload);
    } catch (error) {
      return fail(error);
    }
    const start = started[slot];
    if (start < 0) meter.reply();
    else meter.replyAfter(performance.now() - start);
    if (meter.running) send(sent % parallel);
    else if (received === sent) drained();
  };
  for (let slot = 0; slot < parallel; slot++) send(slot);
  await Promise.race([meter.ended, done]);
  if (received === sent) drained();
  await done;
  return meter.result();
}
