/**
 * Exponential backoff with jitter: how long to wait before the next attempt
 * to connect.
 *
 * @module
 */

/**
 * Options of {@linkcode backoffDelay}.
 *
 * @example Tripling delays from 50 ms, at most 1 s
 * ```ts
 * import { backoffDelay, type BackoffOptions } from "listenrain/advanced";
 *
 * const options: BackoffOptions = { initialDelay: 50, maxDelay: 1_000, multiplier: 3, jitter: 0 };
 * console.log([1, 2, 3, 4].map((failures) => backoffDelay(failures, options))); // [ 50, 150, 450, 1000 ]
 * ```
 */
export interface BackoffOptions {
  /** The delay before the second attempt, in ms. @default {100} */
  initialDelay?: number;
  /** The longest delay, in ms: delays never grow past it. @default {10000} */
  maxDelay?: number;
  /** Each delay is the previous one times this. @default {2} */
  multiplier?: number;
  /**
   * Spreads the delays so that many clients do not retry in step: each delay
   * is scaled by a random factor from `1 - jitter` to `1 + jitter` (then
   * capped at `maxDelay`). `0` for none.
   * @default {0.2}
   */
  jitter?: number;
}

/**
 * The default backoff: 100 ms, doubling, at most 10 s, ±20 % jitter.
 *
 * @example The defaults fill in the options not given
 * ```ts
 * import { backoffDelay } from "listenrain/advanced";
 *
 * // The defaults: { initialDelay: 100, maxDelay: 10000, multiplier: 2, jitter: 0.2 }
 * console.log(backoffDelay(3, { jitter: 0 })); // 400: 100 ms, doubled twice
 * ```
 */
export const DEFAULT_BACKOFF: Readonly<Required<BackoffOptions>> = Object
  .freeze({
    initialDelay: 100,
    maxDelay: 10_000,
    multiplier: 2,
    jitter: 0.2,
  });

/**
 * Checks backoff options and fills in the defaults.
 *
 * @param options The options to check.
 * @returns Every option, with defaults.
 * @throws {RangeError} If an option is out of range.
 */
export function resolveBackoff(
  options: BackoffOptions = {},
): Required<BackoffOptions> {
  const resolved = { ...DEFAULT_BACKOFF, ...stripUndefined(options) };
  const { initialDelay, maxDelay, multiplier, jitter } = resolved;
  if (!(initialDelay >= 0) || !Number.isFinite(initialDelay)) {
    throw new RangeError(
      `initialDelay must be a finite number >= 0, got ${initialDelay}`,
    );
  }
  if (!(maxDelay >= initialDelay) || !Number.isFinite(maxDelay)) {
    throw new RangeError(
      `maxDelay must be finite and at least initialDelay (${initialDelay}), got ${maxDelay}`,
    );
  }
  if (!(multiplier >= 1) || !Number.isFinite(multiplier)) {
    throw new RangeError(`multiplier must be at least 1, got ${multiplier}`);
  }
  if (!(jitter >= 0 && jitter <= 1)) {
    throw new RangeError(`jitter must be from 0 to 1, got ${jitter}`);
  }
  return resolved;
}

/**
 * The delay before the attempt that follows `failures` failed ones:
 * `initialDelay × multiplier^(failures − 1)`, scaled by the jitter and capped
 * at `maxDelay`.
 *
 * @param failures Failed attempts so far (1 after the first failure).
 * @param options The backoff; defaults as {@linkcode DEFAULT_BACKOFF}.
 * @param random A source of numbers in [0, 1), for tests. @default {Math.random}
 * @returns The delay in ms, from 0 to `maxDelay`.
 * @throws {RangeError} If `failures` is not a positive integer or an option
 *   is out of range.
 *
 * @example Delays without jitter
 * ```ts
 * import { backoffDelay } from "listenrain/advanced";
 *
 * const options = { initialDelay: 100, maxDelay: 1000, jitter: 0 };
 * console.log([1, 2, 3, 4, 5].map((n) => backoffDelay(n, options))); // [ 100, 200, 400, 800, 1000 ]
 * ```
 */
export function backoffDelay(
  failures: number,
  options?: BackoffOptions,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(failures) || failures < 1) {
    throw new RangeError(
      `failures must be a positive integer, got ${failures}`,
    );
  }
  const { initialDelay, maxDelay, multiplier, jitter } = resolveBackoff(
    options,
  );
  // Past the cap the exponent only overflows: stop growing there.
  const grown = Math.min(
    maxDelay,
    initialDelay * Math.pow(multiplier, Math.min(failures - 1, 1024)),
  );
  const scaled = grown * (1 - jitter + 2 * jitter * random());
  return Math.min(maxDelay, Math.max(0, Math.round(scaled)));
}

function stripUndefined<T extends object>(options: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined) (out as Record<string, unknown>)[name] = value;
  }
  return out;
}
