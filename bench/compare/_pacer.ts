/**
 * A wake-up clock for the open loop that neither polls nor waits for a
 * millisecond timer: a worker thread sleeps in `Atomics.wait` until the
 * time asked for (the kernel's timers are precise to tens of µs) and then
 * posts a message, which wakes the event loop of the thread that asked.
 * So a client offering 7,000 requests a second one at a time sends each at
 * its time without keeping a core busy between them. Wake-ups come at
 * least `quantum` apart, so at very high rates the requests due meanwhile go
 * out together. Runs on Deno and Bun (a web `Worker` from a blob) and Node
 * (`node:worker_threads`, evaluated source).
 *
 * @module
 */

/**
 * The worker: waits until the shared target time (epoch ms, µs precision),
 * posts `"tick"`, and waits for the next target; a change of `seq` wakes it
 * early. `post` and `init` are bound by the two kinds of worker below.
 */
const WORKER_LOOP = `
function run(sab, post) {
  const flags = new Int32Array(sab, 0, 2); // [seq, stop]
  const target = new Float64Array(sab, 8, 1);
  let fired = 0;
  for (;;) {
    if (Atomics.load(flags, 1) !== 0) return;
    const seq = Atomics.load(flags, 0);
    const at = target[0];
    if (at === 0 || at === fired) {
      Atomics.wait(flags, 0, seq);
      continue;
    }
    const left = at - (performance.timeOrigin + performance.now());
    if (left > 0) {
      Atomics.wait(flags, 0, seq, left);
      continue;
    }
    fired = at;
    post();
  }
}
`;

const WEB_WORKER = `${WORKER_LOOP}
self.onmessage = (event) => run(event.data, () => self.postMessage(0));
`;

const NODE_WORKER = `${WORKER_LOOP}
const { parentPort } = require("node:worker_threads");
parentPort.once("message", (sab) => run(sab, () => parentPort.postMessage(0)));
`;

/** The least time between two wake-ups, ms. */
export const DEFAULT_QUANTUM_MS = 0.05;

/** Wakes its owner at the times it asks for, from a worker thread. */
export class Pacer {
  #flags: Int32Array;
  #target: Float64Array;
  #onTick: () => void;
  #quantum: number;
  /** The wake-up asked for and not yet come (this thread's clock), or -1. */
  #pending = -1;
  #lastTick = -Infinity;
  #terminate: () => void = () => {};

  /**
   * Starts the worker.
   *
   * @param onTick Called on this thread at each wake-up.
   * @param quantum The least time between two wake-ups, ms.
   * @returns The pacer, once its worker runs.
   */
  static async start(
    onTick: () => void,
    quantum = DEFAULT_QUANTUM_MS,
  ): Promise<Pacer> {
    const sab = new SharedArrayBuffer(16);
    const WebWorker = (globalThis as { Worker?: typeof Worker }).Worker;
    const pacer = new Pacer(sab, onTick, quantum);
    const tick = () => pacer.#tick();
    if (typeof WebWorker === "function") {
      const url = URL.createObjectURL(
        new Blob([WEB_WORKER], { type: "application/javascript" }),
      );
      const worker = new WebWorker(url, { type: "module" });
      worker.onmessage = tick;
      worker.postMessage(sab);
      pacer.#terminate = () => worker.terminate();
    } else {
      const threads = await import("node:worker_threads");
      const worker = new threads.Worker(NODE_WORKER, { eval: true });
      worker.on("message", tick);
      worker.postMessage(sab);
      pacer.#terminate = () => void worker.terminate();
    }
    return pacer;
  }

  private constructor(
    sab: SharedArrayBuffer,
    onTick: () => void,
    quantum: number,
  ) {
    this.#flags = new Int32Array(sab, 0, 2);
    this.#target = new Float64Array(sab, 8, 1);
    this.#onTick = onTick;
    this.#quantum = quantum;
  }

  /**
   * Asks for a wake-up at `time` (this thread's `performance.now()`), or
   * `quantum` after the last one if that is later. An earlier wake-up
   * already asked for stands (its tick asks again).
   *
   * @param time When.
   */
  wakeAt(time: number): void {
    const at = Math.max(time, this.#lastTick + this.#quantum);
    if (this.#pending !== -1 && this.#pending <= at) return;
    this.#pending = at;
    this.#target[0] = performance.timeOrigin + at;
    Atomics.add(this.#flags, 0, 1);
    Atomics.notify(this.#flags, 0);
  }

  /** Stops the worker. */
  close(): void {
    Atomics.store(this.#flags, 1, 1);
    Atomics.notify(this.#flags, 0);
    this.#terminate();
  }

  #tick(): void {
    this.#pending = -1;
    this.#lastTick = performance.now();
    this.#onTick();
  }
}
