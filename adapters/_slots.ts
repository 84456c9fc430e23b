/**
 * A listener's count of open connections, for pull-based accept loops.
 * Runtime-neutral. Private to `adapters/`.
 *
 * @module
 */

/**
 * A listener's count of open connections, and a wait for a free one.
 *
 * @example
 * ```ts
 * import { Slots } from "./_slots.ts";
 * const slots = new Slots(1);
 * slots.take();
 * console.log(slots.free); // false
 * const freed = slots.freed();
 * slots.release();
 * await freed;
 * console.log(slots.free); // true
 * ```
 */
export class Slots {
  #open = 0;
  #waiter: (() => void) | undefined;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get free(): boolean {
    return this.#open < this.#limit;
  }

  take(): void {
    this.#open++;
  }

  readonly release = (): void => {
    this.#open--;
    this.wake();
  };

  /** Resolves when a slot is given back (or {@linkcode Slots.wake}). */
  freed(): Promise<void> {
    return new Promise<void>((resolve) => this.#waiter = resolve);
  }

  wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }
}
