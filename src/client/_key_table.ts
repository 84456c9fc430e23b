/**
 * The keys of a {@linkcode ConnectionPool}: the {@linkcode KeyState} of each
 * key it has connections, attempts or backoff for, found by the key's
 * normalized name. Private to the pool.
 *
 * @module
 */

import {
  TransportKey,
  type TransportKeyInit,
} from "../channel/transport_key.ts";
import { KeyState } from "./_key_state.ts";

/** How many key strings' normalized names are remembered before starting over. */
const MAX_NAMES = 1024;

/** A pool's key states by normalized key name. */
export class KeyTable {
  #states = new Map<string, KeyState>();
  /** Key strings as given to their normalized names: parsing once per string. */
  #names = new Map<string, string>();

  /** The states, in the order their keys were first used. */
  values(): IterableIterator<KeyState> {
    return this.#states.values();
  }

  /**
   * The state of `key`, if the pool has one.
   *
   * @param key The endpoint.
   * @returns The state, or `undefined`.
   * @throws {TypeError} If `key` is invalid.
   */
  get(key: string | TransportKeyInit): KeyState | undefined {
    return this.#states.get(this.#name(key));
  }

  /**
   * The state of `key`, created if the pool has none.
   *
   * @param key The endpoint.
   * @returns The state.
   * @throws {TypeError} If `key` is invalid.
   */
  stateOf(key: string | TransportKeyInit): KeyState {
    const name = this.#name(key);
    let state = this.#states.get(name);
    if (state === undefined) {
      state = new KeyState(
        TransportKey.from(typeof key === "string" ? name : key),
      );
      this.#states.set(name, state);
    }
    return state;
  }

  /**
   * Forgets `state` if it is still its key's state.
   *
   * @param state The state.
   */
  delete(state: KeyState): void {
    if (this.#states.get(String(state.key)) === state) {
      this.#states.delete(String(state.key));
    }
  }

  /**
   * Forgets `state` once nothing is left of it: no connections, attempts or
   * waiters, and no backoff still running.
   *
   * @param state The state.
   */
  forgetIfEmpty(state: KeyState): void {
    if (state.idle() && state.retryAt <= performance.now()) this.delete(state);
  }

  #name(key: string | TransportKeyInit): string {
    if (typeof key !== "string") return TransportKey.from(key).toString();
    let name = this.#names.get(key);
    if (name === undefined) {
      name = new TransportKey(key).toString();
      if (this.#names.size >= MAX_NAMES) this.#names.clear();
      this.#names.set(key, name);
    }
    return name;
  }
}
