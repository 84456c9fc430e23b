/**
 * One request of a `TransportClient`, from its first attempt to its outcome.
 * Private to the client.
 *
 * The call is the state machine the transport settles (async mode), so a
 * request costs one object here, the transport's entry, and the caller's
 * promise if it wants one: no async function frame and no `.then` per
 * request. Only a request that has to wait for a connection goes through
 * promises (the pool's).
 *
 * @module
 */

import {
  ConnectError,
  ConnectionClosedError,
  RemoteError,
  TimeoutError,
} from "../errors.ts";
import type { StateMachine } from "../transport/state_machine.ts";
import type { Transport } from "../transport/transport.ts";
import type { TransportKeyInit } from "../channel/transport_key.ts";

/** Requests refused unprocessed (goaway, `GOING_AWAY`) are sent again at most this often. */
export const TRANSPARENT_RETRIES = 3;

/** What a call needs of its client; one per client. */
export interface CallHost<M> {
  /**
   * A usable transport of `key` now, or `undefined`.
   * @throws {ConnectionClosedError} The client is closed.
   */
  pick(
    key: string | TransportKeyInit,
    hashKey: string | undefined,
    tried: Transport<M>[] | undefined,
  ): Transport<M> | undefined;
  /** Waits for a usable transport of `key` (connecting), within `remaining` ms. */
  acquire(
    key: string | TransportKeyInit,
    remaining: number,
    signal: AbortSignal | undefined,
    waitForReady: boolean,
    hashKey: string | undefined,
    tried: Transport<M>[] | undefined,
  ): Promise<Transport<M>>;
  /** The outcome of an attempt on `transport` (endpoint health), if the host wants it. */
  outcome?(transport: Transport<M>, error: unknown): void;
  /** Receives an error thrown by a caller's callback. */
  report(error: unknown): void;
}

/**
 * One request and its policy: the deadline covers every attempt; a
 * `ConnectError` or `ConnectionClosedError` is tried again while `retries`
 * last, a refusal of unprocessed work (`GOING_AWAY`, goaway) up to
 * {@linkcode TRANSPARENT_RETRIES} times. The outcome goes to `resolve` /
 * `reject`, or to `sink`.
 */
export class ClientCall<M, R> implements StateMachine<M> {
  #host: CallHost<M>;
  #message: M;
  #key: string | TransportKeyInit;
  #timeout: number;
  #signal: AbortSignal | undefined;
  #started: number;
  #retries: number;
  #transparent = TRANSPARENT_RETRIES;
  #waitForReady: boolean;
  #decode: ((reply: M) => R) | undefined;
  #resolve: ((value: R) => void) | undefined;
  #reject: ((error: Error) => void) | undefined;
  #sink: StateMachine<R> | undefined;
  #hashKey: string | undefined;
  /** The transport of the current attempt (kept when the host wants outcomes). */
  #transport: Transport<M> | undefined;
  /** Transports of failed attempts: a retry prefers another endpoint. */
  #tried: Transport<M>[] | undefined;

  constructor(
    host: CallHost<M>,
    message: M,
    key: string | TransportKeyInit,
    timeout: number,
    signal: AbortSignal | undefined,
    retries: number,
    waitForReady: boolean,
    decode: ((reply: M) => R) | undefined,
    hashKey?: string,
  ) {
    this.#hashKey = hashKey;
    this.#host = host;
    this.#message = message;
    this.#key = key;
    this.#timeout = timeout;
    this.#signal = signal;
    this.#started = performance.now();
    this.#retries = retries;
    this.#waitForReady = waitForReady;
    this.#decode = decode;
  }

  /** Starts the call; its outcome goes to `resolve` or `reject`. */
  run(resolve: (value: R) => void, reject: (error: Error) => void): void {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#attempt();
  }

  /** Starts the call; its outcome goes to `sink`, once. */
  runInto(sink: StateMachine<R>): void {
    this.#sink = sink;
    this.#attempt();
  }

  /** The reply (called by the transport). */
  onMessage(reply: M): void {
    if (this.#transport !== undefined) {
      this.#host.outcome!(this.#transport, undefined);
    }
    let value: R;
    if (this.#decode === undefined) value = reply as unknown as R;
    else {
      try {
        value = this.#decode(reply);
      } catch (error) {
        return this.#fail(error);
      }
    }
    const resolve = this.#resolve;
    if (resolve !== undefined) return resolve(value);
    try {
      this.#sink!.onMessage(value);
    } catch (error) {
      this.#host.report(error);
    }
  }

  /** The attempt failed (called by the transport): again, or the outcome. */
  onError(error: Error): void {
    const transport = this.#transport;
    if (transport !== undefined) {
      this.#host.outcome!(transport, error);
      (this.#tried ??= []).push(transport);
    }
    // Not from inside the transport's dispatch: the next attempt may pick
    // that very transport, or another one mid-close.
    if (this.#again(error)) queueMicrotask(() => this.#attempt());
    else this.#fail(error);
  }

  #attempt(): void {
    const host = this.#host;
    for (;;) {
      const remaining = this.#timeout - (performance.now() - this.#started);
      if (!(remaining > 0)) {
        return this.#fail(
          new TimeoutError(
            `Request to ${this.#key} timed out after ${this.#timeout} ms`,
          ),
        );
      }
      let transport: Transport<M> | undefined;
      try {
        transport = host.pick(this.#key, this.#hashKey, this.#tried);
      } catch (error) {
        if (this.#connectAgain(error)) continue;
        return this.#fail(error);
      }
      if (transport === undefined) {
        host.acquire(
          this.#key,
          remaining,
          this.#signal,
          this.#waitForReady,
          this.#hashKey,
          this.#tried,
        )
          .then(
            (acquired) => this.#sendOn(acquired),
            (error) => {
              if (this.#connectAgain(error)) this.#attempt();
              else this.#fail(error);
            },
          );
        return;
      }
      if (this.#send(transport, remaining)) return;
    }
  }

  /** Sends on a transport the pool handed over after a wait. */
  #sendOn(transport: Transport<M>): void {
    const remaining = this.#timeout - (performance.now() - this.#started);
    if (!this.#send(transport, Math.max(remaining, 1))) this.#attempt();
  }

  /** Sends on `transport`; false when the call must pick again. */
  #send(transport: Transport<M>, remaining: number): boolean {
    if (!transport.canRequest && this.#transparent-- > 0) return false;
    if (this.#host.outcome !== undefined) this.#transport = transport;
    try {
      transport.call(this.#message, this, {
        timeout: Math.ceil(remaining),
        signal: this.#signal,
      });
      return true;
    } catch (error) {
      if (this.#again(error)) return false;
      this.#fail(error);
      return true;
    }
  }

  /** After a failed connect: true (and counted) if it is tried again. */
  #connectAgain(error: unknown): boolean {
    if (
      error instanceof ConnectError && this.#retries > 0 &&
      !this.#signal?.aborted
    ) {
      this.#retries--;
      this.#waitForReady = true;
      return true;
    }
    return false;
  }

  /** After a failed attempt: true (and counted) if it is sent again. */
  #again(error: unknown): boolean {
    if (this.#signal?.aborted) return false;
    if (
      error instanceof RemoteError && error.remoteCode === "GOING_AWAY" &&
      this.#transparent-- > 0
    ) {
      return true;
    }
    if (error instanceof ConnectionClosedError && this.#retries > 0) {
      this.#retries--;
      return true;
    }
    return false;
  }

  #fail(cause: unknown): void {
    const error = cause instanceof Error ? cause : new Error(String(cause));
    const reject = this.#reject;
    if (reject !== undefined) return reject(error);
    const sink = this.#sink!;
    try {
      if (error instanceof TimeoutError && sink.onTimeout) {
        sink.onTimeout(error);
      } else sink.onError?.(error);
    } catch (failure) {
      this.#host.report(failure);
    }
  }
}
