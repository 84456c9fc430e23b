/**
 * {@linkcode Settling}: a promise's value, mapped, either as a `PromiseLike`
 * for any caller or given to one listener's methods (no closure per use),
 * then freeing the executor slot its task holds.
 *
 * @module
 */

import { type BoundedExecutor, taskEnded } from "./bounded_executor.ts";

/**
 * Told how a {@linkcode Settling} ended, with the state it was given: the
 * methods of a long-lived object (a transport's handler runner), so that
 * nothing is made per request to be told.
 *
 * @internal
 */
export interface SettleListener<S, T> {
  /** The mapped value. A throw is the task's error (see `settleInto`). */
  settled(state: S, value: T): void;
  /** The source's rejection, or what `map` threw. */
  failed(state: S, error: unknown): void;
}

/**
 * The value of a native promise (the source), mapped by the subclass's
 * `map` once it resolves; a throw of `map` counts as a rejection.
 *
 * Two ways to wait for it. `then`, `catch` and `finally`: a `Promise` like
 * any other (one `then` on the source per call). `settleInto`: the outcome
 * goes to a listener's methods with the given state, and then the owner
 * executor's slot, held by the task that returned `ENDS_LATER`, is freed.
 * That way an async handler's reply costs this object, one `then` on the
 * handler's promise with two bound functions, and nothing more: chained
 * `then`s with closures (the reply, then the runner's finish, then the
 * executor's slot) cost each its closures, their context and a derived
 * promise.
 *
 * @internal
 */
export abstract class Settling<T> implements Promise<T> {
  #source: Promise<unknown>;
  #listener: SettleListener<unknown, T> | undefined = undefined;
  #state: unknown = undefined;
  #owner: BoundedExecutor | undefined = undefined;

  /** Its tag (a getter: no field per object). */
  get [Symbol.toStringTag](): string {
    return "Settling";
  }

  /** @param source The promise whose value is mapped. */
  constructor(source: Promise<unknown>) {
    this.#source = source;
  }

  /**
   * The value given on: the source's value, mapped (may throw).
   *
   * @param value What the source resolved to.
   * @returns The mapped value.
   */
  protected abstract map(value: unknown): T;

  /**
   * Gives the outcome, once the source settles, to `listener` (call once,
   * instead of `then`), for a task of `owner` that returned `ENDS_LATER`:
   * the slot is freed after the listener ran, and a throw of the listener
   * goes to the owner's `onError`, as a task's rejection would (never an
   * unhandled rejection).
   *
   * @param listener Told the outcome.
   * @param state Given to the listener.
   * @param owner The executor whose task waits for this.
   */
  settleInto<S>(
    listener: SettleListener<S, T>,
    state: S,
    owner: BoundedExecutor,
  ): void {
    this.#listener = listener as SettleListener<unknown, T>;
    this.#state = state;
    this.#owner = owner;
    this.#source.then(this.#resolved.bind(this), this.#rejected.bind(this));
  }

  #resolved(value: unknown): void {
    let mapped: T;
    try {
      mapped = this.map(value);
    } catch (error) {
      return this.#end(true, error);
    }
    this.#end(false, mapped);
  }

  #rejected(error: unknown): void {
    this.#end(true, error);
  }

  #end(failed: boolean, outcome: unknown): void {
    const owner = this.#owner!;
    try {
      if (failed) this.#listener!.failed(this.#state, outcome);
      else this.#listener!.settled(this.#state, outcome as T);
    } catch (error) {
      return taskEnded(owner, true, error);
    }
    taskEnded(owner, false, undefined);
  }

  /**
   * Waits for the mapped value, like a promise's `then`.
   *
   * @param onfulfilled Called with the mapped value.
   * @param onrejected Called with the source's rejection or `map`'s throw.
   * @returns The promise of what the called callback returns.
   */
  then<A = T, B = never>(
    onfulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#source.then((value): A | B | PromiseLike<A | B> => {
      let mapped: T;
      try {
        mapped = this.map(value);
      } catch (error) {
        if (typeof onrejected !== "function") throw error;
        return onrejected(error);
      }
      return typeof onfulfilled === "function"
        ? onfulfilled(mapped)
        : mapped as unknown as A;
    }, onrejected);
  }

  /**
   * Waits for a failure, like a promise's `catch`.
   *
   * @param onrejected Called with the source's rejection or `map`'s throw.
   * @returns The promise of the mapped value or what `onrejected` returns.
   */
  catch<B = never>(
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<T | B> {
    return this.then(undefined, onrejected);
  }

  /**
   * Runs `onfinally` once settled, like a promise's `finally`.
   *
   * @param onfinally Called with nothing once settled.
   * @returns The promise of the same outcome.
   */
  finally(onfinally?: (() => void) | null): Promise<T> {
    return this.then().finally(onfinally);
  }
}
